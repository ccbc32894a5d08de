//! The two schema providers a catalog query sees: `pg_catalog` (the library's relations
//! with ours laid over them) and `information_schema` (ours).
//!
//! Owns: name resolution inside those schemas. Must not build rows.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{SchemaProvider, TableProvider};
use datafusion::error::Result;

/// A schema answering from `tables` first, then from `fallback` (if any).
pub struct LayeredSchema {
    tables: HashMap<String, Arc<dyn TableProvider>>,
    fallback: Option<Arc<dyn SchemaProvider>>,
}

impl LayeredSchema {
    pub fn new(
        tables: HashMap<String, Arc<dyn TableProvider>>,
        fallback: Option<Arc<dyn SchemaProvider>>,
    ) -> Self {
        Self { tables, fallback }
    }
}

impl fmt::Debug for LayeredSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LayeredSchema")
            .field("tables", &self.tables.len())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl SchemaProvider for LayeredSchema {
    fn table_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.tables.keys().cloned().collect();
        if let Some(f) = &self.fallback {
            names.extend(f.table_names());
        }
        names.sort();
        names.dedup();
        names
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let name = name.to_ascii_lowercase();
        if let Some(t) = self.tables.get(&name) {
            return Ok(Some(t.clone()));
        }
        match &self.fallback {
            Some(f) => f.table(&name).await,
            None => Ok(None),
        }
    }

    fn table_exist(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        self.tables.contains_key(&name)
            || self.fallback.as_ref().is_some_and(|f| f.table_exist(&name))
    }
}
