//! What the translation may know of column types (from the catalog's cached metadata).

use crate::pgtypes::SparkType;

/// Column types from cached metadata, for the rewrites whose meaning depends on them
/// (integer division). `db` is `None` for an unqualified table name.
pub trait ColumnTypes {
    fn column_type(&self, db: Option<&str>, table: &str, column: &str) -> Option<SparkType>;
}

/// No metadata: every column's type is unknown.
pub struct NoColumns;

impl ColumnTypes for NoColumns {
    fn column_type(&self, _: Option<&str>, _: &str, _: &str) -> Option<SparkType> {
        None
    }
}
