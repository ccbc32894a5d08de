//! The live catalog: which databases and tables exist, with their metadata, kept in
//! memory as a mirror of the warehouse, and exposed to DataFusion as one catalog
//! ([`CATALOG`]) whose schemas are the DLI databases and whose tables are
//! `ListingTable`s over the table folders with their explicit Arrow schema.
//!
//! Owns the in-memory registry and the DataFusion providers; persistence is
//! [`super::warehouse`]'s job, SQL semantics [`super::engine`]'s.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::catalog::{CatalogProvider, SchemaProvider, TableProvider};
use datafusion::datasource::file_format::csv::CsvFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::error::DataFusionError;

use super::warehouse::{DatabaseMeta, TableFormat, TableMeta, Warehouse};
use crate::pgtypes::SparkType;

/// Name of the DataFusion catalog holding the DLI databases.
pub const CATALOG: &str = "dli";
/// The built-in database.
pub const DEFAULT_DB: &str = "default";

/// A registered table: its metadata and the provider scanning its folder.
#[derive(Debug, Clone)]
pub struct TableEntry {
    pub meta: TableMeta,
    pub schema: SchemaRef,
    pub provider: Arc<dyn TableProvider>,
}

#[derive(Debug, Clone)]
struct DbEntry {
    meta: DatabaseMeta,
    tables: BTreeMap<String, TableEntry>,
}

/// Databases and tables currently known (shared by every session).
#[derive(Debug, Default)]
pub struct Registry {
    dbs: RwLock<BTreeMap<String, DbEntry>>,
}

impl Registry {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, DbEntry>> {
        self.dbs.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, DbEntry>> {
        self.dbs.write().unwrap_or_else(|p| p.into_inner())
    }

    pub fn database_names(&self) -> Vec<String> {
        self.read().keys().cloned().collect()
    }

    pub fn database(&self, db: &str) -> Option<DatabaseMeta> {
        self.read().get(&db.to_lowercase()).map(|d| d.meta.clone())
    }

    pub fn has_database(&self, db: &str) -> bool {
        self.read().contains_key(&db.to_lowercase())
    }

    /// Databases with their table counts.
    pub fn databases(&self) -> Vec<(DatabaseMeta, usize)> {
        self.read()
            .values()
            .map(|d| (d.meta.clone(), d.tables.len()))
            .collect()
    }

    pub fn table_names(&self, db: &str) -> Vec<String> {
        self.read()
            .get(&db.to_lowercase())
            .map(|d| d.tables.keys().cloned().collect())
            .unwrap_or_default()
    }

    pub fn tables(&self, db: &str) -> Option<Vec<TableEntry>> {
        self.read()
            .get(&db.to_lowercase())
            .map(|d| d.tables.values().cloned().collect())
    }

    pub fn table(&self, db: &str, table: &str) -> Option<TableEntry> {
        self.read()
            .get(&db.to_lowercase())?
            .tables
            .get(&table.to_lowercase())
            .cloned()
    }

    pub fn put_database(&self, meta: DatabaseMeta) {
        let mut dbs = self.write();
        match dbs.get_mut(&meta.name) {
            Some(entry) => entry.meta = meta,
            None => {
                dbs.insert(
                    meta.name.clone(),
                    DbEntry {
                        meta,
                        tables: BTreeMap::new(),
                    },
                );
            }
        }
    }

    pub fn remove_database(&self, db: &str) {
        self.write().remove(db);
    }

    /// Registers (or replaces) a table; its database must exist.
    pub fn put_table(&self, wh: &Warehouse, meta: TableMeta) -> Result<TableEntry, String> {
        let entry = build_entry(wh, meta)?;
        let mut dbs = self.write();
        let db = dbs
            .get_mut(&entry.meta.database)
            .ok_or_else(|| format!("database {} is not registered", entry.meta.database))?;
        db.tables.insert(entry.meta.name.clone(), entry.clone());
        Ok(entry)
    }

    pub fn remove_table(&self, db: &str, table: &str) {
        if let Some(d) = self.write().get_mut(db) {
            d.tables.remove(table);
        }
    }
}

/// The Arrow schema of a table, from its Spark column types.
pub fn arrow_schema(meta: &TableMeta) -> Result<SchemaRef, String> {
    let fields = meta
        .columns
        .iter()
        .map(|c| {
            SparkType::try_parse(&c.spark_type)
                .map(|t| Field::new(c.name.as_str(), t.to_arrow(), true))
                .map_err(|e| format!("column {}: {e}", c.name))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Arc::new(Schema::new(fields)))
}

fn build_entry(wh: &Warehouse, meta: TableMeta) -> Result<TableEntry, String> {
    let schema = arrow_schema(&meta)?;
    let dir = wh.table_dir(&meta.database, &meta.name);
    let url = url::Url::from_directory_path(&dir)
        .map_err(|_| format!("table folder {} is not an absolute path", dir.display()))?;
    let table_url = ListingTableUrl::try_new(url, None).map_err(|e| e.to_string())?;
    let options = match meta.format {
        TableFormat::Parquet => ListingOptions::new(Arc::new(ParquetFormat::default())),
        TableFormat::Csv => {
            ListingOptions::new(Arc::new(CsvFormat::default().with_has_header(true)))
        }
    }
    .with_file_extension(meta.format.extension());
    let config = ListingTableConfig::new(table_url)
        .with_listing_options(options)
        .with_schema(Arc::clone(&schema));
    let provider = ListingTable::try_new(config).map_err(|e| e.to_string())?;
    Ok(TableEntry {
        meta,
        schema,
        provider: Arc::new(provider),
    })
}

/// DataFusion view of the registry: the `dli` catalog.
#[derive(Debug)]
pub struct DliCatalog {
    pub registry: Arc<Registry>,
}

impl CatalogProvider for DliCatalog {
    fn schema_names(&self) -> Vec<String> {
        self.registry.database_names()
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        let name = name.to_lowercase();
        self.registry.has_database(&name).then(|| {
            Arc::new(DliSchema {
                registry: Arc::clone(&self.registry),
                db: name,
            }) as Arc<dyn SchemaProvider>
        })
    }
}

/// One DLI database as a DataFusion schema.
#[derive(Debug)]
struct DliSchema {
    registry: Arc<Registry>,
    db: String,
}

#[async_trait]
impl SchemaProvider for DliSchema {
    fn table_names(&self) -> Vec<String> {
        self.registry.table_names(&self.db)
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>, DataFusionError> {
        Ok(self.registry.table(&self.db, name).map(|t| t.provider))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.registry.table(&self.db, name).is_some()
    }
}
