//! The rules a job tag must follow (§7.3.3 `tags`), shared by the client's callers and
//! the embedded service.
//!
//! Owns: [`tag_problem`]. The reference (Table 7-59) gives `key` and `value` as strings
//! and no limits; DLI's published tag rules are stricter, so the strictest are used (a
//! real project refuses more than the reference says, never less): at most
//! [`MAX_TAGS`] tags per job, keys of 1 to [`MAX_KEY`] characters from letters, digits,
//! `_` and `-`, values of up to [`MAX_VALUE`] characters from letters, digits, `_`,
//! `.` and `-`, and no key twice. The list filter's `k=v,k=v` syntax can then never be
//! ambiguous.

use super::types::JobTag;

/// Tags one job may carry.
pub const MAX_TAGS: usize = 20;
/// Longest tag key.
pub const MAX_KEY: usize = 36;
/// Longest tag value.
pub const MAX_VALUE: usize = 43;

/// Why `tags` would be refused, or `None` when they follow the rules.
pub fn tag_problem(tags: &[JobTag]) -> Option<String> {
    if tags.len() > MAX_TAGS {
        return Some(format!(
            "a job carries at most {MAX_TAGS} tags ({} given)",
            tags.len()
        ));
    }
    for (i, t) in tags.iter().enumerate() {
        let key_ok = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
        if t.key.is_empty() || t.key.chars().count() > MAX_KEY || !t.key.chars().all(key_ok) {
            return Some(format!(
                "tag key {:?} must be 1 to {MAX_KEY} letters, digits, '_' or '-'",
                t.key
            ));
        }
        let value_ok = |c: char| key_ok(c) || c == '.';
        if t.value.chars().count() > MAX_VALUE || !t.value.chars().all(value_ok) {
            return Some(format!(
                "tag value {:?} of key {:?} must be at most {MAX_VALUE} letters, digits, '_', '.' or '-'",
                t.value, t.key
            ));
        }
        if tags[..i].iter().any(|o| o.key == t.key) {
            return Some(format!("tag key {:?} is given twice", t.key));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        let ok = vec![
            JobTag::new("gateway_request_id", uuid::Uuid::new_v4().to_string()),
            JobTag::new("pg_cancel", "a".repeat(MAX_VALUE)),
            JobTag::new("v", "1.2-x_y"),
        ];
        assert_eq!(tag_problem(&ok), None);
        for bad in [
            vec![JobTag::new("", "x")],
            vec![JobTag::new("k".repeat(MAX_KEY + 1), "x")],
            vec![JobTag::new("a=b", "x")],
            vec![JobTag::new("k", "a,b")],
            vec![JobTag::new("k", "a=b")],
            vec![JobTag::new("k", "v".repeat(MAX_VALUE + 1))],
            vec![JobTag::new("k", "1"), JobTag::new("k", "2")],
            (0..=MAX_TAGS)
                .map(|i| JobTag::new(format!("k{i}"), "v"))
                .collect(),
        ] {
            assert!(tag_problem(&bad).is_some(), "{bad:?}");
        }
    }
}
