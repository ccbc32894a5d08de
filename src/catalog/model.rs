//! The metadata snapshot: DLI databases, tables, views and columns as the catalog
//! emulation sees them, with their stable OIDs and Postgres types.
//!
//! Owns: the mapping rules from DLI metadata to Postgres objects —
//! - each DLI database is a schema (`default` too; Postgres clients quote it, since
//!   `default` is a reserved word);
//! - MANAGED and EXTERNAL tables are relations of kind `r`, VIEWs of kind `v`;
//! - column types are Spark type names read through the one type table
//!   ([`crate::pgtypes`]), so `pg_attribute` and RowDescription agree;
//! - partition columns keep their place and are marked in their description
//!   ([`PARTITION_MARK`]) and in `pg_partitioned_table`;
//! - table and column descriptions come from DLI's `table_comment` / `description`.
//!
//! Must not talk to DLI (that is [`super::source`]) nor know DataFusion.

use std::collections::HashMap;
use std::time::SystemTime;

use crate::pgtypes::SparkType;

use super::oids::{ObjectKind, OidAllocator};

/// Prefix added to the description of a partition column.
pub const PARTITION_MARK: &str = "(partition column)";

/// Kind of a relation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelKind {
    Table,
    View,
}

impl RelKind {
    /// `pg_class.relkind`.
    pub fn relkind(self) -> &'static str {
        match self {
            RelKind::Table => "r",
            RelKind::View => "v",
        }
    }

    /// From DLI's `table_type` (`MANAGED`, `EXTERNAL`, `VIEW`).
    pub fn from_dli(table_type: Option<&str>) -> RelKind {
        match table_type.map(str::to_ascii_uppercase).as_deref() {
            Some("VIEW" | "VIRTUAL_VIEW") => RelKind::View,
            _ => RelKind::Table,
        }
    }
}

/// One column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    /// The Spark type name as DLI reports it.
    pub spark_type: String,
    pub description: Option<String>,
    pub partition: bool,
}

impl Column {
    pub fn spark(&self) -> SparkType {
        SparkType::parse(&self.spark_type)
    }

    /// The description shown in `pg_description` (partition columns are marked).
    pub fn shown_description(&self) -> Option<String> {
        let desc = self.description.as_deref().filter(|d| !d.is_empty());
        match (self.partition, desc) {
            (true, Some(d)) => Some(format!("{PARTITION_MARK} {d}")),
            (true, None) => Some(PARTITION_MARK.to_string()),
            (false, d) => d.map(str::to_string),
        }
    }
}

/// A table or view as DLI lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub name: String,
    pub kind: RelKind,
    /// DLI's `table_type` (`MANAGED`, `EXTERNAL`, `VIEW`).
    pub dli_type: String,
    pub owner: String,
    pub description: Option<String>,
    pub columns: Vec<Column>,
    /// The view's text when DLI gives it (`create_table_sql`).
    pub definition: Option<String>,
    /// Bytes, when DLI reports it (`table_size`).
    pub size: Option<i64>,
    /// Partition columns named by the table list (`partition_columns`, OBS tables); the
    /// describe's `is_partition_column` marks them too.
    pub partition_keys: Vec<String>,
}

/// A DLI database.
#[derive(Debug, Clone, PartialEq)]
pub struct Database {
    pub name: String,
    pub owner: String,
    pub description: Option<String>,
    pub tables: Vec<Table>,
    /// The tables' columns, comments and view texts are loaded (§7.2.4 describe of each
    /// table). Until then they are empty: the table list (§7.2.3) carries none of them.
    pub described: bool,
}

/// A relation with its OIDs, as the pg_catalog tables need it.
#[derive(Debug, Clone)]
pub struct RelEntry {
    pub oid: u32,
    pub namespace_oid: u32,
    pub db: usize,
    pub table: usize,
}

/// Everything the catalog knows at one moment.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub databases: Vec<Database>,
    /// OID of each database's schema, parallel to `databases`.
    pub namespace_oids: Vec<u32>,
    /// Every relation, in (database, table) name order.
    pub relations: Vec<RelEntry>,
    by_name: HashMap<(String, String), usize>,
    pub loaded_at: SystemTime,
    /// Bumped by every change, so derived structures know when to rebuild.
    pub generation: u64,
}

