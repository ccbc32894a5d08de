//! Files written from a job's result (the JSON lines under `<warehouse>/.results/<id>/`):
//! export-result (§7.3.10) targets under the OBS emulation folder, and the `result_path`
//! CSV of `report_result_path = true`. Rows are streamed (line in, line out), never
//! held in memory. Each file is written under a temporary name outside the bucket
//! (`<warehouse>/.results/.<name>.tmp`) and renamed into place, so the S3 endpoint
//! never lists a half-written file.
//!
//! Owns the file layout `part-00000-<uuid>.<csv|json>[.gz|.deflate]`; the text of each
//! value is [`super::sparktext`]'s.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::{GzEncoder, ZlibEncoder};
use serde_json::Value;

use super::results::RESULT_FILE;
use super::sparktext::{
    csv_field, csv_quote, csv_unsupported, csv_unsupported_message, json_object,
};
use crate::pgtypes::SparkType;

/// Storage format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFormat {
    Csv,
    Json,
}

/// Compression of an export. `bzip2` (which the reference also lists) is refused at
/// request time: being stricter than DLI is allowed, being more lenient is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compress {
    None,
    /// `.gz`, a gzip member (what Hadoop's GzipCodec writes).
    Gzip,
    /// `.deflate`, a zlib stream (what Hadoop's DeflateCodec writes).
    Deflate,
}

/// What export-result writes.
#[derive(Debug, Clone)]
pub struct ExportSpec {
    /// The folder `obs://bucket/folder` maps to.
    pub target: PathBuf,
    /// Where temporary files are written before the rename (same file system).
    pub tmp_dir: PathBuf,
    pub format: DataFormat,
    pub compress: Compress,
    pub with_header: bool,
    /// 0 = every row.
    pub limit: u64,
    pub overwrite: bool,
}

/// Whether a folder holds anything (a missing folder holds nothing).
pub fn has_files(dir: &Path) -> bool {
    fs::read_dir(dir).is_ok_and(|mut it| it.next().is_some())
}

/// Spark's `[PATH_ALREADY_EXISTS]` message for an ErrorIfExists export.
pub fn path_exists_message(data_path: &str) -> String {
    format!(
        "[PATH_ALREADY_EXISTS] Path {data_path} already exists. Set export_mode to \
         Overwrite to overwrite the existing path."
    )
}

/// Writes a job's result to `spec.target`, returning the rows written.
pub fn export(
    result_dir: &Path,
    columns: &[(String, SparkType)],
    spec: &ExportSpec,
    data_path: &str,
) -> Result<u64, String> {
    if spec.format == DataFormat::Csv
        && let Some((name, t)) = columns.iter().find(|(_, t)| csv_unsupported(t))
    {
        return Err(csv_unsupported_message(name, t));
    }
    if has_files(&spec.target) {
        if !spec.overwrite {
            return Err(path_exists_message(data_path));
        }
        fs::remove_dir_all(&spec.target).map_err(|e| e.to_string())?;
    }
    let header = spec.with_header && spec.format == DataFormat::Csv;
    write_part(result_dir, columns, spec, header)
}

/// Writes the `result_path` CSV of a finished query (no header; complex columns as their
/// Spark JSON text, binary as base64) into `target`, replacing what is there.
pub fn write_result_csv(
    result_dir: &Path,
    columns: &[(String, SparkType)],
    target: &Path,
    tmp_dir: &Path,
) -> Result<u64, String> {
    if target.exists() {
        fs::remove_dir_all(target).map_err(|e| e.to_string())?;
    }
    let spec = ExportSpec {
        target: target.to_path_buf(),
        tmp_dir: tmp_dir.to_path_buf(),
        format: DataFormat::Csv,
        compress: Compress::None,
        with_header: false,
        limit: 0,
        overwrite: true,
    };
    write_part(result_dir, columns, &spec, false)
}

fn write_part(
    result_dir: &Path,
    columns: &[(String, SparkType)],
    spec: &ExportSpec,
    header: bool,
) -> Result<u64, String> {
    let err = |e: io::Error| e.to_string();
    fs::create_dir_all(&spec.target).map_err(err)?;
    fs::create_dir_all(&spec.tmp_dir).map_err(err)?;
    let input = File::open(result_dir.join(RESULT_FILE)).map_err(err)?;
    let ext = match spec.format {
        DataFormat::Csv => "csv",
        DataFormat::Json => "json",
    };
    let suffix = match spec.compress {
        Compress::None => "",
        Compress::Gzip => ".gz",
        Compress::Deflate => ".deflate",
    };
    let name = format!("part-00000-{}.{ext}{suffix}", uuid::Uuid::new_v4());
    let tmp = spec.tmp_dir.join(format!(".{name}.tmp"));
    let file = BufWriter::new(File::create(&tmp).map_err(err)?);
    let written = match spec.compress {
        Compress::None => finish(file, |w| write_rows(input, columns, spec, header, w), Ok),
        Compress::Gzip => finish(
            GzEncoder::new(file, Compression::default()),
            |w| write_rows(input, columns, spec, header, w),
            GzEncoder::finish,
        ),
        Compress::Deflate => finish(
            ZlibEncoder::new(file, Compression::default()),
            |w| write_rows(input, columns, spec, header, w),
            ZlibEncoder::finish,
        ),
    };
    match written {
        Ok(n) => {
            fs::rename(&tmp, spec.target.join(name)).map_err(err)?;
            Ok(n)
        }
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e.to_string())
        }
    }
}

/// Writes through `w`, then ends the encoder (its trailer) and flushes the file.
fn finish<W: Write>(
    mut w: W,
    body: impl FnOnce(&mut W) -> io::Result<u64>,
    end: impl FnOnce(W) -> io::Result<BufWriter<File>>,
) -> io::Result<u64> {
    let n = body(&mut w)?;
    let mut file = end(w)?;
    file.flush()?;
    Ok(n)
}

fn write_rows<W: Write>(
    input: File,
    columns: &[(String, SparkType)],
    spec: &ExportSpec,
    header: bool,
    out: &mut W,
) -> io::Result<u64> {
    let mut line = String::new();
    if header {
        for (i, (name, _)) in columns.iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            csv_quote(&mut line, name);
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    let mut written = 0u64;
    for text in BufReader::new(input).lines() {
        if spec.limit > 0 && written >= spec.limit {
            break;
        }
        let Ok(Value::Array(values)) = serde_json::from_str::<Value>(&text?) else {
            return Err(io::Error::other("corrupt result file"));
        };
        line.clear();
        match spec.format {
            DataFormat::Csv => {
                for (i, (v, (_, t))) in values.iter().zip(columns).enumerate() {
                    if i > 0 {
                        line.push(',');
                    }
                    csv_field(&mut line, v, t);
                }
            }
            DataFormat::Json => json_object(
                &mut line,
                columns
                    .iter()
                    .zip(&values)
                    .map(|((n, t), v)| (n.as_str(), v, t)),
            ),
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
        written += 1;
    }
    Ok(written)
}
