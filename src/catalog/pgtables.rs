//! The `pg_catalog` relations fed from the metadata snapshot: `pg_namespace`, `pg_class`,
//! `pg_attribute`, `pg_description`, `pg_database`, `pg_tables`, `pg_views`,
//! `pg_partitioned_table`, plus the per-session `pg_roles`, `pg_user` and `pg_settings` (the
//! one settings table, [`crate::settings`], with the session's values).
//!
//! Owns: turning a [`Snapshot`] into rows with the column sets `datafusion-pg-catalog`
//! defines for these relations (its own dynamic versions number OIDs by a counter and
//! type columns from Arrow; ours use the stable OIDs and the one type table). Every other
//! `pg_catalog` relation is the library's.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{MemTable, TableProvider};
use datafusion::error::Result;

use super::batch::{TableBuilder, V};
use super::model::{RelKind, Snapshot};
use super::oids::{
    DATABASE_OID, INFORMATION_SCHEMA_NAMESPACE, OWNER_OID, PG_CATALOG_NAMESPACE, PG_CLASS_OID,
    PG_NAMESPACE_OID,
};
use super::system::SystemRel;
use super::types::ColType;
use crate::pgtypes::SparkType;
use crate::settings::SessionValues;

/// The `heap` access method.
const HEAP_AM: u32 = 2;
/// The default collation, for text-like columns.
const DEFAULT_COLLATION: u32 = 100;

/// Schemas of the relations built here, taken from the library (plus `pg_user`).
pub struct Schemas {
    pub by_name: HashMap<&'static str, SchemaRef>,
    /// The library's static `pg_description` rows (comments on built-in objects).
    pub static_descriptions: Vec<RecordBatch>,
}

impl Schemas {
    fn get(&self, name: &str) -> SchemaRef {
        self.by_name
            .get(name)
            .cloned()
            .unwrap_or_else(|| Arc::new(Schema::empty()))
    }
}

/// The library's schema of `name` with the Postgres columns clients read that it lacks
/// (`pg_class.reloptions` for psql's `\d+`, the ACL columns).
pub fn complete_schema(name: &str, schema: SchemaRef) -> SchemaRef {
    let text_list = DataType::new_list(DataType::Utf8, true);
    let int2s = DataType::new_list(DataType::Int16, true);
    let oids = DataType::new_list(DataType::Int32, true);
    let retyped: &[(&str, &DataType)] = match name {
        "pg_index" => &[
            ("indkey", &int2s),
            ("indoption", &int2s),
            ("indcollation", &oids),
            ("indclass", &oids),
        ],
        "pg_constraint" => &[
            ("conkey", &int2s),
            ("confkey", &int2s),
            ("confdelsetcols", &int2s),
            ("conpfeqop", &oids),
            ("conppeqop", &oids),
            ("conffeqop", &oids),
            ("conexclop", &oids),
        ],
        _ => &[],
    };
    let schema = if retyped.is_empty() {
        schema
    } else {
        let fields: Vec<Field> = schema
            .fields()
            .iter()
            .map(|f| match retyped.iter().find(|(n, _)| n == f.name()) {
                Some((_, dt)) => Field::new(f.name(), (*dt).clone(), true),
                None => f.as_ref().clone(),
            })
            .collect();
        Arc::new(Schema::new(fields))
    };
    let extra: &[(&str, DataType)] = match name {
        "pg_class" => &[("relacl", DataType::Utf8), ("reloptions", text_list)],
        "pg_namespace" => &[("nspacl", DataType::Utf8)],
        "pg_database" => &[("datacl", DataType::Utf8)],
        _ => &[],
    };
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    for (n, dt) in extra {
        if schema.index_of(n).is_err() {
            fields.push(Field::new(*n, dt.clone(), true));
        }
    }
    super::types::mark_char_columns(name, Arc::new(Schema::new(fields)))
}

