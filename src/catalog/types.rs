//! Postgres facts about a column's type, derived from the one type table
//! ([`crate::pgtypes`]): the type OID, `typname`, `atttypmod`, `format_type` text and the
//! information_schema descriptors (`data_type`, lengths, precision, scale).
//!
//! Owns: nothing but these derivations; the Spark → Postgres choice itself stays in
//! `pgtypes` so `pg_attribute` and RowDescription agree. Also maps Arrow result types of
//! catalog queries back through the same table ([`arrow_spark_name`]).

use datafusion::arrow::datatypes::DataType;
use pgwire::api::Type;

use crate::localdli::sparktypes::SparkType as ArrowSpark;
use crate::pgtypes::{PgTypeInfo, SparkType};

/// What a column of a Spark type looks like in Postgres.
#[derive(Debug, Clone, PartialEq)]
pub struct ColType {
    pub pg: Type,
    pub len: i16,
    pub typmod: i32,
}

impl ColType {
    pub fn of(spark: &SparkType) -> ColType {
        let PgTypeInfo { pg, len, typmod } = spark.pg_type();
        ColType { pg, len, typmod }
    }

    pub fn oid(&self) -> u32 {
        self.pg.oid()
    }

    /// `pg_type.typname` (`int4`, `_text` …).
    pub fn typname(&self) -> &str {
        self.pg.name()
    }

    fn element(&self) -> Option<Type> {
        match self.pg.kind() {
            postgres_types::Kind::Array(e) => Some(e.clone()),
            _ => None,
        }
    }

    /// SQL name without modifiers, as information_schema's `data_type` spells it
    /// (arrays are `ARRAY`).
    pub fn sql_name(&self) -> String {
        if self.element().is_some() {
            return "ARRAY".into();
        }
        base_sql_name(&self.pg)
    }

    /// `format_type(atttypid, atttypmod)`.
    pub fn format_type(&self) -> String {
        if let Some(e) = self.element() {
            return format!("{}[]", base_sql_name(&e));
        }
        let base = base_sql_name(&self.pg);
        match (self.pg.oid(), self.typmod) {
            (_, m) if m < 4 => base,
            (1700, m) => {
                let (p, s) = (((m - 4) >> 16) & 0xffff, (m - 4) & 0xffff);
                format!("numeric({p},{s})")
            }
            (1042 | 1043, m) => format!("{base}({})", m - 4),
            _ => base,
        }
    }

    /// information_schema `character_maximum_length`.
    pub fn char_max_length(&self) -> Option<i32> {
        matches!(self.pg.oid(), 1042 | 1043)
            .then(|| self.typmod - 4)
            .filter(|n| *n > 0)
    }

    /// (`numeric_precision`, `numeric_precision_radix`, `numeric_scale`).
    pub fn numeric(&self) -> (Option<i32>, Option<i32>, Option<i32>) {
        match self.pg.oid() {
            21 => (Some(16), Some(2), Some(0)),
            23 => (Some(32), Some(2), Some(0)),
            20 => (Some(64), Some(2), Some(0)),
            700 => (Some(24), Some(2), None),
            701 => (Some(53), Some(2), None),
            1700 if self.typmod >= 4 => (
                Some(((self.typmod - 4) >> 16) & 0xffff),
                Some(10),
                Some((self.typmod - 4) & 0xffff),
            ),
            1700 => (None, Some(10), None),
            _ => (None, None, None),
        }
    }

    /// information_schema `datetime_precision`.
    pub fn datetime_precision(&self) -> Option<i32> {
        match self.pg.oid() {
            1082 => Some(0),
            1114 => Some(6),
            _ => None,
        }
    }
}

fn base_sql_name(t: &Type) -> String {
    match t.oid() {
        16 => "boolean",
        17 => "bytea",
        20 => "bigint",
        21 => "smallint",
        23 => "integer",
        25 => "text",
        114 => "json",
        700 => "real",
        701 => "double precision",
        1042 => "character",
        1043 => "character varying",
        1082 => "date",
        1114 => "timestamp without time zone",
        1700 => "numeric",
        _ => return t.name().to_string(),
    }
    .to_string()
}

/// The Spark type name of an Arrow type (catalog results and Describe), so that catalog
/// answers are typed by the same table as DLI results.
pub fn arrow_spark_name(dt: &DataType) -> String {
    ArrowSpark::from_arrow(dt).sql_name()
}

/// The Postgres type of an Arrow result column.
pub fn arrow_pg_type(dt: &DataType) -> Type {
    SparkType::parse(&arrow_spark_name(dt)).pg_type().pg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> ColType {
        ColType::of(&SparkType::parse(s))
    }

    #[test]
    fn format_type_matches_postgres() {
        assert_eq!(t("int").format_type(), "integer");
        assert_eq!(t("decimal(10,2)").format_type(), "numeric(10,2)");
        assert_eq!(t("decimal(10,0)").format_type(), "numeric(10,0)");
        assert_eq!(t("string").format_type(), "text");
        assert_eq!(t("varchar(20)").format_type(), "character varying(20)");
        assert_eq!(t("char(3)").format_type(), "character(3)");
        assert_eq!(t("timestamp").format_type(), "timestamp without time zone");
        assert_eq!(t("array<int>").format_type(), "integer[]");
        assert_eq!(t("map<string,int>").format_type(), "json");
        assert_eq!(t("tinyint").typname(), "int2");
    }

    #[test]
    fn information_schema_facts() {
        assert_eq!(t("decimal(12,3)").numeric(), (Some(12), Some(10), Some(3)));
        assert_eq!(t("varchar(5)").char_max_length(), Some(5));
        assert_eq!(t("array<string>").sql_name(), "ARRAY");
        assert_eq!(arrow_pg_type(&DataType::Int32), Type::INT4);
        assert_eq!(arrow_pg_type(&DataType::Utf8), Type::TEXT);
    }
}
