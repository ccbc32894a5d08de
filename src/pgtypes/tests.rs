//! Tests of the type module: the parser in both policies, every table row reachable,
//! the two tables agree, and names in casts read the way Postgres reads them.

use postgres_types::Type;
use serde_json::json;

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

#[test]
fn parses_spark_type_names() {
    assert_eq!(SparkType::parse("INT"), SparkType::Int);
    assert_eq!(SparkType::parse("integer"), SparkType::Int);
    assert_eq!(
        SparkType::parse("decimal(10, 2)"),
        SparkType::Decimal(10, 2)
    );
    assert_eq!(
        SparkType::parse("array<struct<a:int,b:map<string,double>>>"),
        SparkType::Array(Box::new(SparkType::Struct(vec![
            ("a".into(), SparkType::Int),
            (
                "b".into(),
                SparkType::Map(Box::new(SparkType::String), Box::new(SparkType::Double))
            )
        ])))
    );
    assert_eq!(
        SparkType::parse("interval day"),
        SparkType::Other("interval day".into())
    );
    assert_eq!(
        SparkType::parse("array<int"),
        SparkType::Other("array<int".into())
    );
    assert_eq!(
        SparkType::parse("array<foo>"),
        SparkType::Array(Box::new(SparkType::Other("foo".into())))
    );
    assert_eq!(SparkType::parse("varchar"), SparkType::Varchar(65535));
    // An unterminated backquote is not a panic.
    assert!(matches!(SparkType::parse("struct<`a"), SparkType::Other(_)));
}

#[test]
fn strict_parse_refuses_what_spark_refuses() {
    for (text, canonical) in [
        ("INT", "int"),
        ("integer", "int"),
        ("long", "bigint"),
        ("byte", "tinyint"),
        ("real", "float"),
        ("Decimal(10, 2)", "decimal(10,2)"),
        ("decimal", "decimal(10,0)"),
        ("varchar(12)", "varchar(12)"),
        ("character(3)", "char(3)"),
        ("void", "void"),
        ("array<array<int>>", "array<array<int>>"),
        ("map<string, array<bigint>>", "map<string,array<bigint>>"),
        ("struct<a:int, `b c`:string>", "struct<a:int,b c:string>"),
        ("struct<`x``y` int>", "struct<x`y:int>"),
    ] {
        let ty = SparkType::try_parse(text).unwrap();
        assert_eq!(ty.spark_name(), canonical, "{text}");
        assert_eq!(SparkType::parse(text), ty, "{text}");
    }
    for bad in [
        "decimal(40,2)",
        "decimal(5,6)",
        "int int",
        "foo",
        "varchar",
        "varchar(0)",
        "array<foo>",
        "struct<`a",
    ] {
        assert!(SparkType::try_parse(bad).is_err(), "{bad}");
    }
    assert_eq!(
        SparkType::try_parse("foo").unwrap_err().to_string(),
        "unsupported data type 'foo'"
    );
}

#[test]
fn spark_json_names() {
    let ty = SparkType::try_parse("array<int>").unwrap();
    assert_eq!(
        ty.json(),
        json!({"type":"array","elementType":"integer","containsNull":true})
    );
    assert_eq!(SparkType::BigInt.json(), json!("long"));
    assert_eq!(SparkType::Decimal(5, 2).json(), json!("decimal(5,2)"));
    assert_eq!(SparkType::Void.json(), json!("void"));
}

#[test]
fn decimals_keep_their_scale_and_timestamps_print_as_postgres_does() {
    use bytes::BytesMut;
    use pgwire::types::ToSqlText;
    use pgwire::types::format::FormatOptions;
    let d = SparkType::Decimal(10, 2);
    for v in [
        serde_json::json!(44832.6),
        serde_json::json!("44832.6"),
        serde_json::json!(44832.60),
    ] {
        assert_eq!(
            PgValue::from_json(&v, &d).unwrap(),
            PgValue::Numeric("44832.60".into()),
            "{v}"
        );
    }
    let text = |v: &PgValue| {
        let mut out = BytesMut::new();
        v.to_sql_text(
            &postgres_types::Type::TIMESTAMP,
            &mut out,
            &FormatOptions::default(),
        )
        .unwrap();
        String::from_utf8(out.to_vec()).unwrap()
    };
    for (given, shown) in [
        ("2024-01-02 03:04:05.500", "2024-01-02 03:04:05.5"),
        ("1996-01-02 00:00:00", "1996-01-02 00:00:00"),
        ("2024-01-02T03:04:05.123456Z", "2024-01-02 03:04:05.123456"),
    ] {
        let v = PgValue::from_json(&serde_json::json!(given), &SparkType::Timestamp).unwrap();
        assert_eq!(text(&v), shown, "{given}");
    }
}
