//! Object storage for result files: one reader for `obs://`, `s3://` and `file://`.
//!
//! Owns: parsing result locations, one OpenDAL operator per bucket (OBS's own API or
//! its S3-compatible API, as configured; the local file system for `file://`), listing
//! a result folder's data files in order, opening one as a byte stream, and removing a
//! folder. Credentials never appear in errors, logs or `Debug`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use opendal::{EntryMode, Operator, services};

use super::config::{ObsProtocol, ResultsConfig};

/// A folder of result files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    scheme: Scheme,
    /// Bucket (empty for `file://`).
    bucket: String,
    /// Folder inside the bucket, `a/b/` (empty = the bucket's root); absolute for files.
    folder: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Scheme {
    Obs,
    S3,
    File,
}

impl Location {
    /// `obs://bucket/folder`, `s3://bucket/folder` or `file:///abs/folder`.
    pub fn parse(url: &str) -> Result<Location, String> {
        let url = url.trim();
        let (scheme, rest) = if let Some(r) = url.strip_prefix("obs://") {
            (Scheme::Obs, r)
        } else if let Some(r) = url.strip_prefix("s3://") {
            (Scheme::S3, r)
        } else if let Some(r) = url.strip_prefix("file://") {
            (Scheme::File, r)
        } else {
            return Err(format!(
                "unsupported result location {url:?} (obs://, s3:// or file://)"
            ));
        };
        if scheme == Scheme::File {
            if !rest.starts_with('/') {
                return Err(format!("file:// result location must be absolute: {url:?}"));
            }
            return Ok(Location {
                scheme,
                bucket: String::new(),
                folder: folder(rest),
            });
        }
        let (bucket, path) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() || path.split('/').any(|p| p == "..") {
            return Err(format!("bad result location {url:?}"));
        }
        Ok(Location {
            scheme,
            bucket: bucket.to_string(),
            folder: folder(path),
        })
    }

    fn url(&self, path: &str) -> String {
        match self.scheme {
            Scheme::Obs => format!("obs://{}/{path}", self.bucket),
            Scheme::S3 => format!("s3://{}/{path}", self.bucket),
            Scheme::File => format!("file:///{path}"),
        }
    }
}

/// `a/b` → `a/b/`; `` → ``; leading slashes dropped (OpenDAL paths are relative).
fn folder(path: &str) -> String {
    let p = path.trim_matches('/');
    if p.is_empty() {
        String::new()
    } else {
        format!("{p}/")
    }
}

/// One data file of a result.
#[derive(Clone)]
pub struct ResultFile {
    op: Operator,
    path: String,
    pub url: String,
    pub size: u64,
}

impl std::fmt::Debug for ResultFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResultFile")
            .field("url", &self.url)
            .field("size", &self.size)
            .finish()
    }
}

impl ResultFile {
    /// The file's bytes as they are downloaded.
    pub async fn open(&self) -> Result<BoxStream<'static, std::io::Result<Bytes>>, String> {
        let reader = self
            .op
            .reader_with(&self.path)
            .chunk(256 * 1024)
            .await
            .map_err(|e| format!("cannot open {}: {}", self.url, e.kind()))?;
        let stream = reader
            .into_bytes_stream(..)
            .await
            .map_err(|e| format!("cannot read {}: {}", self.url, e.kind()))?;
        Ok(stream.map_err(std::io::Error::other).boxed())
    }
}

/// Object storage as configured in `[results]`.
pub struct ResultStore {
    protocol: ObsProtocol,
    endpoint: String,
    region: String,
    access_key: String,
    secret_key: String,
    operators: Mutex<HashMap<(Scheme, String), Operator>>,
}

