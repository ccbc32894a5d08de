//! Name tests of catalog conditions: an exact name, a LIKE/ILIKE pattern or a simple
//! psql-style regular expression (`^(a|b)$` …), matched against schema and table names.
//!
//! Owns: [`Matcher`] and its matching. Pure; knows nothing of SQL ASTs.

/// A name test: exact, or a LIKE-style pattern.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Matcher {
    Exact(String),
    /// Tokens of a LIKE pattern or a simple psql regex: `None` = any run, `Some(None)` =
    /// any one character.
    Pattern {
        tokens: Vec<Option<Option<char>>>,
        fold: bool,
    },
}

impl Matcher {
    pub(super) fn matches(&self, name: &str) -> bool {
        match self {
            Matcher::Exact(s) => s == name,
            Matcher::Pattern { tokens, fold } => {
                let chars: Vec<char> = if *fold {
                    name.to_lowercase().chars().collect()
                } else {
                    name.chars().collect()
                };
                glob(tokens, &chars)
            }
        }
    }

    /// A LIKE pattern (`\` escapes).
    pub(super) fn like(p: &str, fold: bool) -> Matcher {
        let mut tokens = Vec::new();
        let mut it = p.chars();
        while let Some(c) = it.next() {
            tokens.push(match c {
                '%' => None,
                '_' => Some(None),
                '\\' => Some(it.next()),
                c if fold => Some(c.to_lowercase().next()),
                c => Some(Some(c)),
            });
        }
        Matcher::Pattern { tokens, fold }
    }

    /// psql's anchored patterns (`^(name)$`, `^(na.*)$`); `None` for any other regex.
    pub(super) fn psql_regex(p: &str, fold: bool) -> Option<Matcher> {
        let inner = p.strip_prefix("^(")?.strip_suffix(")$")?;
        let mut tokens = Vec::new();
        let mut it = inner.chars().peekable();
        while let Some(c) = it.next() {
            match c {
                '.' if it.peek() == Some(&'*') => {
                    it.next();
                    tokens.push(None);
                }
                '.' => tokens.push(Some(None)),
                '\\' => tokens.push(Some(it.next())),
                c if c.is_alphanumeric() || c == '_' || c == ' ' || c == '-' => {
                    tokens.push(Some(if fold {
                        c.to_lowercase().next()
                    } else {
                        Some(c)
                    }))
                }
                _ => return None,
            }
        }
        Some(Matcher::Pattern { tokens, fold })
    }
}

/// LIKE-style matching (iterative, with backtracking to the last `%`).
fn glob(tokens: &[Option<Option<char>>], s: &[char]) -> bool {
    let (mut t, mut i) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        match tokens.get(t) {
            Some(None) => {
                star = Some((t, i));
                t += 1;
            }
            Some(Some(c)) if c.is_none_or(|c| c == s[i]) => {
                t += 1;
                i += 1;
            }
            _ => match star {
                Some((st, si)) => {
                    t = st + 1;
                    i = si + 1;
                    star = Some((st, si + 1));
                }
                None => return false,
            },
        }
    }
    tokens[t.min(tokens.len())..].iter().all(Option::is_none)
}
