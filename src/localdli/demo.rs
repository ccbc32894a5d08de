//! The TPC-H demo database: on first start (when `demo` is on and `tpch` does not
//! exist) the eight TPC-H tables are generated with tpchgen-arrow at the configured
//! scale factor and written as parquet, with Spark types in their metadata
//! (`bigint`, `decimal(15,2)`, `date`, `string`). Owns demo data only.

use std::sync::Arc;

use datafusion::arrow::datatypes::Schema;
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::record_batch::RecordBatch;
use tpchgen::generators::{
    CustomerGenerator, LineItemGenerator, NationGenerator, OrderGenerator, PartGenerator,
    PartSuppGenerator, RegionGenerator, SupplierGenerator,
};
use tpchgen_arrow::{
    CustomerArrow, LineItemArrow, NationArrow, OrderArrow, PartArrow, PartSuppArrow, RegionArrow,
    SupplierArrow,
};

use super::catalog::{Registry, arrow_schema};
use super::exec::conform;
use super::warehouse::{ColumnMeta, DatabaseMeta, TableFormat, TableMeta, Warehouse};
use crate::pgtypes::SparkType;

/// Name of the demo database.
pub const DEMO_DB: &str = "tpch";

type Batches = Box<dyn Iterator<Item = Result<RecordBatch, ArrowError>> + Send>;

fn generators(sf: f64) -> Vec<(&'static str, Batches)> {
    vec![
        (
            "region",
            Box::new(RegionArrow::new(RegionGenerator::new(sf, 1, 1))),
        ),
        (
            "nation",
            Box::new(NationArrow::new(NationGenerator::new(sf, 1, 1))),
        ),
        (
            "supplier",
            Box::new(SupplierArrow::new(SupplierGenerator::new(sf, 1, 1))),
        ),
        (
            "customer",
            Box::new(CustomerArrow::new(CustomerGenerator::new(sf, 1, 1))),
        ),
        (
            "part",
            Box::new(PartArrow::new(PartGenerator::new(sf, 1, 1))),
        ),
        (
            "partsupp",
            Box::new(PartSuppArrow::new(PartSuppGenerator::new(sf, 1, 1))),
        ),
        (
            "orders",
            Box::new(OrderArrow::new(OrderGenerator::new(sf, 1, 1))),
        ),
        (
            "lineitem",
            Box::new(LineItemArrow::new(LineItemGenerator::new(sf, 1, 1))),
        ),
    ]
}

fn table_meta(name: &str, schema: &Schema, owner: &str, now: i64) -> TableMeta {
    TableMeta {
        database: DEMO_DB.into(),
        name: name.into(),
        columns: schema
            .fields()
            .iter()
            .map(|f| ColumnMeta {
                name: f.name().clone(),
                spark_type: SparkType::from_arrow(f.data_type()).spark_name(),
                comment: None,
            })
            .collect(),
        partition_columns: Vec::new(),
        format: TableFormat::Parquet,
        comment: format!("TPC-H {name}"),
        owner: owner.into(),
        created_ms: now,
    }
}

/// Generates and registers the demo database (blocking; run it off the runtime).
pub fn create(wh: &Warehouse, registry: &Registry, sf: f64, owner: &str) -> Result<(), String> {
    let started = std::time::Instant::now();
    let now = chrono::Utc::now().timestamp_millis();
    // A folder without `_database.json` is a crashed earlier attempt: start over.
    wh.remove_database(DEMO_DB).map_err(|e| e.to_string())?;
    let mut metas = Vec::new();
    for (name, batches) in generators(sf) {
        let mut batches = batches.peekable();
        let source_schema = match batches.peek() {
            Some(Ok(b)) => b.schema(),
            Some(Err(e)) => return Err(format!("{name}: {e}")),
            None => continue,
        };
        let meta = table_meta(name, &source_schema, owner, now);
        let schema = arrow_schema(&meta)?;
        let mut writer = wh
            .new_data_file(DEMO_DB, name, TableFormat::Parquet, Arc::clone(&schema))
            .map_err(|e| format!("{name}: {e}"))?;
        for batch in batches {
            let batch = batch.map_err(|e| format!("{name}: {e}"))?;
            let batch = conform(&batch, &schema, false).map_err(|e| format!("{name}: {e}"))?;
            writer.write(&batch).map_err(|e| format!("{name}: {e}"))?;
        }
        writer.finish().map_err(|e| format!("{name}: {e}"))?;
        wh.write_table(&meta).map_err(|e| format!("{name}: {e}"))?;
        metas.push(meta);
    }
    let db = DatabaseMeta {
        name: DEMO_DB.into(),
        comment: format!("TPC-H demo data, scale factor {sf}"),
        owner: owner.into(),
        created_ms: now,
    };
    wh.write_database(&db).map_err(|e| e.to_string())?;
    registry.put_database(db);
    for meta in metas {
        registry.put_table(wh, meta)?;
    }
    tracing::info!(
        scale_factor = sf,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "created TPC-H demo database"
    );
    Ok(())
}
