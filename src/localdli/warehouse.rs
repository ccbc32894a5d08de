//! The on-disk warehouse: layout, metadata files, atomic data-file writes, restart.
//!
//! Layout under the warehouse root (names are lower-case):
//! ```text
//! <root>/<db>/_database.json             database metadata (comment, owner, created)
//! <root>/<db>/<table>/_table.json        table metadata (Spark column types, comments,
//!                                        partition columns, format, created)
//! <root>/<db>/<table>/part-<uuid>.parquet  data files (or .csv with a header line)
//! <root>/.results/<job_id>/part-00000.json full query results (JSON lines)
//! <root>/.obs/<bucket>/<path>/           targets of export-result (`obs://bucket/path`),
//!                                        served by the S3 endpoint ([`super::obs`])
//! <root>/.obs/dli-job-results/jobs/<id>/ result_path CSV (`report_result_path`)
//! ```
//! Every file is written under a temporary name (`.<name>.tmp`) and renamed into place,
//! so a crash never leaves a half-written file visible; leftovers are swept at start.
//! Owns the file system only: no SQL, no HTTP.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use datafusion::arrow::csv::WriterBuilder as CsvWriterBuilder;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use serde::{Deserialize, Serialize};

pub const DATABASE_FILE: &str = "_database.json";
pub const TABLE_FILE: &str = "_table.json";
pub const RESULTS_DIR: &str = ".results";
pub const OBS_DIR: &str = ".obs";

/// Metadata of a database (`_database.json`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DatabaseMeta {
    pub name: String,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub created_ms: i64,
}

/// Storage format of a table's data files.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum TableFormat {
    #[default]
    Parquet,
    Csv,
}

impl TableFormat {
    pub fn name(self) -> &'static str {
        match self {
            TableFormat::Parquet => "parquet",
            TableFormat::Csv => "csv",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            TableFormat::Parquet => ".parquet",
            TableFormat::Csv => ".csv",
        }
    }
}

/// One column of a table.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ColumnMeta {
    pub name: String,
    /// Canonical Spark type name (`int`, `decimal(10,2)`, `array<string>`).
    #[serde(rename = "type")]
    pub spark_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// Metadata of a table (`_table.json`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TableMeta {
    pub database: String,
    pub name: String,
    pub columns: Vec<ColumnMeta>,
    #[serde(default)]
    pub partition_columns: Vec<String>,
    #[serde(default)]
    pub format: TableFormat,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub created_ms: i64,
}

/// Is `name` usable as a database or table directory (no separators, no `..`)?
pub fn is_safe_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && !name.starts_with('.')
        && !name.starts_with('_')
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

/// The warehouse root and its file operations.
#[derive(Debug, Clone)]
pub struct Warehouse {
    root: PathBuf,
}

