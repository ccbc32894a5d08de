//! `information_schema` over the metadata snapshot.
//!
//! Owns: the views clients read (`schemata`, `tables`, `columns`, `views`, the constraint
//! views, `routines`, `parameters`, `table_privileges`, `character_sets` …) with
//! Postgres' column names and its type descriptors (`data_type`, `udt_name`,
//! `character_maximum_length`, `numeric_precision` … from [`super::types`]).
//! `datafusion-pg-catalog` has no information_schema and DataFusion's own one reports
//! Arrow types, so this one is ours. DLI has no keys or routines: those views are empty.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::TableProvider;
use datafusion::error::Result;

use super::batch::{TableBuilder, V};
use super::model::{RelKind, Snapshot};
use super::system::SystemRel;
use super::types::ColType;

/// `(name, is_integer)` columns of each view; everything not an integer is text.
const VIEWS: &[(&str, &[&str], &[&str])] = &[
    (
        "schemata",
        &[
            "catalog_name",
            "schema_name",
            "schema_owner",
            "default_character_set_catalog",
            "default_character_set_schema",
            "default_character_set_name",
            "sql_path",
        ],
        &[],
    ),
    (
        "tables",
        &[
            "table_catalog",
            "table_schema",
            "table_name",
            "table_type",
            "self_referencing_column_name",
            "reference_generation",
            "user_defined_type_catalog",
            "user_defined_type_schema",
            "user_defined_type_name",
            "is_insertable_into",
            "is_typed",
            "commit_action",
        ],
        &[],
    ),
    (
        "columns",
        &[
            "table_catalog",
            "table_schema",
            "table_name",
            "column_name",
            "ordinal_position",
            "column_default",
            "is_nullable",
            "data_type",
            "character_maximum_length",
            "character_octet_length",
            "numeric_precision",
            "numeric_precision_radix",
            "numeric_scale",
            "datetime_precision",
            "interval_type",
            "interval_precision",
            "character_set_catalog",
            "character_set_schema",
            "character_set_name",
            "collation_catalog",
            "collation_schema",
            "collation_name",
            "domain_catalog",
            "domain_schema",
            "domain_name",
            "udt_catalog",
            "udt_schema",
            "udt_name",
            "scope_catalog",
            "scope_schema",
            "scope_name",
            "maximum_cardinality",
            "dtd_identifier",
            "is_self_referencing",
            "is_identity",
            "identity_generation",
            "identity_start",
            "identity_increment",
            "identity_maximum",
            "identity_minimum",
            "identity_cycle",
            "is_generated",
            "generation_expression",
            "is_updatable",
        ],
        &[
            "ordinal_position",
            "character_maximum_length",
            "character_octet_length",
            "numeric_precision",
            "numeric_precision_radix",
            "numeric_scale",
            "datetime_precision",
            "interval_precision",
            "maximum_cardinality",
        ],
    ),
    (
        "views",
        &[
            "table_catalog",
            "table_schema",
            "table_name",
            "view_definition",
            "check_option",
            "is_updatable",
            "is_insertable_into",
            "is_trigger_updatable",
            "is_trigger_deletable",
            "is_trigger_insertable_into",
        ],
        &[],
    ),
    (
        "table_constraints",
        &[
            "constraint_catalog",
            "constraint_schema",
            "constraint_name",
            "table_catalog",
            "table_schema",
            "table_name",
            "constraint_type",
            "is_deferrable",
            "initially_deferred",
            "enforced",
            "nulls_distinct",
        ],
        &[],
    ),
    (
        "key_column_usage",
        &[
            "constraint_catalog",
            "constraint_schema",
            "constraint_name",
            "table_catalog",
            "table_schema",
            "table_name",
            "column_name",
            "ordinal_position",
            "position_in_unique_constraint",
        ],
        &["ordinal_position", "position_in_unique_constraint"],
    ),
    (
        "referential_constraints",
        &[
            "constraint_catalog",
            "constraint_schema",
            "constraint_name",
            "unique_constraint_catalog",
            "unique_constraint_schema",
            "unique_constraint_name",
            "match_option",
            "update_rule",
            "delete_rule",
        ],
        &[],
    ),
    (
        "constraint_column_usage",
        &[
            "table_catalog",
            "table_schema",
            "table_name",
            "column_name",
            "constraint_catalog",
            "constraint_schema",
            "constraint_name",
        ],
        &[],
    ),
    (
        "check_constraints",
        &[
            "constraint_catalog",
            "constraint_schema",
            "constraint_name",
            "check_clause",
        ],
        &[],
    ),
    (
        "routines",
        &[
            "specific_catalog",
            "specific_schema",
            "specific_name",
            "routine_catalog",
            "routine_schema",
            "routine_name",
            "routine_type",
            "data_type",
            "type_udt_name",
            "routine_body",
            "routine_definition",
            "external_language",
            "is_deterministic",
        ],
        &[],
    ),
    (
        "parameters",
        &[
            "specific_catalog",
            "specific_schema",
            "specific_name",
            "ordinal_position",
            "parameter_mode",
            "parameter_name",
            "data_type",
            "udt_name",
        ],
        &["ordinal_position"],
    ),
    (
        "table_privileges",
        &[
            "grantor",
            "grantee",
            "table_catalog",
            "table_schema",
            "table_name",
            "privilege_type",
            "is_grantable",
            "with_hierarchy",
        ],
        &[],
    ),
    (
        "character_sets",
        &[
            "character_set_catalog",
            "character_set_schema",
            "character_set_name",
            "character_repertoire",
            "form_of_use",
            "default_collate_catalog",
            "default_collate_schema",
            "default_collate_name",
        ],
        &[],
    ),
    (
        "sequences",
        &[
            "sequence_catalog",
            "sequence_schema",
            "sequence_name",
            "data_type",
            "numeric_precision",
            "numeric_scale",
            "start_value",
            "minimum_value",
            "maximum_value",
            "increment",
            "cycle_option",
        ],
        &["numeric_precision", "numeric_scale"],
    ),
    (
        "triggers",
        &[
            "trigger_catalog",
            "trigger_schema",
            "trigger_name",
            "event_manipulation",
            "event_object_schema",
            "event_object_table",
            "action_statement",
            "action_timing",
        ],
        &[],
    ),
    ("enabled_roles", &["role_name"], &[]),
    (
        "domains",
        &[
            "domain_catalog",
            "domain_schema",
            "domain_name",
            "data_type",
        ],
        &[],
    ),
];

