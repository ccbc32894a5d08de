//! The built-in relations of `pg_catalog` and `information_schema` as rows of `pg_class`
//! and `pg_attribute`, so `'pg_class'::regclass`, `\d pg_class` and joins from the
//! library's static tables (`pg_index`, `pg_description` …) find them.
//!
//! Owns: choosing their OIDs — Postgres' own, read from the composite types in the
//! library's static `pg_type` (`typrelid` of the type named like the relation), or a
//! name-derived OID below 16384 for the few the export lacks — and their columns, read
//! from the Arrow schemas of the emulated relations.

use std::collections::HashMap;

use datafusion::arrow::array::{Array, Int32Array, StringArray};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion_pg_catalog::pg_catalog::PgCatalogStaticTables;

use super::oids::{INFORMATION_SCHEMA_NAMESPACE, PG_CATALOG_NAMESPACE};

/// One built-in relation.
#[derive(Debug, Clone)]
pub struct SystemRel {
    pub name: String,
    pub oid: u32,
    pub namespace_oid: u32,
    /// `r` or `v`.
    pub relkind: &'static str,
    pub schema: SchemaRef,
}

/// Names of the views among `pg_catalog`'s relations.
const PG_VIEWS: &[&str] = &[
    "pg_roles",
    "pg_settings",
    "pg_stat_gssapi",
    "pg_tables",
    "pg_views",
    "pg_matviews",
    "pg_stat_user_tables",
    "pg_replication_slots",
    "pg_user",
    "pg_cursors",
    "pg_stat_activity",
    "pg_statio_user_tables",
];

/// `(typname, typnamespace) → typrelid` of the composite types in the static `pg_type`.
pub fn composite_type_relids(st: &PgCatalogStaticTables) -> HashMap<(String, u32), u32> {
    let mut out = HashMap::new();
    for batch in st.pg_type.data() {
        let col = |n: &str| {
            batch
                .schema()
                .index_of(n)
                .ok()
                .map(|i| batch.column(i).clone())
        };
        let (Some(name), Some(ns), Some(relid)) =
            (col("typname"), col("typnamespace"), col("typrelid"))
        else {
            continue;
        };
        let (Some(name), Some(ns), Some(relid)) = (
            name.as_any().downcast_ref::<StringArray>(),
            ns.as_any().downcast_ref::<Int32Array>(),
            relid.as_any().downcast_ref::<Int32Array>(),
        ) else {
            continue;
        };
        for i in 0..batch.num_rows() {
            if name.is_null(i) || relid.value(i) == 0 {
                continue;
            }
            let (Ok(nsp), Ok(rel)) = (u32::try_from(ns.value(i)), u32::try_from(relid.value(i)))
            else {
                continue;
            };
            out.insert((name.value(i).to_string(), nsp), rel);
        }
    }
    out
}

/// A built-in relation of `pg_catalog` (`information_schema` when `info`).
pub fn system_rel(
    name: &str,
    schema: SchemaRef,
    info: bool,
    relids: &HashMap<(String, u32), u32>,
) -> SystemRel {
    let namespace_oid = if info {
        INFORMATION_SCHEMA_NAMESPACE
    } else {
        PG_CATALOG_NAMESPACE
    };
    let known = relids
        .get(&(name.to_string(), namespace_oid))
        .or_else(|| relids.get(&(name.to_string(), PG_CATALOG_NAMESPACE)))
        .copied()
        .filter(|_| !info);
    let oid = known.unwrap_or_else(|| {
        // Below the user range, above Postgres' fixed-OID range of built-ins.
        let h = super::oids::derive(super::oids::ObjectKind::Relation, &["sys", name], 0);
        12_000 + h % 4_000
    });
    let relkind = if info || PG_VIEWS.contains(&name) {
        "v"
    } else {
        "r"
    };
    SystemRel {
        name: name.to_string(),
        oid,
        namespace_oid,
        relkind,
        schema,
    }
}
