//! Tests of the type tables: every row is reachable, the two tables agree, and names in
//! casts read the way Postgres reads them.

use postgres_types::Type;

use super::*;

#[test]
fn every_scalar_has_a_row_of_its_own() {
    for s in Scalar::ALL {
        assert_eq!(entry(*s).scalar, *s);
        assert!(
            PG_TYPES.iter().any(|e| std::ptr::eq(*e, entry(*s).pg)),
            "{s:?}"
        );
    }
    // Every Postgres row is found by its type, its array type and its first name.
    for e in PG_TYPES {
        assert_eq!(postgres_type(e.names[0]), Some(e.ty.clone()), "{}", e.sql);
        assert_eq!(pg_entry(&e.ty).map(|r| r.sql), Some(e.sql));
        assert_eq!(pg_element_entry(&e.array).map(|r| r.sql), Some(e.sql));
    }
}

#[test]
fn maps_to_postgres_types() {
    assert_eq!(SparkType::parse("tinyint").pg_type().pg, Type::INT2);
    assert_eq!(SparkType::parse("bigint").pg_type().pg, Type::INT8);
    let d = SparkType::parse("decimal(12,3)").pg_type();
    assert_eq!((d.pg, d.typmod), (Type::NUMERIC, (12 << 16 | 3) + 4));
    assert_eq!(
        SparkType::parse("array<string>").pg_type().pg,
        Type::TEXT_ARRAY
    );
    assert_eq!(SparkType::parse("map<string,int>").pg_type().pg, Type::JSON);
    assert_eq!(
        SparkType::parse("array<map<string,int>>").pg_type().pg,
        Type::JSON
    );
    assert_eq!(SparkType::parse("void").pg_type().pg, Type::TEXT);
    assert_eq!(SparkType::parse("interval day").pg_type().pg, Type::TEXT);
    let c = SparkType::parse(PG_CHAR).pg_type();
    assert_eq!((c.pg, c.len), (Type::CHAR, 1));
    assert_eq!(SparkType::parse(PG_OID_ARRAY).pg_type().pg, Type::OID_ARRAY);
    assert_eq!(SparkType::Varchar(12).spark_name(), "varchar(12)");
    assert_eq!(SparkType::Void.spark_name(), "void");
    assert_eq!(SparkType::TinyInt.spark_name(), "tinyint");
}

#[test]
fn cast_names_read_as_postgres_reads_them() {
    for (name, ty) in [
        ("oid", Type::OID),
        ("OID[]", Type::OID_ARRAY),
        ("_oid", Type::OID_ARRAY),
        ("regclass", Type::REGCLASS),
        ("pg_catalog.regclass", Type::REGCLASS),
        ("name", Type::NAME),
        ("name[]", Type::NAME_ARRAY),
        ("int4", Type::INT4),
        ("INTEGER", Type::INT4),
        ("int[]", Type::INT4_ARRAY),
        ("varchar(10)", Type::VARCHAR),
        ("CHARACTER VARYING(10)", Type::VARCHAR),
        ("numeric(10,3)", Type::NUMERIC),
        ("timestamp with time zone", Type::TIMESTAMPTZ),
        ("TIMESTAMP(3)  WITHOUT TIME ZONE", Type::TIMESTAMP),
        ("double precision", Type::FLOAT8),
        ("\"char\"", Type::CHAR),
    ] {
        assert_eq!(postgres_type(name), Some(ty.clone()), "{name}");
        assert_eq!(cast_type(name), Some(ty), "{name}");
    }
    // Spark's names where Postgres has none; Spark's `float` is 4 bytes.
    assert_eq!(postgres_type("string"), None);
    assert_eq!(cast_type("string"), Some(Type::TEXT));
    assert_eq!(cast_type("FLOAT"), Some(Type::FLOAT4));
    assert_eq!(cast_type("ARRAY<INT>"), Some(Type::INT4_ARRAY));
    assert_eq!(cast_type("MAP<STRING,INT>"), Some(Type::JSON));
    assert_eq!(cast_type("decimal(10,3)"), Some(Type::NUMERIC));
    assert_eq!(cast_type("interval"), None);
}

#[test]
fn spark_keywords_of_postgres_types() {
    for (ty, spark) in [
        (Type::INT2, Some("SMALLINT")),
        (Type::INT4, Some("INT")),
        (Type::INT8, Some("BIGINT")),
        (Type::OID, Some("BIGINT")),
        (Type::FLOAT4, Some("FLOAT")),
        (Type::FLOAT8, Some("DOUBLE")),
        (Type::NAME, Some("STRING")),
        (Type::BPCHAR, Some("STRING")),
        (Type::TIMESTAMPTZ, Some("TIMESTAMP")),
        (Type::BYTEA, Some("BINARY")),
        (Type::INT2_ARRAY, Some("SMALLINT")),
        (Type::OID_ARRAY, Some("BIGINT")),
        (Type::REGCLASS, None),
        (Type::UUID, None),
    ] {
        assert_eq!(spark_keyword(&ty), spark, "{ty}");
    }
}
