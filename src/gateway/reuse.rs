//! Result reuse on request: an identical read-only query finished recently enough
//! answers a statement without a new job (`SET dli.result_reuse_max_age`).
//!
//! Owns: what a statement reads and writes, read from its Spark parse ([`reads_of`],
//! [`writes_of`] — conservative: unknown reads mean no reuse, unknown writes touch
//! everything), the choice of the job whose result answers (this replica's record in
//! [`super::sharing::Recent`], else other replicas' jobs found through their fingerprint
//! tag), the NOTICE that names the reused job and its age, and the setting's values
//! ([`parse_max_age`]). A result DLI no longer keeps (DLI.0100) makes the
//! statement run after all.

use std::collections::BTreeSet;
use std::ops::ControlFlow;
use std::time::Duration;

use sqlparser::ast::{ObjectName, Statement, visit_relations};
use tokio::time::Instant;

use super::classify::DliKind;
use super::runner::{Finished, JobContext, Outcome, Runner};
use super::sharing::{
    FINGERPRINT_TAG, Fingerprint, ShareSpec, Since, Written, age_text, fingerprint_tag, lock,
    now_ms,
};
use crate::dli::{JobState, JobStatus, JobType, ListJobsQuery};
use crate::errors::{ErrorKind, GatewayError, Notice};

/// Jobs of one fingerprint looked at in another replica's record (DLI's list).
const LISTED: u32 = 20;

/// The tables a query reads (lower-case, without database); `None` for anything but a
/// parsed query.
pub fn reads_of(kind: &DliKind, spark: Option<&Statement>) -> Option<Vec<String>> {
    let stmt = spark.filter(|_| *kind == DliKind::Query)?;
    if !matches!(stmt, Statement::Query(_)) {
        return None;
    }
    let mut names = BTreeSet::new();
    let _ = visit_relations(stmt, |n: &ObjectName| {
        if let Some(t) = table_name(n) {
            names.insert(t);
        }
        ControlFlow::<()>::Continue(())
    });
    Some(names.into_iter().collect())
}

/// What a statement that is not a query may write.
pub fn writes_of(kind: &DliKind, spark: Option<&Statement>) -> Written {
    use super::catalog_hook::Touched;
    match kind {
        DliKind::Query => Written::Nothing,
        DliKind::Insert => match spark {
            Some(Statement::Insert(i)) => match &i.table {
                sqlparser::ast::TableObject::TableName(n) => {
                    table_name(n).map_or(Written::Everything, |t| Written::Tables(vec![t]))
                }
                _ => Written::Everything,
            },
            _ => Written::Everything,
        },
        DliKind::Other {
            returns_rows: true, ..
        } => Written::Nothing,
        DliKind::Ddl { touches, .. } | DliKind::Other { touches, .. } => {
            if let Some(Statement::Truncate(tr)) = spark {
                let ts: Option<Vec<String>> =
                    tr.table_names.iter().map(|t| table_name(&t.name)).collect();
                return ts.map_or(Written::Everything, Written::Tables);
            }
            let mut ts = Vec::new();
            for t in touches {
                match t {
                    Touched::Table { table, .. } => ts.push(table.to_lowercase()),
                    _ => return Written::Everything,
                }
            }
            if ts.is_empty() {
                Written::Everything
            } else {
                Written::Tables(ts)
            }
        }
    }
}

fn table_name(n: &ObjectName) -> Option<String> {
    n.0.last()
        .and_then(|p| p.as_ident())
        .map(|i| i.value.to_lowercase())
}

/// A job that may answer a statement: its id, its status, when it was submitted.
struct Candidate {
    job_id: String,
    status: JobStatus,
    submitted: Since,
    finished_ms: i64,
    source: &'static str,
}

impl Runner {
    /// The result of an identical finished query within `spec.reuse_max_age`, not
    /// outdated by a write through this gateway; `None` to run the statement.
    pub(super) async fn reuse(
        &self,
        fp: &Fingerprint,
        spec: &ShareSpec,
        ctx: &JobContext,
        deadline: Option<Instant>,
    ) -> Option<Finished> {
        let reads = spec.reads.as_deref()?;
        let max_ms = i64::try_from(spec.reuse_max_age.as_millis()).unwrap_or(i64::MAX);
        let oldest = now_ms().saturating_sub(max_ms);
        let recent = &self.sharing.recent;
        let fresh =
            |c: &Candidate| c.finished_ms >= oldest && !recent.written_since(reads, c.submitted);
        let local = lock(&recent.records).get(fp).map(|r| Candidate {
            job_id: r.job_id.clone(),
            status: r.status.clone(),
            submitted: Since::Local(r.submitted.seq),
            finished_ms: r.finished_ms,
            source: "reused_local",
        });
        let found = match local.filter(|c| fresh(c)) {
            Some(c) => Some(c),
            None => self.listed(fp, oldest).await.into_iter().find(|c| fresh(c)),
        };
        let c = found?;
        match self
            .collect(&c.job_id, &JobType::Query, c.status, ctx, deadline)
            .await
        {
            Ok(mut outcome) => {
                crate::metrics::job_sharing(c.source);
                let age =
                    Duration::from_millis(u64::try_from(now_ms() - c.finished_ms).unwrap_or(0));
                tracing::info!(
                    job_id = c.job_id,
                    age_ms = age.as_millis() as u64,
                    "reused a DLI job's result"
                );
                if let Outcome::Rows { notices, .. } = &mut outcome {
                    notices.push(Notice::info(
                        format!(
                            "reused the result of DLI job {}, finished {} ago",
                            c.job_id,
                            age_text(age)
                        ),
                        Some(format!(
                            "dli.result_reuse_max_age = {}",
                            crate::settings::format_duration_ms(max_ms as u64)
                        )),
                    ));
                }
                Some(Finished {
                    job_id: c.job_id,
                    outcome,
                })
            }
            Err(e) => {
                let expired = e.detail.as_deref().is_some_and(|d| d.contains("DLI.0100"));
                crate::metrics::job_sharing(if expired {
                    "reuse_expired"
                } else {
                    "reuse_failed"
                });
                tracing::info!(job_id = c.job_id, error = %e, expired, "cannot reuse a DLI job's result; running the statement");
                recent.forget(fp, &c.job_id);
                None
            }
        }
    }