impl Warehouse {
    /// Opens (creating) the warehouse directory and sweeps temporary leftovers.
    pub fn open(root: &Path) -> io::Result<Warehouse> {
        fs::create_dir_all(root)?;
        let root = fs::canonicalize(root)?;
        fs::create_dir_all(root.join(RESULTS_DIR))?;
        let wh = Warehouse { root };
        wh.sweep_temporaries(&wh.root.clone(), 0)?;
        Ok(wh)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn database_dir(&self, db: &str) -> PathBuf {
        self.root.join(db)
    }

    pub fn table_dir(&self, db: &str, table: &str) -> PathBuf {
        self.root.join(db).join(table)
    }

    pub fn results_dir(&self, job_id: &str) -> PathBuf {
        self.root.join(RESULTS_DIR).join(job_id)
    }

    /// The OBS emulation folder (`<root>/.obs`): one sub-folder per bucket.
    pub fn obs_root(&self) -> PathBuf {
        self.root.join(OBS_DIR)
    }

    /// The `result_path` folder of a job (`obs://dli-job-results/jobs/<id>`).
    pub fn result_csv_dir(&self, job_id: &str) -> PathBuf {
        self.obs_root()
            .join(super::obs::RESULTS_BUCKET)
            .join("jobs")
            .join(job_id)
    }

    /// Where files are written before being renamed under [`Self::obs_root`].
    pub fn tmp_dir(&self) -> PathBuf {
        self.root.join(RESULTS_DIR)
    }

    /// Maps `obs://bucket/path` to `<root>/.obs/bucket/path`; refuses anything unsafe.
    pub fn obs_dir(&self, url: &str) -> Result<PathBuf, String> {
        let rest = url
            .strip_prefix("obs://")
            .ok_or_else(|| format!("data_path '{url}' must start with obs://"))?;
        let mut dir = self.root.join(OBS_DIR);
        let mut parts = 0;
        for seg in rest.split('/').filter(|s| !s.is_empty()) {
            if seg == "." || seg == ".." || seg.contains('\\') || seg.contains(',') {
                return Err(format!("data_path '{url}' is not a valid OBS folder"));
            }
            dir.push(seg);
            parts += 1;
        }
        if parts == 0 {
            return Err(format!("data_path '{url}' names no bucket"));
        }
        Ok(dir)
    }

    /// Reads every database and its tables.
    pub fn load(&self) -> io::Result<Vec<(DatabaseMeta, Vec<TableMeta>)>> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.root)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().to_string();
            let path = entry.path();
            if !entry.file_type()?.is_dir() || !is_safe_name(&name) {
                continue;
            }
            let Some(db) = read_json::<DatabaseMeta>(&path.join(DATABASE_FILE))? else {
                continue;
            };
            let mut tables = Vec::new();
            for t in fs::read_dir(&path)? {
                let t = t?;
                if !t.file_type()?.is_dir() {
                    continue;
                }
                match read_json::<TableMeta>(&t.path().join(TABLE_FILE)) {
                    Ok(Some(meta)) => tables.push(meta),
                    Ok(None) => {}
                    Err(e) => tracing::warn!(path = %t.path().display(), "skipping table: {e}"),
                }
            }
            out.push((db, tables));
        }
        Ok(out)
    }

    pub fn write_database(&self, meta: &DatabaseMeta) -> io::Result<()> {
        let dir = self.database_dir(&meta.name);
        fs::create_dir_all(&dir)?;
        write_json_atomic(&dir.join(DATABASE_FILE), meta)
    }

    pub fn remove_database(&self, db: &str) -> io::Result<()> {
        remove_dir_if_exists(&self.database_dir(db))
    }

    pub fn write_table(&self, meta: &TableMeta) -> io::Result<()> {
        let dir = self.table_dir(&meta.database, &meta.name);
        fs::create_dir_all(&dir)?;
        write_json_atomic(&dir.join(TABLE_FILE), meta)
    }

    pub fn remove_table(&self, db: &str, table: &str) -> io::Result<()> {
        remove_dir_if_exists(&self.table_dir(db, table))
    }

    /// The data files of a table (what a scan would read).
    pub fn data_files(
        &self,
        db: &str,
        table: &str,
        format: TableFormat,
    ) -> io::Result<Vec<PathBuf>> {
        let mut files = Vec::new();
        let dir = self.table_dir(db, table);
        if !dir.exists() {
            return Ok(files);
        }
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().to_string();
            if name.starts_with("part-") && name.ends_with(format.extension()) {
                files.push(entry.path());
            }
        }
        files.sort();
        Ok(files)
    }

    /// Total size in bytes of a table's data files.
    pub fn table_size(&self, meta: &TableMeta) -> u64 {
        self.data_files(&meta.database, &meta.name, meta.format)
            .map(|files| {
                files
                    .iter()
                    .filter_map(|f| fs::metadata(f).ok())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    }

    /// Starts a new data file in a table folder.
    pub fn new_data_file(
        &self,
        db: &str,
        table: &str,
        format: TableFormat,
        schema: SchemaRef,
    ) -> io::Result<DataFileWriter> {
        let dir = self.table_dir(db, table);
        let name = format!("part-{}{}", uuid::Uuid::new_v4(), format.extension());
        DataFileWriter::create(&dir, &name, format, schema)
    }

    fn sweep_temporaries(&self, dir: &Path, depth: usize) -> io::Result<()> {
        if depth > 3 {
            return Ok(());
        }
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().to_string();
            if entry.file_type()?.is_dir() {
                if !name.starts_with('.') {
                    self.sweep_temporaries(&entry.path(), depth + 1)?;
                }
            } else if name.starts_with('.') && name.ends_with(".tmp") {
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(())
    }
}

/// Writes one data file under a temporary name; `finish` renames it into place,
/// dropping it unfinished deletes the temporary file.
pub struct DataFileWriter {
    tmp: PathBuf,
    target: PathBuf,
    inner: Option<FileSink>,
    rows: u64,
}

enum FileSink {
    Parquet(ArrowWriter<File>),
    Csv(datafusion::arrow::csv::Writer<BufWriter<File>>),
}

impl DataFileWriter {
    /// Creates `<dir>/<name>` (written as `<dir>/.<name>.tmp` until finished).
    pub fn create(
        dir: &Path,
        name: &str,
        format: TableFormat,
        schema: SchemaRef,
    ) -> io::Result<Self> {
        fs::create_dir_all(dir)?;
        let tmp = dir.join(format!(".{name}.tmp"));
        let target = dir.join(name);
        let file = File::create(&tmp)?;
        let inner = match format {
            TableFormat::Parquet => FileSink::Parquet(
                ArrowWriter::try_new(file, schema, None).map_err(io::Error::other)?,
            ),
            TableFormat::Csv => FileSink::Csv(
                CsvWriterBuilder::new()
                    .with_header(true)
                    .build(BufWriter::new(file)),
            ),
        };
        Ok(Self {
            tmp,
            target,
            inner: Some(inner),
            rows: 0,
        })
    }

    pub fn write(&mut self, batch: &RecordBatch) -> io::Result<()> {
        match self.inner.as_mut() {
            Some(FileSink::Parquet(w)) => w.write(batch).map_err(io::Error::other)?,
            Some(FileSink::Csv(w)) => w.write(batch).map_err(io::Error::other)?,
            None => return Err(io::Error::other("data file already finished")),
        }
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// Closes the file and makes it visible; returns the number of rows written.
    pub fn finish(mut self) -> io::Result<u64> {
        match self.inner.take() {
            Some(FileSink::Parquet(w)) => {
                w.close().map_err(io::Error::other)?;
            }
            Some(FileSink::Csv(w)) => {
                let mut buf = w.into_inner();
                buf.flush()?;
                buf.get_ref().sync_all()?;
            }
            None => {}
        }
        fs::rename(&self.tmp, &self.target)?;
        Ok(self.rows)
    }
}

impl Drop for DataFileWriter {
    fn drop(&mut self) {
        if self.inner.is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Serializes `value` to `path` through a temporary file and a rename.
pub fn write_json_atomic<T: Serialize>(path: &Path, value: &T) -> io::Result<()> {
    let bytes = serde_json::to_vec_pretty(value).map_err(io::Error::other)?;
    write_atomic(path, &bytes)
}

/// Writes `bytes` to `path` through a temporary file and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::other("path has no parent"))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp"));
    {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> io::Result<Option<T>> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: {e}", path.display()),
            )
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

fn remove_dir_if_exists(dir: &Path) -> io::Result<()> {
    match fs::remove_dir_all(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_obs_paths_are_checked() {
        assert!(is_safe_name("orders_2024"));
        for bad in ["", "..", "a/b", "a\\b", ".hidden", "_x", "a b"] {
            assert!(!is_safe_name(bad), "{bad}");
        }
        let wh = Warehouse {
            root: PathBuf::from("/w"),
        };
        assert_eq!(
            wh.obs_dir("obs://b/p/q").unwrap(),
            PathBuf::from("/w/.obs/b/p/q")
        );
        assert!(wh.obs_dir("obs://b/../x").is_err());
        assert!(wh.obs_dir("s3://b/x").is_err());
        assert!(wh.obs_dir("obs://").is_err());
    }
}