/// The schema of each information_schema view.
pub fn schemas() -> Vec<(&'static str, SchemaRef)> {
    VIEWS
        .iter()
        .map(|(name, cols, ints)| {
            let fields: Vec<Field> = cols
                .iter()
                .map(|c| {
                    let dt = if ints.contains(c) {
                        DataType::Int32
                    } else {
                        DataType::Utf8
                    };
                    Field::new(*c, dt, true)
                })
                .collect();
            (*name, Arc::new(Schema::new(fields)))
        })
        .collect()
}

fn yes(b: bool) -> V {
    V::from(if b { "YES" } else { "NO" })
}

/// Every view, filled from `snap` (`user` owns everything and appears in `enabled_roles`).
pub fn build(
    snap: &Snapshot,
    system: &[SystemRel],
    catalog: &str,
    user: &str,
) -> Result<HashMap<String, Arc<dyn TableProvider>>> {
    let mut out = HashMap::new();
    for (name, schema) in schemas() {
        let mut b = TableBuilder::new(schema);
        match name {
            "schemata" => schemata(&mut b, snap, catalog, user),
            "tables" => tables(&mut b, snap, system, catalog),
            "columns" => columns(&mut b, snap, catalog),
            "views" => views(&mut b, snap, catalog),
            "table_privileges" => privileges(&mut b, snap, catalog, user),
            "character_sets" => b.row([
                ("character_set_name", "UTF8".into()),
                ("character_repertoire", "UCS".into()),
                ("form_of_use", "UTF8".into()),
                ("default_collate_catalog", catalog.into()),
                ("default_collate_schema", "pg_catalog".into()),
                ("default_collate_name", "C.UTF-8".into()),
            ]),
            "enabled_roles" => b.row([("role_name", user.into())]),
            _ => {}
        }
        let t: Arc<dyn TableProvider> = b.into_table()?;
        out.insert(name.to_string(), t);
    }
    Ok(out)
}

fn schemata(b: &mut TableBuilder, snap: &Snapshot, catalog: &str, user: &str) {
    let names = ["pg_catalog", "information_schema"]
        .into_iter()
        .chain(snap.databases.iter().map(|d| d.name.as_str()));
    for n in names {
        b.row([
            ("catalog_name", catalog.into()),
            ("schema_name", n.into()),
            ("schema_owner", user.into()),
        ]);
    }
}

