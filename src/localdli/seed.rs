//! Seeding a warehouse with many empty databases and tables, for scale tests and the
//! catalog benchmark (`cargo run --release --example catalog_bench`).
//!
//! Owns: writing `N` databases × `M` tables of metadata (`_database.json`,
//! `_table.json`; no data files, so every table is empty) in the layout of
//! [`super::warehouse`], before the service starts. Tables get a mix of column types,
//! comments, and every fifth one a partition column. Existing objects are left alone.

use std::io;
use std::path::Path;

use super::warehouse::{ColumnMeta, DatabaseMeta, TableFormat, TableMeta, Warehouse};

/// How much to seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedSpec {
    pub databases: usize,
    pub tables_per_database: usize,
    pub columns_per_table: usize,
}

impl Default for SeedSpec {
    /// 200 databases × 25 tables = 5,000 tables of 8 columns.
    fn default() -> Self {
        Self {
            databases: 200,
            tables_per_database: 25,
            columns_per_table: 8,
        }
    }
}

/// Column types cycled through by seeded tables.
const TYPES: &[&str] = &[
    "bigint",
    "string",
    "decimal(12,2)",
    "int",
    "timestamp",
    "double",
    "date",
    "boolean",
    "varchar(64)",
    "array<string>",
];

/// Database `i`'s name (`seed_db_007`).
pub fn database_name(i: usize) -> String {
    format!("seed_db_{i:03}")
}

/// Table `j`'s name (`t_012`).
pub fn table_name(j: usize) -> String {
    format!("t_{j:03}")
}

/// Writes the seed into the warehouse at `root`; returns how many tables it wrote.
pub fn seed(root: &Path, spec: SeedSpec, owner: &str) -> io::Result<usize> {
    let wh = Warehouse::open(root)?;
    let mut written = 0;
    for i in 0..spec.databases {
        let db = database_name(i);
        if !wh
            .database_dir(&db)
            .join(super::warehouse::DATABASE_FILE)
            .exists()
        {
            wh.write_database(&DatabaseMeta {
                name: db.clone(),
                comment: format!("seeded database {i}"),
                owner: owner.to_string(),
                created_ms: 0,
            })?;
        }
        for j in 0..spec.tables_per_database {
            let name = table_name(j);
            if wh
                .table_dir(&db, &name)
                .join(super::warehouse::TABLE_FILE)
                .exists()
            {
                continue;
            }
            wh.write_table(&table(&db, &name, j, spec.columns_per_table, owner))?;
            written += 1;
        }
    }
    Ok(written)
}

fn table(db: &str, name: &str, j: usize, columns: usize, owner: &str) -> TableMeta {
    let mut cols: Vec<ColumnMeta> = (0..columns.max(1))
        .map(|c| ColumnMeta {
            name: format!(
                "c{c}_{}",
                TYPES[(c + j) % TYPES.len()]
                    .split('(')
                    .next()
                    .unwrap_or("c")
                    .replace(['<', '>'], "_")
            ),
            spark_type: TYPES[(c + j) % TYPES.len()].to_string(),
            comment: (c == 0).then(|| format!("first column of {name}")),
        })
        .collect();
    let mut partition_columns = Vec::new();
    if j.is_multiple_of(5) {
        cols.push(ColumnMeta {
            name: "dt".into(),
            spark_type: "string".into(),
            comment: Some("load day".into()),
        });
        partition_columns.push("dt".to_string());
    }
    TableMeta {
        database: db.to_string(),
        name: name.to_string(),
        columns: cols,
        partition_columns,
        format: TableFormat::Parquet,
        comment: format!("seeded table {name} of {db}"),
        owner: owner.to_string(),
        created_ms: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_metadata_once() {
        let dir = tempfile::tempdir().unwrap();
        let spec = SeedSpec {
            databases: 3,
            tables_per_database: 4,
            columns_per_table: 5,
        };
        assert_eq!(seed(dir.path(), spec, "dli").unwrap(), 12);
        assert_eq!(seed(dir.path(), spec, "dli").unwrap(), 0, "idempotent");
        let loaded = Warehouse::open(dir.path()).unwrap().load().unwrap();
        assert_eq!(loaded.len(), 3);
        assert!(loaded.iter().all(|(_, t)| t.len() == 4));
        let t0 = loaded[0].1.iter().find(|t| t.name == "t_000").unwrap();
        assert_eq!(t0.partition_columns, vec!["dt".to_string()]);
    }
}
