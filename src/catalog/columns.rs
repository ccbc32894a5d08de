//! Loading columns: the describe calls (§7.2.4) that fill in the tables of the
//! databases a catalog query needs, a bounded number at a time across all of them.
//!
//! Owns: the fan-out and the merge of its results (a table dropped between the list and
//! its describe is left out; a table whose columns are still known is not described
//! again). Must not decide which databases are needed (that is [`super::needs`]) nor
//! when (that is [`super::cache`]).

use std::collections::HashMap;

use futures::StreamExt;

use crate::dli::DliError;

use super::model::{Database, Table};
use super::source::MetadataSource;

/// Tables whose columns are still valid, by (database, table).
pub type Known = HashMap<(String, String), Table>;

/// Describe the tables of every database of `dbs` for which `wanted` holds, at most
/// `concurrency` calls at once, and mark those databases described. Tables in `known`
/// take their columns from there. Returns the number of describe calls made.
pub async fn describe_databases(
    source: &dyn MetadataSource,
    dbs: &mut [Database],
    wanted: impl Fn(&Database) -> bool,
    known: &Known,
    concurrency: usize,
) -> Result<usize, DliError> {
    let mut jobs = Vec::new();
    for (di, d) in dbs.iter_mut().enumerate() {
        if !wanted(d) {
            continue;
        }
        d.described = true;
        for (ti, t) in d.tables.iter_mut().enumerate() {
            match known.get(&(d.name.clone(), t.name.clone())) {
                Some(k) if k.dli_type == t.dli_type => {
                    t.columns = k.columns.clone();
                    t.description = k.description.clone();
                    t.definition = k.definition.clone();
                    t.kind = k.kind;
                }
                _ => jobs.push((di, ti, d.name.clone(), t.clone())),
            }
        }
    }
    let calls = jobs.len();
    let results: Vec<(usize, usize, Result<Option<Table>, DliError>)> = futures::stream::iter(jobs)
        .map(|(di, ti, db, t)| async move { (di, ti, source.describe(&db, &t).await) })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let mut gone: Vec<(usize, usize)> = Vec::new();
    for (di, ti, r) in results {
        match r? {
            Some(t) => dbs[di].tables[ti] = t,
            None => gone.push((di, ti)),
        }
    }
    // Highest index first, so the earlier ones stay valid.
    gone.sort_unstable_by(|a, b| b.cmp(a));
    for (di, ti) in gone {
        dbs[di].tables.remove(ti);
    }
    Ok(calls)
}

/// The described tables of `dbs`, for [`describe_databases`]' `known`.
pub fn known_of<'a>(dbs: impl IntoIterator<Item = &'a Database>) -> Known {
    dbs.into_iter()
        .filter(|d| d.described)
        .flat_map(|d| {
            d.tables
                .iter()
                .map(|t| ((d.name.clone(), t.name.clone()), t.clone()))
        })
        .collect()
}
