//! Postgres facts about a column's type, derived from the one type table
//! ([`crate::pgtypes`]): the type OID, `typname`, `atttypmod`, `format_type` text and the
//! information_schema descriptors (`data_type`, lengths, precision, scale).
//!
//! Owns: nothing but these derivations; the Spark → Postgres choice itself stays in
//! `pgtypes` so `pg_attribute` and RowDescription agree. Also maps Arrow result types of
//! catalog queries back through the same table ([`arrow_spark_name`]).

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use pgwire::api::Type;

use crate::pgtypes::{
    Modifier, PG_CHAR, PG_OID_ARRAY, PgEntry, PgTypeInfo, Precision, SparkType, pg_entry,
};

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

    /// The type table's row of this type.
    fn row(&self) -> Option<&'static PgEntry> {
        pg_entry(&self.pg)
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
        let m = self.typmod - 4;
        match self.row().map(|r| r.modifier) {
            _ if m < 0 => base,
            Some(Modifier::PrecisionScale) => {
                format!("{base}({},{})", (m >> 16) & 0xffff, m & 0xffff)
            }
            Some(Modifier::Length) => format!("{base}({m})"),
            Some(Modifier::None) | None => base,
        }
    }

    /// information_schema `character_maximum_length`.
    pub fn char_max_length(&self) -> Option<i32> {
        self.row()
            .is_some_and(|r| r.modifier == Modifier::Length)
            .then(|| self.typmod - 4)
            .filter(|n| *n > 0)
    }

    /// Whether values of this type have the default collation (text types).
    pub fn collatable(&self) -> bool {
        self.row().is_some_and(|r| r.collatable)
    }

    /// (`numeric_precision`, `numeric_precision_radix`, `numeric_scale`).
    pub fn numeric(&self) -> (Option<i32>, Option<i32>, Option<i32>) {
        match self.row().map(|r| r.precision) {
            Some(Precision::Integer(bits)) => (Some(bits), Some(2), Some(0)),
            Some(Precision::Float(bits)) => (Some(bits), Some(2), None),
            Some(Precision::Decimal) if self.typmod >= 4 => (
                Some(((self.typmod - 4) >> 16) & 0xffff),
                Some(10),
                Some((self.typmod - 4) & 0xffff),
            ),
            Some(Precision::Decimal) => (None, Some(10), None),
            _ => (None, None, None),
        }
    }

    /// information_schema `datetime_precision`.
    pub fn datetime_precision(&self) -> Option<i32> {
        match self.row().map(|r| r.precision) {
            Some(Precision::Datetime(digits)) => Some(digits),
            _ => None,
        }
    }
}

/// The SQL spelling of a type from the type table (`integer`, `character varying` …),
/// else its `pg_type` name.
fn base_sql_name(t: &Type) -> String {
    pg_entry(t).map_or_else(|| t.name().to_string(), |r| r.sql.to_string())
}

/// Field metadata key naming a catalog column's Postgres type when Arrow cannot
/// (`"char"` columns are Arrow strings).
pub const PG_TYPE_KEY: &str = "pg.type";

/// Postgres' one-byte `"char"` columns of the catalog relations, by relation.
pub const CHAR_COLUMNS: &[(&str, &[&str])] = &[
    (
        "pg_type",
        &[
            "typtype",
            "typcategory",
            "typdelim",
            "typalign",
            "typstorage",
        ],
    ),
    ("pg_class", &["relpersistence", "relkind", "relreplident"]),
    (
        "pg_attribute",
        &[
            "attalign",
            "attstorage",
            "attcompression",
            "attidentity",
            "attgenerated",
        ],
    ),
    ("pg_proc", &["prokind", "provolatile", "proparallel"]),
    (
        "pg_constraint",
        &["contype", "confupdtype", "confdeltype", "confmatchtype"],
    ),
    ("pg_am", &["amtype"]),
    ("pg_database", &["datlocprovider"]),
    ("pg_partitioned_table", &["partstrat"]),
    ("pg_collation", &["collprovider"]),
    ("pg_cast", &["castcontext", "castmethod"]),
    ("pg_operator", &["oprkind"]),
    ("pg_depend", &["deptype"]),
    ("pg_trigger", &["tgenabled"]),
];

/// `schema` with the `"char"` columns of relation `name` marked.
pub fn mark_char_columns(name: &str, schema: SchemaRef) -> SchemaRef {
    let Some((_, cols)) = CHAR_COLUMNS.iter().find(|(t, _)| *t == name) else {
        return schema;
    };
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            if cols.contains(&f.name().as_str()) && f.data_type() == &DataType::Utf8 {
                let mut md = f.metadata().clone();
                md.insert(PG_TYPE_KEY.to_string(), "char".to_string());
                f.as_ref().clone().with_metadata(md)
            } else {
                f.as_ref().clone()
            }
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// Is this result column a `"char"`? By the mark, or for a canonical catalog column
/// name when the plan dropped the mark.
pub fn is_char(f: &Field) -> bool {
    f.data_type() == &DataType::Utf8
        && (f.metadata().get(PG_TYPE_KEY).is_some_and(|t| t == "char")
            || CHAR_COLUMNS
                .iter()
                .any(|(_, cols)| cols.contains(&f.name().as_str())))
}

/// The Spark type name of an Arrow type (catalog results and Describe), so that catalog
/// answers are typed by the same table as DLI results.
pub fn arrow_spark_name(dt: &DataType) -> String {
    SparkType::from_arrow(dt).spark_name()
}

/// The Spark type of a result field (`"char"` columns are [`PG_CHAR`], lists of OIDs
/// [`PG_OID_ARRAY`]).
fn field_spark_type(f: &Field) -> SparkType {
    let oid_list = matches!(f.data_type(), DataType::List(item) if item.data_type() == &DataType::Int32)
        && f.name().ends_with("oids");
    if is_char(f) {
        SparkType::Other(PG_CHAR.to_string())
    } else if oid_list {
        SparkType::Other(PG_OID_ARRAY.to_string())
    } else {
        SparkType::from_arrow(f.data_type())
    }
}

/// The Spark type name of a result field (`"char"` columns get [`PG_CHAR`]).
pub fn field_spark_name(f: &Field) -> String {
    field_spark_type(f).spark_name()
}

/// The Postgres type of an Arrow result column.
pub fn arrow_pg_type(dt: &DataType) -> Type {
    SparkType::from_arrow(dt).pg_type().pg
}

/// The Postgres type of a result field.
pub fn field_pg_type(f: &Field) -> Type {
    field_spark_type(f).pg_type().pg
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