/// The schema of `pg_user` (a view over `pg_shadow` in Postgres).
pub fn pg_user_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("usename", DataType::Utf8, false),
        Field::new("usesysid", DataType::Int32, false),
        Field::new("usecreatedb", DataType::Boolean, false),
        Field::new("usesuper", DataType::Boolean, false),
        Field::new("userepl", DataType::Boolean, false),
        Field::new("usebypassrls", DataType::Boolean, false),
        Field::new("passwd", DataType::Utf8, true),
        Field::new("valuntil", DataType::Utf8, true),
        Field::new("useconfig", DataType::Utf8, true),
    ]))
}

fn table(b: TableBuilder) -> Result<Arc<dyn TableProvider>> {
    Ok(b.into_table()?)
}

/// All snapshot-derived relations, by name.
pub fn build(
    snap: &Snapshot,
    system: &[SystemRel],
    schemas: &Schemas,
    database_name: &str,
) -> Result<HashMap<&'static str, Arc<dyn TableProvider>>> {
    let mut out: HashMap<&'static str, Arc<dyn TableProvider>> = HashMap::new();
    out.insert("pg_namespace", namespaces(snap, schemas)?);
    out.insert("pg_class", classes(snap, system, schemas)?);
    out.insert("pg_attribute", attributes(snap, system, schemas)?);
    out.insert("pg_description", descriptions(snap, schemas)?);
    out.insert("pg_database", database(schemas, database_name)?);
    out.insert("pg_tables", tables(snap, system, schemas)?);
    out.insert("pg_views", views(snap, schemas)?);
    out.insert("pg_partitioned_table", partitioned(snap, schemas)?);
    // DLI has no indexes or constraints: empty, with the array columns typed as arrays
    // (the library's export has them as text, which `unnest(indkey)` cannot read).
    for name in ["pg_index", "pg_constraint"] {
        out.insert(name, table(TableBuilder::new(schemas.get(name)))?);
    }
    Ok(out)
}

fn namespaces(snap: &Snapshot, s: &Schemas) -> Result<Arc<dyn TableProvider>> {
    let mut b = TableBuilder::new(s.get("pg_namespace"));
    let mut add = |oid: u32, name: &str| {
        b.row([
            ("oid", oid.into()),
            ("nspname", name.into()),
            ("nspowner", OWNER_OID.into()),
        ])
    };
    add(PG_CATALOG_NAMESPACE, "pg_catalog");
    add(INFORMATION_SCHEMA_NAMESPACE, "information_schema");
    for (d, oid) in snap.databases.iter().zip(&snap.namespace_oids) {
        add(*oid, &d.name);
    }
    table(b)
}

fn classes(snap: &Snapshot, system: &[SystemRel], s: &Schemas) -> Result<Arc<dyn TableProvider>> {
    let mut b = TableBuilder::new(s.get("pg_class"));
    for r in system {
        let natts = i16::try_from(r.schema.fields().len()).unwrap_or(i16::MAX);
        class_row(&mut b, r.oid, &r.name, r.namespace_oid, r.relkind, natts);
    }
    for rel in &snap.relations {
        let t = snap.table(rel);
        let natts = i16::try_from(t.columns.len()).unwrap_or(i16::MAX);
        class_row(
            &mut b,
            rel.oid,
            &t.name,
            rel.namespace_oid,
            t.kind.relkind(),
            natts,
        );
    }
    table(b)
}

fn class_row(b: &mut TableBuilder, oid: u32, name: &str, nsp: u32, relkind: &str, natts: i16) {
    let is_table = relkind == "r";
    b.row([
        ("oid", oid.into()),
        ("relname", name.into()),
        ("relnamespace", nsp.into()),
        ("relowner", OWNER_OID.into()),
        ("relam", V::from(if is_table { HEAP_AM } else { 0 })),
        ("relfilenode", V::from(if is_table { oid } else { 0 })),
        ("reltuples", V::Float(-1.0)),
        ("relpersistence", "p".into()),
        ("relkind", relkind.into()),
        ("relnatts", natts.into()),
        ("relhasrules", (!is_table).into()),
        ("relispopulated", true.into()),
        ("relreplident", V::from(if is_table { "d" } else { "n" })),
        ("relpartbound", V::Null),
    ]);
}

