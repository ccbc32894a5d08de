//! What the translator refuses: a Postgres construct with no Spark equivalent.

use std::fmt;

/// A construct that has no Spark equivalent (SQLSTATE 0A000), named as the user wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untranslatable {
    /// The construct, e.g. `to_char pattern "TZ"` or `EXTRACT(TIMEZONE_HOUR …)`.
    pub construct: String,
    /// What the user can write instead, when there is something.
    pub hint: Option<String>,
}

impl Untranslatable {
    pub fn new(construct: impl Into<String>) -> Self {
        Untranslatable {
            construct: construct.into(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Untranslatable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} has no Spark SQL equivalent on DLI", self.construct)
    }
}

impl std::error::Error for Untranslatable {}
