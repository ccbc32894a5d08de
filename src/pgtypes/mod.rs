//! The one type module: Spark types, the Spark ↔ Postgres tables, Spark ↔ Arrow, and the
//! conversion of DLI result values.
//!
//! Owns every fact about a type, once:
//! - [`spark`]: the one [`SparkType`] and the one parser of Spark type names (lenient
//!   for what DLI reports, strict for the embedded service);
//! - [`table`]: the Postgres types the gateway speaks ([`PG_TYPES`]: names, SQL spelling,
//!   length, array type, modifier, precision, collation, Spark equivalent) and the Spark
//!   → Postgres table ([`entry`]); RowDescription, `pg_type`/`pg_attribute`/
//!   `information_schema`, parameter typing and literal rendering all read them;
//! - [`arrow`]: Spark ↔ Arrow, for the catalog and the embedded service alike;
//! - [`value`]: [`PgValue`], the typed value every encoder writes (text and binary).
//!
//! Must not know about HTTP, sessions or SQL statements.

pub mod arrow;
pub mod spark;
pub mod spelling;
pub mod table;
pub mod text;
pub mod value;

#[cfg(test)]
mod tests;

pub use arrow::spark_columns;
pub use spark::{Scalar, SparkType, TypeError, struct_json};
pub use table::{
    Modifier, PG_CHAR, PG_OID_ARRAY, PG_TYPES, PgEntry, PgTypeInfo, Precision, TypeEntry,
    cast_type, entry, pg_element_entry, pg_entry, postgres_type, spark_keyword,
};
pub use value::{ConversionError, PgValue, numeric_binary};