fn attribute_row(b: &mut TableBuilder, relid: u32, num: usize, name: &str, ct: &ColType) {
    let byval = matches!(ct.len, 1 | 2 | 4 | 8);
    let align = match ct.len {
        1 => "c",
        2 => "s",
        8 => "d",
        _ => "i",
    };
    let collation = if ct.collatable() {
        DEFAULT_COLLATION
    } else {
        0
    };
    let is_array = matches!(ct.pg.kind(), postgres_types::Kind::Array(_));
    b.row([
        ("attrelid", relid.into()),
        ("attname", name.into()),
        ("atttypid", ct.oid().into()),
        ("attstattarget", V::Int(-1)),
        ("attlen", ct.len.into()),
        ("attnum", num.into()),
        ("attndims", V::from(i32::from(is_array))),
        ("attcacheoff", V::Int(-1)),
        ("atttypmod", ct.typmod.into()),
        ("attbyval", byval.into()),
        ("attalign", align.into()),
        ("attstorage", V::from(if byval { "p" } else { "x" })),
        ("attnotnull", false.into()),
        ("attisdropped", false.into()),
        ("attislocal", true.into()),
        ("attcollation", collation.into()),
    ]);
}

fn attributes(
    snap: &Snapshot,
    system: &[SystemRel],
    s: &Schemas,
) -> Result<Arc<dyn TableProvider>> {
    let mut b = TableBuilder::new(s.get("pg_attribute"));
    for r in system {
        for (i, f) in r.schema.fields().iter().enumerate() {
            let ct = ColType::of(&SparkType::from_arrow(f.data_type()));
            attribute_row(&mut b, r.oid, i + 1, f.name(), &ct);
        }
    }
    for rel in &snap.relations {
        for (i, c) in snap.table(rel).columns.iter().enumerate() {
            attribute_row(&mut b, rel.oid, i + 1, &c.name, &ColType::of(&c.spark()));
        }
    }
    table(b)
}

fn descriptions(snap: &Snapshot, s: &Schemas) -> Result<Arc<dyn TableProvider>> {
    let schema = s.get("pg_description");
    let mut b = TableBuilder::new(schema.clone());
    let mut add = |objoid: u32, classoid: u32, sub: usize, text: String| {
        b.row([
            ("objoid", objoid.into()),
            ("classoid", classoid.into()),
            ("objsubid", sub.into()),
            ("description", text.into()),
        ])
    };
    for (d, oid) in snap.databases.iter().zip(&snap.namespace_oids) {
        if let Some(text) = &d.description {
            add(*oid, PG_NAMESPACE_OID, 0, text.clone());
        }
    }
    for rel in &snap.relations {
        let t = snap.table(rel);
        if let Some(text) = &t.description {
            add(rel.oid, PG_CLASS_OID, 0, text.clone());
        }
        for (i, c) in t.columns.iter().enumerate() {
            if let Some(text) = c.shown_description() {
                add(rel.oid, PG_CLASS_OID, i + 1, text);
            }
        }
    }
    let mut batches: Vec<RecordBatch> = s
        .static_descriptions
        .iter()
        .filter(|batch| batch.schema() == schema)
        .cloned()
        .collect();
    batches.push(b.finish()?);
    Ok(Arc::new(MemTable::try_new(schema, vec![batches])?))
}

fn database(s: &Schemas, name: &str) -> Result<Arc<dyn TableProvider>> {
    let mut b = TableBuilder::new(s.get("pg_database"));
    b.row([
        ("oid", DATABASE_OID.into()),
        ("datname", name.into()),
        ("datdba", OWNER_OID.into()),
        ("encoding", V::Int(6)),
        ("datlocprovider", "c".into()),
        ("datallowconn", true.into()),
        ("datconnlimit", V::Int(-1)),
        ("datminmxid", V::Int(1)),
        ("dattablespace", V::Int(1663)),
        ("datcollate", "C.UTF-8".into()),
        ("datctype", "C.UTF-8".into()),
    ]);
    table(b)
}

