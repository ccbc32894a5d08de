//! What a DDL statement run through the gateway changed in the catalog.
//!
//! Owns: turning the [`Touched`] entries the statement plan found (see
//! `gateway::classify`) into the [`Invalidation`]s the cache needs, resolving unqualified
//! names against the session's current database when the statement ran. Reads no SQL.

use super::cache::Invalidation;
use crate::gateway::catalog_hook::Touched;

/// The invalidations for what one DDL statement touched.
pub fn invalidations(touched: &[Touched], currentdb: &str) -> Vec<Invalidation> {
    let db = |d: &Option<String>| d.clone().unwrap_or_else(|| currentdb.to_string());
    touched
        .iter()
        .map(|t| match t {
            Touched::Table { db: d, table } => Invalidation::Table(db(d), table.clone()),
            Touched::Tables { db: d } => Invalidation::Database(db(d)),
            Touched::Database(d) => Invalidation::Database(d.clone()),
            Touched::DatabaseList => Invalidation::DatabaseList,
            Touched::Everything => Invalidation::Everything,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unqualified_names_resolve_against_the_current_database() {
        let touched = [
            Touched::Table {
                db: None,
                table: "items".into(),
            },
            Touched::Tables {
                db: Some("shop".into()),
            },
            Touched::DatabaseList,
        ];
        assert_eq!(
            invalidations(&touched, "sales"),
            vec![
                Invalidation::Table("sales".into(), "items".into()),
                Invalidation::Database("shop".into()),
                Invalidation::DatabaseList,
            ]
        );
    }
}