impl Snapshot {
    /// Sorts, assigns OIDs and indexes `databases`.
    pub fn new(mut databases: Vec<Database>, generation: u64) -> Snapshot {
        databases.sort_by(|a, b| a.name.cmp(&b.name));
        for d in &mut databases {
            d.tables.sort_by(|a, b| a.name.cmp(&b.name));
        }
        let mut alloc = OidAllocator::default();
        let namespace_oids: Vec<u32> = databases
            .iter()
            .map(|d| alloc.assign(ObjectKind::Namespace, &[&d.name]))
            .collect();
        let mut relations = Vec::new();
        let mut by_name = HashMap::new();
        for (di, d) in databases.iter().enumerate() {
            for (ti, t) in d.tables.iter().enumerate() {
                by_name.insert((d.name.clone(), t.name.clone()), relations.len());
                relations.push(RelEntry {
                    oid: alloc.assign(ObjectKind::Relation, &[&d.name, &t.name]),
                    namespace_oid: namespace_oids[di],
                    db: di,
                    table: ti,
                });
            }
        }
        Snapshot {
            databases,
            namespace_oids,
            relations,
            by_name,
            loaded_at: SystemTime::now(),
            generation,
        }
    }

    pub fn table(&self, rel: &RelEntry) -> &Table {
        &self.databases[rel.db].tables[rel.table]
    }

    pub fn db_name(&self, rel: &RelEntry) -> &str {
        &self.databases[rel.db].name
    }

    /// A table by (database, table) name.
    pub fn find(&self, db: &str, table: &str) -> Option<&RelEntry> {
        self.by_name
            .get(&(db.to_string(), table.to_string()))
            .map(|i| &self.relations[*i])
    }

    pub fn database(&self, name: &str) -> Option<&Database> {
        self.databases.iter().find(|d| d.name == name)
    }

    /// The database owning the relation or schema with this OID.
    pub fn database_of_oid(&self, oid: u32) -> Option<&str> {
        if let Some(i) = self.namespace_oids.iter().position(|o| *o == oid) {
            return Some(&self.databases[i].name);
        }
        self.relations
            .iter()
            .find(|r| r.oid == oid)
            .map(|r| self.db_name(r))
    }

    pub fn table_count(&self) -> usize {
        self.relations.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, ty: &str) -> Column {
        Column {
            name: name.into(),
            spark_type: ty.into(),
            description: None,
            partition: false,
        }
    }

    #[test]
    fn snapshot_sorts_and_assigns_stable_oids() {
        let t = |n: &str| Table {
            name: n.into(),
            kind: RelKind::Table,
            dli_type: "MANAGED".into(),
            owner: "dli".into(),
            description: None,
            columns: vec![col("a", "int")],
            definition: None,
            size: None,
            partition_keys: Vec::new(),
        };
        let dbs = vec![
            Database {
                name: "b".into(),
                owner: String::new(),
                description: None,
                tables: vec![t("y"), t("x")],
                described: true,
            },
            Database {
                name: "a".into(),
                owner: String::new(),
                description: None,
                tables: vec![],
                described: true,
            },
        ];
        let s1 = Snapshot::new(dbs.clone(), 1);
        let s2 = Snapshot::new(dbs, 2);
        assert_eq!(s1.databases[0].name, "a");
        assert_eq!(s1.databases[1].tables[0].name, "x");
        assert_eq!(
            s1.find("b", "y").map(|r| r.oid),
            s2.find("b", "y").map(|r| r.oid)
        );
        assert!(s1.find("b", "z").is_none());
    }

    #[test]
    fn partition_columns_are_marked() {
        let mut c = col("dt", "string");
        c.partition = true;
        assert_eq!(c.shown_description().as_deref(), Some(PARTITION_MARK));
        c.description = Some("day".into());
        assert_eq!(c.shown_description(), Some(format!("{PARTITION_MARK} day")));
    }
}