impl std::fmt::Debug for ResultStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResultStore")
            .field("protocol", &self.protocol)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl ResultStore {
    /// `fallback` is `[dli.auth]`'s AK/SK, used when `[results]` names none.
    pub fn new(cfg: &ResultsConfig, fallback: Option<(String, String)>) -> Arc<ResultStore> {
        // OpenDAL's process-wide HTTP transport (reqwest); installing it twice is a no-op.
        opendal::install_default();
        let (access_key, secret_key) = if cfg.access_key.is_empty() {
            fallback.unwrap_or_default()
        } else {
            (cfg.access_key.clone(), cfg.secret_key.clone())
        };
        Arc::new(ResultStore {
            protocol: cfg.protocol,
            endpoint: cfg.endpoint.trim().to_string(),
            region: cfg.region.clone(),
            access_key,
            secret_key,
            operators: Mutex::new(HashMap::new()),
        })
    }

    fn operator(&self, loc: &Location) -> Result<Operator, String> {
        let key = (loc.scheme, loc.bucket.clone());
        if let Some(op) = self
            .operators
            .lock()
            .ok()
            .and_then(|m| m.get(&key).cloned())
        {
            return Ok(op);
        }
        let built = match (loc.scheme, self.protocol) {
            (Scheme::File, _) => Operator::new(services::Fs::default().root("/")),
            _ if self.endpoint.is_empty() => {
                return Err("no object-storage endpoint is configured ([results] endpoint)".into());
            }
            (Scheme::Obs, ObsProtocol::Obs) => Operator::new(
                services::Obs::default()
                    .bucket(&loc.bucket)
                    .endpoint(&self.endpoint)
                    .access_key_id(&self.access_key)
                    .secret_access_key(&self.secret_key),
            ),
            (Scheme::Obs | Scheme::S3, _) => Operator::new(
                services::S3::default()
                    .bucket(&loc.bucket)
                    .endpoint(&self.endpoint)
                    .region(&self.region)
                    .access_key_id(&self.access_key)
                    .secret_access_key(&self.secret_key)
                    .disable_config_load()
                    .disable_ec2_metadata(),
            ),
        }
        .map_err(|e| {
            format!(
                "cannot use object storage for {}: {}",
                loc.url(""),
                e.kind()
            )
        })?;
        if let Ok(mut m) = self.operators.lock() {
            m.insert(key, built.clone());
        }
        Ok(built)
    }

    /// The data files under `loc`, in name order (Spark's part files are numbered);
    /// markers such as `_SUCCESS` and hidden files are skipped.
    pub async fn list(&self, loc: &Location) -> Result<Vec<ResultFile>, String> {
        let op = self.operator(loc)?;
        let entries = op
            .list_with(&loc.folder)
            .recursive(true)
            .await
            .map_err(|e| format!("cannot list {}: {e}", loc.url(&loc.folder)))?;
        let mut files: Vec<ResultFile> = entries
            .into_iter()
            .filter(|e| e.metadata().mode() == EntryMode::FILE)
            .filter(|e| !e.name().starts_with(['_', '.']) && !e.name().ends_with(".crc"))
            .map(|e| ResultFile {
                op: op.clone(),
                url: loc.url(e.path()),
                size: e.metadata().content_length(),
                path: e.path().to_string(),
            })
            .collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }

    /// Remove the folder and everything in it.
    pub async fn remove(&self, loc: &Location) -> Result<(), String> {
        let op = self.operator(loc)?;
        op.delete_with(&loc.folder)
            .recursive(true)
            .await
            .map_err(|e| format!("cannot remove {}: {}", loc.url(&loc.folder), e.kind()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations() {
        let l = Location::parse("obs://bucket/a/b").unwrap();
        assert_eq!((l.bucket.as_str(), l.folder.as_str()), ("bucket", "a/b/"));
        assert_eq!(l.url("a/b/part-0.csv"), "obs://bucket/a/b/part-0.csv");
        let l = Location::parse("s3://bucket").unwrap();
        assert_eq!(l.folder, "");
        let l = Location::parse("file:///tmp/x/").unwrap();
        assert_eq!(l.folder, "tmp/x/");
        assert!(Location::parse("file://rel").is_err());
        assert!(Location::parse("http://x").is_err());
        assert!(Location::parse("obs:///x").is_err());
        assert!(Location::parse("obs://b/../x").is_err());
    }

    #[tokio::test]
    async fn lists_reads_and_removes_local_files() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("job");
        std::fs::create_dir_all(&f).unwrap();
        std::fs::write(f.join("part-00001.csv"), "2\n").unwrap();
        std::fs::write(f.join("part-00000.csv"), "1\n").unwrap();
        std::fs::write(f.join("_SUCCESS"), "").unwrap();
        let store = ResultStore::new(&ResultsConfig::default(), None);
        let loc = Location::parse(&format!("file://{}", f.display())).unwrap();
        let files = store.list(&loc).await.unwrap();
        let names: Vec<_> = files
            .iter()
            .map(|f| f.url.rsplit('/').next().unwrap().to_string())
            .collect();
        assert_eq!(names, ["part-00000.csv", "part-00001.csv"]);
        let bytes: Vec<Bytes> = files[1].open().await.unwrap().try_collect().await.unwrap();
        assert_eq!(bytes.concat(), b"2\n");
        store.remove(&loc).await.unwrap();
        assert!(!f.exists() || std::fs::read_dir(&f).unwrap().next().is_none());
        let none = ResultStore::new(&ResultsConfig::default(), None);
        let err = none
            .list(&Location::parse("obs://b/x").unwrap())
            .await
            .err()
            .unwrap();
        assert!(err.contains("[results] endpoint"), "{err}");
    }
}
