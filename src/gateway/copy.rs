//! `COPY … TO STDOUT`, read from its parse.
//!
//! Owns: what a `COPY` statement asks for — the query whose rows it copies (`COPY (query)`
//! or `COPY table [(columns)]`) and the output format ([`CopyFormat`]: text or CSV,
//! HEADER, DELIMITER, NULL, QUOTE, ESCAPE), from both option syntaxes (`WITH (FORMAT csv,
//! HEADER)` and psql's `\copy … CSV HEADER`). The gateway serves COPY itself from the
//! query's rows; it is never sent to DLI. `COPY FROM` and server files are refused.
//! Protocol-neutral: the wire encoding is [`super::copy_out`].

use sqlparser::ast::{
    CopyLegacyCsvOption, CopyLegacyOption, CopyOption, CopySource, CopyTarget, Ident, ObjectName,
};

use crate::errors::{ErrorKind, GatewayError};

/// How `COPY TO` writes rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyFormat {
    pub csv: bool,
    pub header: bool,
    pub delimiter: char,
    /// How NULL is written: `\N` (text), empty (CSV) unless set.
    pub null: String,
    pub quote: char,
    pub escape: char,
}

impl CopyFormat {
    /// Postgres' defaults for the text format.
    pub fn text() -> CopyFormat {
        CopyFormat {
            csv: false,
            header: false,
            delimiter: '\t',
            null: "\\N".into(),
            quote: '"',
            escape: '"',
        }
    }
}

/// What rows a `COPY TO STDOUT` copies.
#[derive(Debug, Clone, PartialEq)]
pub enum CopyRows {
    /// `COPY (query) TO …`: the query between the parentheses.
    Query,
    /// `COPY table [(columns)] TO …`: the table's rows, as this query's.
    Table(String),
}

fn not_supported(what: &str) -> GatewayError {
    GatewayError::new(ErrorKind::NotSupported, format!("{what} is not supported"))
        .with_hint("The gateway serves COPY (query) TO STDOUT and COPY table TO STDOUT, in text or CSV format; load data with INSERT.")
}

/// Read a `COPY` statement's parts.
pub fn read(
    source: &CopySource,
    to: bool,
    target: &CopyTarget,
    options: &[CopyOption],
    legacy: &[CopyLegacyOption],
) -> Result<(CopyRows, CopyFormat), GatewayError> {
    if !to {
        return Err(not_supported("COPY FROM"));
    }
    if *target != CopyTarget::Stdout {
        return Err(GatewayError::new(
            ErrorKind::PermissionDenied,
            "COPY to a file or program on the server is not allowed",
        )
        .with_hint("Use COPY … TO STDOUT (psql's \\copy writes the client's file)."));
    }
    let rows = match source {
        CopySource::Query(_) => CopyRows::Query,
        CopySource::Table {
            table_name,
            columns,
        } => CopyRows::Table(table_query(table_name, columns)),
    };
    Ok((rows, format(options, legacy)?))
}

/// `SELECT a, b FROM db.t` for `COPY db.t (a, b)`.
fn table_query(table: &ObjectName, columns: &[Ident]) -> String {
    let cols = if columns.is_empty() {
        "*".to_string()
    } else {
        columns
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("SELECT {cols} FROM {table}")
}

fn format(options: &[CopyOption], legacy: &[CopyLegacyOption]) -> Result<CopyFormat, GatewayError> {
    let mut f = CopyFormat::text();
    let mut null = None;
    let mut quote = None;
    let mut escape = None;
    let mut delimiter = None;
    for o in options {
        match o {
            CopyOption::Format(name) => match name.value.to_ascii_lowercase().as_str() {
                "text" => f.csv = false,
                "csv" => f.csv = true,
                other => return Err(not_supported(&format!("COPY format {other}"))),
            },
            CopyOption::Header(h) => f.header = *h,
            CopyOption::Delimiter(c) => delimiter = Some(*c),
            CopyOption::Null(s) => null = Some(s.clone()),
            CopyOption::Quote(c) => quote = Some(*c),
            CopyOption::Escape(c) => escape = Some(*c),
            CopyOption::Encoding(e)
                if e.eq_ignore_ascii_case("utf8") || e.eq_ignore_ascii_case("utf-8") => {}
            other => return Err(not_supported(&format!("COPY option {other}"))),
        }
    }
    for o in legacy {
        match o {
            CopyLegacyOption::Delimiter(c) => delimiter = Some(*c),
            CopyLegacyOption::Null(s) => null = Some(s.clone()),
            CopyLegacyOption::Csv(csv) => {
                f.csv = true;
                for c in csv {
                    match c {
                        CopyLegacyCsvOption::Header => f.header = true,
                        CopyLegacyCsvOption::Quote(q) => quote = Some(*q),
                        CopyLegacyCsvOption::Escape(e) => escape = Some(*e),
                        other => return Err(not_supported(&format!("COPY option {other}"))),
                    }
                }
            }
            other => return Err(not_supported(&format!("COPY option {other}"))),
        }
    }
    if f.csv {
        f.delimiter = ',';
        f.null = String::new();
    }
    if let Some(d) = delimiter {
        f.delimiter = d;
    }
    if let Some(n) = null {
        f.null = n;
    }
    if let Some(q) = quote {
        f.quote = q;
        f.escape = q;
    }
    if let Some(e) = escape {
        f.escape = e;
    }
    if !f.csv && (quote.is_some() || escape.is_some()) {
        return Err(GatewayError::new(
            ErrorKind::NotSupported,
            "COPY QUOTE and ESCAPE are available only in CSV mode",
        ));
    }
    if matches!(f.delimiter, '\r' | '\n' | '\\') || (f.csv && f.delimiter == f.quote) {
        return Err(GatewayError::new(
            ErrorKind::InvalidParameter,
            format!("COPY delimiter {:?} cannot be used", f.delimiter),
        ));
    }
    Ok(f)
}
