//! The persistent Flink job registry: every job (tombstones included) and the next
//! id, in memory behind one lock and on disk in `<warehouse>/.flink/registry.json`,
//! rewritten atomically (temporary name + rename, like the warehouse's metadata) after
//! every write. Each access first advances the state machine to the current time.
//!
//! Owns: loading, saving, id allocation, name lookup, the job views handlers use.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use super::machine::{self, Timing};
use super::model::JobRecord;
use crate::localdli::error::ApiError;
use crate::localdli::warehouse::write_json_atomic;

/// First job id handed out (DLI's ids are Longs; 6 digits tell them from SQL job UUIDs).
const FIRST_ID: i64 = 100_000;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct Stored {
    next_id: i64,
    jobs: Vec<JobRecord>,
}

/// The jobs, keyed by id.
#[derive(Debug, Default)]
pub struct Jobs {
    next_id: i64,
    map: BTreeMap<i64, JobRecord>,
}

impl Jobs {
    /// A live (not deleted) job.
    pub fn get(&self, id: i64) -> Option<&JobRecord> {
        self.map.get(&id).filter(|j| !j.deleted)
    }

    pub fn get_mut(&mut self, id: i64) -> Option<&mut JobRecord> {
        self.map.get_mut(&id).filter(|j| !j.deleted)
    }

    /// Live jobs in id order.
    pub fn live(&self) -> impl Iterator<Item = &JobRecord> {
        self.map.values().filter(|j| !j.deleted)
    }

    /// Is `name` used by a live job other than `except`?
    pub fn name_taken(&self, name: &str, except: Option<i64>) -> bool {
        self.live()
            .any(|j| j.name == name && Some(j.job_id) != except)
    }

    /// Stores a new job under a fresh id and returns the id.
    pub fn insert(&mut self, mut job: JobRecord) -> i64 {
        let id = self.next_id.max(FIRST_ID);
        self.next_id = id + 1;
        job.job_id = id;
        self.map.insert(id, job);
        id
    }

    /// The first unknown (or deleted) id of `ids`.
    pub fn first_missing(&self, ids: &[i64]) -> Option<i64> {
        ids.iter().copied().find(|id| self.get(*id).is_none())
    }
}

/// The registry of the service.
#[derive(Debug)]
pub struct Registry {
    path: PathBuf,
    timing: Timing,
    jobs: Mutex<Jobs>,
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Registry {
    /// Opens `<warehouse>/.flink/registry.json`. `seed` fills a registry that did not
    /// exist yet (the demo jobs) and is saved at once.
    pub fn open(
        warehouse: &Path,
        timing: Timing,
        seed: impl FnOnce(&mut Jobs, i64),
    ) -> io::Result<Registry> {
        let dir = warehouse.join(".flink");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("registry.json");
        let (jobs, fresh) = match std::fs::read(&path) {
            Ok(bytes) => {
                let stored: Stored = serde_json::from_slice(&bytes).map_err(|e| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("{}: {e}", path.display()),
                    )
                })?;
                let map = stored.jobs.into_iter().map(|j| (j.job_id, j)).collect();
                let jobs = Jobs {
                    next_id: stored.next_id,
                    map,
                };
                (jobs, false)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => (Jobs::default(), true),
            Err(e) => return Err(e),
        };
        let reg = Registry {
            path,
            timing,
            jobs: Mutex::new(jobs),
        };
        if fresh {
            let mut jobs = reg.lock();
            seed(&mut jobs, now_ms());
            reg.save(&jobs)?;
        }
        Ok(reg)
    }

    pub fn timing(&self) -> Timing {
        self.timing
    }

    fn lock(&self) -> MutexGuard<'_, Jobs> {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn save(&self, jobs: &Jobs) -> io::Result<()> {
        let stored = Stored {
            next_id: jobs.next_id,
            jobs: jobs.map.values().cloned().collect(),
        };
        write_json_atomic(&self.path, &stored)
    }

    fn advanced(&self) -> (MutexGuard<'_, Jobs>, i64) {
        let now = now_ms();
        let mut jobs = self.lock();
        for job in jobs.map.values_mut() {
            machine::advance(job, now, self.timing);
        }
        (jobs, now)
    }

    /// Reads the jobs as of now.
    pub fn read<R>(&self, f: impl FnOnce(&Jobs, i64) -> R) -> R {
        let (jobs, now) = self.advanced();
        f(&jobs, now)
    }

    /// Changes the jobs as of now; saved when `f` succeeds. A failed save is a
    /// server-side error (the change stays in memory).
    pub fn write<R>(
        &self,
        f: impl FnOnce(&mut Jobs, i64) -> Result<R, ApiError>,
    ) -> Result<R, ApiError> {
        let (mut jobs, now) = self.advanced();
        let out = f(&mut jobs, now)?;
        self.save(&jobs).map_err(|e| {
            tracing::warn!(path = %self.path.display(), "cannot save the Flink registry: {e}");
            ApiError::server(format!("The Flink job registry cannot be saved: {e}"))
        })?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_and_reloaded() {
        let dir = tempfile::TempDir::new().unwrap();
        let t = Timing { step_ms: 0 };
        let reg = Registry::open(dir.path(), t, |jobs, now| {
            jobs.insert(JobRecord {
                name: "seeded".into(),
                create_time: now,
                ..Default::default()
            });
        })
        .unwrap();
        let id = reg
            .write(|jobs, _| Ok(jobs.insert(JobRecord::default())))
            .unwrap();
        drop(reg);
        let reg = Registry::open(dir.path(), t, |_, _| panic!("seeded twice")).unwrap();
        let names: Vec<String> = reg.read(|jobs, _| jobs.live().map(|j| j.name.clone()).collect());
        assert_eq!(names, ["seeded", ""]);
        assert!(reg.read(|jobs, _| jobs.get(id).is_some()));
        assert_eq!(
            reg.write(|jobs, _| Ok(jobs.insert(JobRecord::default())))
                .unwrap(),
            id + 1
        );
    }
}