fn tables(b: &mut TableBuilder, snap: &Snapshot, system: &[SystemRel], catalog: &str) {
    for r in system {
        let schema = if r.namespace_oid == super::oids::PG_CATALOG_NAMESPACE {
            "pg_catalog"
        } else {
            "information_schema"
        };
        let ty = if r.relkind == "r" {
            "BASE TABLE"
        } else {
            "VIEW"
        };
        b.row([
            ("table_catalog", catalog.into()),
            ("table_schema", schema.into()),
            ("table_name", r.name.as_str().into()),
            ("table_type", ty.into()),
            ("is_insertable_into", yes(false)),
            ("is_typed", yes(false)),
        ]);
    }
    for rel in &snap.relations {
        let t = snap.table(rel);
        let is_table = t.kind == RelKind::Table;
        b.row([
            ("table_catalog", catalog.into()),
            ("table_schema", snap.db_name(rel).into()),
            ("table_name", t.name.as_str().into()),
            (
                "table_type",
                V::from(if is_table { "BASE TABLE" } else { "VIEW" }),
            ),
            ("is_insertable_into", yes(is_table)),
            ("is_typed", yes(false)),
        ]);
    }
}

fn columns(b: &mut TableBuilder, snap: &Snapshot, catalog: &str) {
    for rel in &snap.relations {
        let t = snap.table(rel);
        for (i, c) in t.columns.iter().enumerate() {
            let ct = ColType::of(&c.spark());
            let (precision, radix, scale) = ct.numeric();
            let opt = |n: Option<i32>| n.map_or(V::Null, V::from);
            let text_like = ct.collatable();
            b.row([
                ("table_catalog", catalog.into()),
                ("table_schema", snap.db_name(rel).into()),
                ("table_name", t.name.as_str().into()),
                ("column_name", c.name.as_str().into()),
                ("ordinal_position", (i + 1).into()),
                ("is_nullable", yes(true)),
                ("data_type", ct.sql_name().into()),
                ("character_maximum_length", opt(ct.char_max_length())),
                (
                    "character_octet_length",
                    if text_like {
                        opt(ct.char_max_length().map(|n| n * 4).or(Some(1_073_741_824)))
                    } else {
                        V::Null
                    },
                ),
                ("numeric_precision", opt(precision)),
                ("numeric_precision_radix", opt(radix)),
                ("numeric_scale", opt(scale)),
                ("datetime_precision", opt(ct.datetime_precision())),
                ("udt_catalog", catalog.into()),
                ("udt_schema", "pg_catalog".into()),
                ("udt_name", ct.typname().into()),
                ("dtd_identifier", (i + 1).to_string().into()),
                ("is_self_referencing", yes(false)),
                ("is_identity", yes(false)),
                ("is_generated", "NEVER".into()),
                ("is_updatable", yes(t.kind == RelKind::Table)),
            ]);
        }
    }
}

fn views(b: &mut TableBuilder, snap: &Snapshot, catalog: &str) {
    for rel in &snap.relations {
        let t = snap.table(rel);
        if t.kind != RelKind::View {
            continue;
        }
        b.row([
            ("table_catalog", catalog.into()),
            ("table_schema", snap.db_name(rel).into()),
            ("table_name", t.name.as_str().into()),
            ("view_definition", t.definition.clone().into()),
            ("check_option", "NONE".into()),
            ("is_updatable", yes(false)),
            ("is_insertable_into", yes(false)),
            ("is_trigger_updatable", yes(false)),
            ("is_trigger_deletable", yes(false)),
            ("is_trigger_insertable_into", yes(false)),
        ]);
    }
}

fn privileges(b: &mut TableBuilder, snap: &Snapshot, catalog: &str, user: &str) {
    for rel in &snap.relations {
        let t = snap.table(rel);
        let privs: &[&str] = match t.kind {
            RelKind::Table => &["INSERT", "SELECT"],
            RelKind::View => &["SELECT"],
        };
        for p in privs {
            b.row([
                ("grantor", user.into()),
                ("grantee", user.into()),
                ("table_catalog", catalog.into()),
                ("table_schema", snap.db_name(rel).into()),
                ("table_name", t.name.as_str().into()),
                ("privilege_type", (*p).into()),
                ("is_grantable", yes(true)),
                ("with_hierarchy", yes(false)),
            ]);
        }
    }
}