    /// Finished queries of this fingerprint any replica ran, newest first (DLI's job
    /// list by tag; its filter is fuzzy, so the tag is compared exactly here).
    async fn listed(&self, fp: &Fingerprint, oldest_ms: i64) -> Vec<Candidate> {
        let query = ListJobsQuery {
            page_size: Some(LISTED),
            job_type: Some("QUERY".into()),
            job_status: Some("FINISHED".into()),
            order: Some("start_time_desc".into()),
            start: Some(oldest_ms),
            tags: vec![fingerprint_tag(fp)],
            ..ListJobsQuery::default()
        };
        let list = match self.backend.list_jobs(&query).await {
            Ok(l) => l,
            Err(e) => {
                tracing::debug!(error = %e, "no job list for result reuse");
                return Vec::new();
            }
        };
        list.jobs
            .into_iter()
            .filter(|j| j.status == JobState::Finished && j.job_type == JobType::Query)
            .filter(|j| {
                j.tags
                    .iter()
                    .any(|t| t.key == FINGERPRINT_TAG && t.value == fp.tag_value())
            })
            .filter_map(|j| {
                let start = j.start_time?;
                Some(Candidate {
                    job_id: j.job_id.clone(),
                    submitted: Since::Ms(start),
                    finished_ms: start.saturating_add(j.duration.unwrap_or(0)),
                    status: j,
                    source: "reused_tags",
                })
            })
            .collect()
    }
}

/// `SET dli.result_reuse_max_age` values: `0`/`off`, `600` (seconds, as Postgres reads
/// a plain number of a seconds setting), `'10min'`, `'30s'`, `'2h'`, `'1d'`; in ms.
pub fn parse_max_age(v: &str) -> Result<u64, GatewayError> {
    let t = v.trim().to_ascii_lowercase();
    let bad = || {
        GatewayError::new(
            ErrorKind::InvalidParameter,
            format!("invalid value for parameter \"dli.result_reuse_max_age\": \"{v}\""),
        )
        .with_hint("Use a duration such as '10min', '30s' or '1h', or 0 (off).")
    };
    if t == "off" || t.is_empty() {
        return Ok(0);
    }
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| bad())?;
    let factor: u64 = match unit.trim() {
        "ms" => 1,
        "" | "s" => 1000,
        "min" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(bad()),
    };
    n.checked_mul(factor).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(sql: &str) -> (DliKind, Option<Statement>) {
        let stmt = crate::sparksql::parse(sql).ok().and_then(|mut v| v.pop());
        let kind = super::super::classify::classify(stmt.as_ref(), &[]);
        (kind, stmt)
    }

    #[test]
    fn reads_and_writes_come_from_the_parse() {
        let (k, s) = parsed(
            "SELECT * FROM db.Orders o JOIN items i ON o.id = i.id WHERE x IN (SELECT y FROM z)",
        );
        assert_eq!(
            reads_of(&k, s.as_ref()),
            Some(vec!["items".into(), "orders".into(), "z".into()])
        );
        let (k, s) = parsed("INSERT INTO db.orders VALUES (1)");
        assert_eq!(reads_of(&k, s.as_ref()), None);
        assert_eq!(
            writes_of(&k, s.as_ref()),
            Written::Tables(vec!["orders".into()])
        );
        let (k, s) = parsed("DROP TABLE t");
        assert_eq!(writes_of(&k, s.as_ref()), Written::Tables(vec!["t".into()]));
        let (k, s) = parsed("SELECT 1 FROM t");
        assert_eq!(writes_of(&k, s.as_ref()), Written::Nothing);
    }

    #[test]
    fn max_ages_parse() {
        assert_eq!(parse_max_age("10min").ok(), Some(600_000));
        assert_eq!(parse_max_age("600").ok(), Some(600_000));
        assert_eq!(parse_max_age("off").ok(), Some(0));
        assert_eq!(parse_max_age(" 250ms ").ok(), Some(250));
        assert!(parse_max_age("soon").is_err());
    }
}