fn tables(snap: &Snapshot, system: &[SystemRel], s: &Schemas) -> Result<Arc<dyn TableProvider>> {
    let mut b = TableBuilder::new(s.get("pg_tables"));
    for r in system.iter().filter(|r| r.relkind == "r") {
        b.row([
            ("schemaname", "pg_catalog".into()),
            ("tablename", r.name.as_str().into()),
            ("tableowner", "postgres".into()),
            ("tablespace", V::Null),
        ]);
    }
    for rel in &snap.relations {
        let t = snap.table(rel);
        if t.kind == RelKind::Table {
            b.row([
                ("schemaname", snap.db_name(rel).into()),
                ("tablename", t.name.as_str().into()),
                ("tableowner", t.owner.as_str().into()),
                ("tablespace", V::Null),
            ]);
        }
    }
    table(b)
}

fn views(snap: &Snapshot, s: &Schemas) -> Result<Arc<dyn TableProvider>> {
    let mut b = TableBuilder::new(s.get("pg_views"));
    for rel in &snap.relations {
        let t = snap.table(rel);
        if t.kind == RelKind::View {
            b.row([
                ("schemaname", snap.db_name(rel).into()),
                ("viewname", t.name.as_str().into()),
                ("viewowner", t.owner.as_str().into()),
                ("definition", t.definition.clone().into()),
            ]);
        }
    }
    table(b)
}

fn partitioned(snap: &Snapshot, s: &Schemas) -> Result<Arc<dyn TableProvider>> {
    let mut b = TableBuilder::new(s.get("pg_partitioned_table"));
    for rel in &snap.relations {
        let t = snap.table(rel);
        let keys: Vec<i64> = t
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.partition)
            .map(|(i, _)| i64::try_from(i + 1).unwrap_or(0))
            .collect();
        if keys.is_empty() {
            continue;
        }
        b.row([
            ("partrelid", rel.oid.into()),
            ("partstrat", "l".into()),
            ("partnatts", keys.len().into()),
            ("partattrs", V::IntList(keys)),
        ]);
    }
    table(b)
}

/// `pg_settings` for a session: the settings table ([`crate::settings`]) with the
/// session's values.
pub fn settings(s: &Schemas, values: &SessionValues) -> Result<Arc<dyn TableProvider>> {
    let mut b = TableBuilder::new(s.get("pg_settings"));
    for (setting, value) in crate::settings::all(values) {
        let source = if setting.set_by_session(values) {
            "session"
        } else {
            "default"
        };
        b.row([
            ("name", setting.shown.into()),
            ("setting", value.clone().into()),
            ("short_desc", setting.description.into()),
            ("context", "user".into()),
            ("vartype", "string".into()),
            ("source", source.into()),
            ("reset_val", value.into()),
            ("pending_restart", false.into()),
        ]);
    }
    table(b)
}

/// `pg_roles` and `pg_user` for the session's user (OID 10, like Postgres' bootstrap
/// superuser: the gateway does not check privileges; DLI does).
pub fn roles(s: &Schemas, user: &str) -> Result<[(&'static str, Arc<dyn TableProvider>); 2]> {
    let mut r = TableBuilder::new(s.get("pg_roles"));
    r.row([
        ("oid", OWNER_OID.into()),
        ("rolname", user.into()),
        ("rolsuper", true.into()),
        ("rolinherit", true.into()),
        ("rolcreaterole", true.into()),
        ("rolcreatedb", true.into()),
        ("rolcanlogin", true.into()),
        ("rolconnlimit", V::Int(-1)),
        ("rolpassword", "********".into()),
    ]);
    let mut u = TableBuilder::new(pg_user_schema());
    u.row([
        ("usename", user.into()),
        ("usesysid", OWNER_OID.into()),
        ("usecreatedb", true.into()),
        ("usesuper", true.into()),
        ("passwd", "********".into()),
    ]);
    Ok([("pg_roles", table(r)?), ("pg_user", table(u)?)])
}
