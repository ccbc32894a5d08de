//! `standard_conforming_strings = off`: plain `'…'` literals read backslash escapes.
//!
//! Owns: rewriting a message written under that setting into the one the lexer reads
//! (which follows `standard_conforming_strings = on`): every plain string literal becomes
//! the escape string it means, `'it\'s'` → `E'it\'s'`, which is exactly how Postgres
//! reads it with the setting off. Comments, quoted identifiers, dollar-quoted strings,
//! `E'…'` strings and prefixed literals (`X'…'`, `B'…'`, `U&'…'`) are left as they are.

use std::borrow::Cow;

/// The message with each plain `'…'` literal written as `E'…'`.
pub fn backslash_strings(message: &str) -> Cow<'_, str> {
    let bytes = message.as_bytes();
    if !bytes.contains(&b'\\') {
        return Cow::Borrowed(message);
    }
    let mut out = String::with_capacity(message.len() + 8);
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = find(bytes, i, b"\n").map_or(bytes.len(), |e| e + 1);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => i = block_comment_end(bytes, i),
            b'"' => i = quoted_end(bytes, i, b'"', false),
            b'$' => i = dollar_end(bytes, i),
            b'\'' => {
                let prev = i.checked_sub(1).map(|p| bytes[p]);
                let prefixed =
                    prev.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'&');
                let escape = prev.is_some_and(|c| c == b'e' || c == b'E')
                    && (i < 2 || !is_ident(bytes[i - 2]));
                if !prefixed {
                    out.push_str(&message[copied..i]);
                    out.push('E');
                    copied = i;
                }
                // Plain strings and E'…' strings both read backslashes now.
                i = quoted_end(bytes, i, b'\'', !prefixed || escape);
            }
            _ => i += 1,
        }
    }
    out.push_str(&message[copied..]);
    Cow::Owned(out)
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

/// Past the end of a (nested) block comment starting at `start`.
fn block_comment_end(bytes: &[u8], start: usize) -> usize {
    let mut depth = 0usize;
    let mut i = start;
    while i + 1 < bytes.len() {
        match (bytes[i], bytes[i + 1]) {
            (b'/', b'*') => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Past the closing `quote` of a quoted token starting at `start`; a doubled quote is
/// one character, and with `backslash` a backslash escapes the next byte.
fn quoted_end(bytes: &[u8], start: usize, quote: u8, backslash: bool) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if backslash => i += 2,
            c if c == quote => {
                if bytes.get(i + 1) == Some(&quote) {
                    i += 2;
                } else {
                    return i + 1;
                }
            }
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Past a `$tag$ … $tag$` string starting at `start` (a lone `$`, e.g. `$1`, is one byte).
fn dollar_end(bytes: &[u8], start: usize) -> usize {
    let tag_end = bytes[start + 1..]
        .iter()
        .position(|&c| !(c.is_ascii_alphanumeric() || c == b'_'))
        .map(|p| start + 1 + p);
    match tag_end {
        Some(t)
            if bytes[t] == b'$' && !bytes[start + 1..t].first().is_some_and(u8::is_ascii_digit) =>
        {
            let tag = &bytes[start..=t];
            find(bytes, t + 1, tag).map_or(bytes.len(), |e| e + tag.len())
        }
        _ => start + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::backslash_strings;

    #[test]
    fn plain_literals_become_escape_strings() {
        let cases = [
            (r"SELECT 'it\'s'", r"SELECT E'it\'s'"),
            (r"SELECT 'a\\', 'b'", r"SELECT E'a\\', E'b'"),
            (
                r"SELECT E'x\n', X'ff', 'y\t'",
                r"SELECT E'x\n', X'ff', E'y\t'",
            ),
            (
                r"SELECT 'q''\'' -- 'not\ a string",
                r"SELECT E'q''\'' -- 'not\ a string",
            ),
            (
                r#"SELECT "col\" FROM t WHERE a = 'v\'"#,
                r#"SELECT "col\" FROM t WHERE a = E'v\'"#,
            ),
            (
                r"SELECT $$a\'b$$, 'c\d' /* 'e\' */",
                r"SELECT $$a\'b$$, E'c\d' /* 'e\' */",
            ),
            (r"SELECT $1, 'x\'y' FROM t", r"SELECT $1, E'x\'y' FROM t"),
            ("SELECT 'no backslash'", "SELECT 'no backslash'"),
        ];
        for (given, want) in cases {
            assert_eq!(backslash_strings(given), want, "{given}");
        }
    }

    #[test]
    fn unterminated_input_does_not_panic() {
        for s in [r"'\", r"E'\", r"/* \", r"$a$ \", r#""\"#, r"'a\'", "\\"] {
            let _ = backslash_strings(s);
        }
    }
}
