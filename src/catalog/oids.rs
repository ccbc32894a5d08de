//! Stable object identifiers for DLI databases (schemas) and tables (relations).
//!
//! Owns: deriving an OID from an object's names, so the same object has the same OID in
//! every snapshot, on every gateway and after restarts (psql's `\d` sends the OID of its
//! first answer back in a second query). OIDs live in Postgres' user range
//! `[16384, 2^31)`, so they fit the `int4`-typed OID columns and never collide with the
//! fixed OIDs of built-in objects (< 16384). Columns have no OID in Postgres: they are
//! `(attrelid, attnum)`, with `attnum` the column's 1-based position.

use std::collections::HashMap;

/// First OID of Postgres' user range.
pub const FIRST_USER_OID: u32 = 16384;
/// OIDs are kept below 2^31 so that int4 OID columns stay positive.
const OID_SPACE: u64 = (1u64 << 31) - FIRST_USER_OID as u64;

/// The fixed OID of `pg_catalog`.
pub const PG_CATALOG_NAMESPACE: u32 = 11;
/// Postgres 15's OID of `information_schema` (it varies by build; clients only compare it
/// with `pg_namespace.oid`).
pub const INFORMATION_SCHEMA_NAMESPACE: u32 = 13183;
/// The fixed OID of the one database (`template1` is 1 in Postgres; 5 is `postgres`).
pub const DATABASE_OID: u32 = 5;
/// The bootstrap superuser's OID, used as every object's owner.
pub const OWNER_OID: u32 = 10;
/// `pg_class`'s own OID (the `classoid` of relation comments).
pub const PG_CLASS_OID: u32 = 1259;
/// `pg_namespace`'s own OID (the `classoid` of schema comments).
pub const PG_NAMESPACE_OID: u32 = 2615;

/// What an OID names (part of the hashed key, so a schema and a table of the same name
/// get different OIDs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    Namespace,
    Relation,
}

/// 64-bit FNV-1a: simple, stable across Rust versions and platforms.
fn fnv1a(parts: &[&str], salt: u32) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    feed(&salt.to_le_bytes());
    for p in parts {
        feed(p.as_bytes());
        feed(&[0xff]);
    }
    h
}

/// The OID an object would get without collisions.
pub fn derive(kind: ObjectKind, names: &[&str], salt: u32) -> u32 {
    let tag = match kind {
        ObjectKind::Namespace => "n",
        ObjectKind::Relation => "r",
    };
    let mut parts = Vec::with_capacity(names.len() + 1);
    parts.push(tag);
    parts.extend_from_slice(names);
    let h = fnv1a(&parts, salt) % OID_SPACE;
    // `h < 2^31 - 16384`, so the sum is below 2^31 and fits u32.
    FIRST_USER_OID + u32::try_from(h).unwrap_or(0)
}

/// Hands out OIDs for one snapshot, resolving the (rare, ~0.6% at 5,000 tables) hash
/// collisions deterministically: objects are assigned in name order and a collision is
/// re-hashed with the next salt. So an OID only changes if a colliding object appears.
#[derive(Debug, Default)]
pub struct OidAllocator {
    used: HashMap<u32, ()>,
}

impl OidAllocator {
    pub fn assign(&mut self, kind: ObjectKind, names: &[&str]) -> u32 {
        let mut salt = 0;
        loop {
            let oid = derive(kind, names, salt);
            if self.used.insert(oid, ()).is_none() {
                return oid;
            }
            salt += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oids_are_stable_in_range_and_kind_dependent() {
        let a = derive(ObjectKind::Relation, &["tpch", "nation"], 0);
        assert_eq!(a, derive(ObjectKind::Relation, &["tpch", "nation"], 0));
        assert!((FIRST_USER_OID..(1 << 31)).contains(&a));
        assert_ne!(a, derive(ObjectKind::Namespace, &["tpch", "nation"], 0));
        // the separator keeps ("ab","c") and ("a","bc") apart
        assert_ne!(
            derive(ObjectKind::Relation, &["ab", "c"], 0),
            derive(ObjectKind::Relation, &["a", "bc"], 0)
        );
    }

    #[test]
    fn allocator_never_repeats() {
        let mut alloc = OidAllocator::default();
        let mut seen = std::collections::HashSet::new();
        for i in 0..20_000 {
            let name = format!("t{i}");
            assert!(seen.insert(alloc.assign(ObjectKind::Relation, &["db", &name])));
        }
    }
}
