//! Postgres in → Spark out, one row per construct.

use super::{ColumnTypes, NoColumns, to_spark, to_spark_with};
use crate::pgtypes::SparkType;

/// `t(i int, b bigint, d double, s string)`.
struct Cols;

impl ColumnTypes for Cols {
    fn column_type(&self, _db: Option<&str>, table: &str, column: &str) -> Option<SparkType> {
        match (table, column) {
            ("t", "i") => Some(SparkType::Int),
            ("t", "b") => Some(SparkType::BigInt),
            ("t", "d") => Some(SparkType::Double),
            ("t", "s") => Some(SparkType::String),
            ("t", "day") => Some(SparkType::Date),
            _ => None,
        }
    }
}

fn spark(sql: &str) -> String {
    to_spark_with(sql, &Cols).unwrap_or_else(|e| format!("REFUSED: {e}"))
}

#[test]
fn casts_and_type_names() {
    for (pg, want) in [
        (
            "SELECT x::text FROM t",
            "SELECT CAST(x AS STRING) AS `x` FROM t",
        ),
        (
            "SELECT CAST(x AS DOUBLE PRECISION), y::int8, z::float8 FROM t",
            "SELECT CAST(x AS DOUBLE) AS `x`, CAST(y AS BIGINT) AS `y`, CAST(z AS DOUBLE) AS `z` FROM t",
        ),
        (
            "SELECT x::varchar(3) AS v FROM t",
            "SELECT substr(CAST(x AS STRING), 1, 3) AS v FROM t",
        ),
        (
            "SELECT x::timestamptz AS a, x::bool AS b, x::int4 AS c FROM t",
            "SELECT CAST(x AS TIMESTAMP) AS a, CAST(x AS BOOLEAN) AS b, CAST(x AS INT) AS c FROM t",
        ),
        (
            "SELECT '1.25'::numeric AS a, x::numeric AS b, x::numeric(10,2) AS c FROM t",
            "SELECT CAST('1.25' AS DECIMAL(3,2)) AS a, CAST(x AS DECIMAL(38,18)) AS b, CAST(x AS DECIMAL(10,2)) AS c FROM t",
        ),
        (
            "SELECT timestamptz '2024-01-02 03:04:05+02' AS a, int4 '5' AS b",
            "SELECT TIMESTAMP '2024-01-02 03:04:05+02' AS a, CAST('5' AS INT) AS b",
        ),
        ("SELECT 1::text", "SELECT CAST(1 AS STRING) AS `text`"),
    ] {
        assert_eq!(spark(pg), want, "{pg}");
    }
}

#[test]
fn null_ordering_is_postgres() {
    assert_eq!(
        spark("SELECT a FROM t ORDER BY a, b DESC, c ASC NULLS FIRST"),
        "SELECT a FROM t ORDER BY a ASC NULLS LAST, b DESC NULLS FIRST, c ASC NULLS FIRST"
            .replace("a ASC NULLS LAST", "a NULLS LAST")
    );
    assert_eq!(
        spark("SELECT a, rank() OVER (ORDER BY b DESC) AS r FROM t"),
        "SELECT a, rank() OVER (ORDER BY b DESC NULLS FIRST) AS r FROM t"
    );
}

#[test]
fn integer_division_truncates_where_types_are_known() {
    assert_eq!(
        spark("SELECT i / 2 AS h, b / i AS q, d / 2 AS f, s / 2 AS g, u / 2 AS k FROM t"),
        "SELECT CAST(i DIV 2 AS INT) AS h, CAST(b DIV i AS BIGINT) AS q, d / 2 AS f, s / 2 AS g, u / 2 AS k FROM t"
    );
    assert_eq!(
        spark("SELECT 7 / 2 AS a, (i + 1) / count(*) AS b FROM t"),
        "SELECT CAST(7 DIV 2 AS INT) AS a, CAST((i + 1) DIV count(*) AS BIGINT) AS b FROM t"
    );
    // Without metadata a column's type is unknown: Spark's `/` is left.
    assert_eq!(
        to_spark_with("SELECT i / 2 AS h FROM t", &NoColumns).unwrap(),
        "SELECT i / 2 AS h FROM t"
    );
}

#[test]
fn integer_division_through_derived_tables_and_ctes() {
    for (pg, want) in [
        (
            "SELECT x / 2 AS h FROM (SELECT i AS x, d AS y FROM t) s",
            "SELECT CAST(x DIV 2 AS INT) AS h FROM (SELECT i AS x, d AS y FROM t) s",
        ),
        (
            "SELECT s.y / 2 AS h FROM (SELECT i AS x, d AS y FROM t) s",
            "SELECT s.y / 2 AS h FROM (SELECT i AS x, d AS y FROM t) s",
        ),
        (
            "WITH c AS (SELECT sum(i) AS total, count(*) AS n FROM t) \
             SELECT total / n AS a FROM c",
            "WITH c AS (SELECT sum(i) AS total, count(*) AS n FROM t) \
             SELECT CAST(total DIV n AS BIGINT) AS a FROM c",
        ),
        (
            "WITH c(v) AS (SELECT i + 1 FROM t), d AS (SELECT v * 2 AS w FROM c) \
             SELECT w / 3 AS a FROM d",
            "WITH c (v) AS (SELECT i + 1 FROM t), d AS (SELECT v * 2 AS w FROM c) \
             SELECT CAST(w DIV 3 AS INT) AS a FROM d",
        ),
        (
            "SELECT i / 2 AS a FROM (SELECT * FROM t) s",
            "SELECT CAST(i DIV 2 AS INT) AS a FROM (SELECT * FROM t) s",
        ),
        // sum(bigint) is numeric on Postgres: exact division
        (
            "SELECT v / 2 AS a FROM (SELECT sum(b) AS v FROM t) s",
            "SELECT v / 2 AS a FROM (SELECT sum(b) AS v FROM t) s",
        ),
        // a column the derived table does not type stays Spark's `/`
        (
            "SELECT v / 2 AS a FROM (SELECT upper(s) AS v FROM t) q",
            "SELECT v / 2 AS a FROM (SELECT upper(s) AS v FROM t) q",
        ),
    ] {
        assert_eq!(spark(pg), want, "{pg}");
    }
}

#[test]
fn regex_and_strings() {
    assert_eq!(
        spark("SELECT a FROM t WHERE a ~ 'x' AND b ~* 'y' AND c !~ 'z' AND d !~* '[[:digit:]]'"),
        r"SELECT a FROM t WHERE a RLIKE 'x' AND b RLIKE concat('(?i)', 'y') AND c NOT RLIKE 'z' AND d NOT RLIKE concat('(?i)', '[\\p{Digit}]')"
    );
    assert_eq!(
        spark("SELECT substring(s from 'a(b+)') AS m, substring(s from 0 for 3) AS p FROM t"),
        "SELECT CASE WHEN s RLIKE 'a(b+)' THEN regexp_extract(s, 'a(b+)', 1) END AS m, substring(s, 1, 2) AS p FROM t"
    );
    // Spark 3.3 reads these as Postgres does: unchanged text.
    for same in [
        "SELECT position('b' in s), substring(s from 2 for 3), s || 'x' FROM t WHERE s ILIKE 'a%'",
        "SELECT coalesce(a, b) AS c, nullif(a, 0) AS n, greatest(a, b) AS g FROM t",
    ] {
        assert_eq!(spark(same), to_spark_with(same, &NoColumns).unwrap());
    }
}

#[test]
fn output_names_are_postgres() {
    assert_eq!(
        spark("SELECT sum(x), count(*), x + 1, CASE WHEN x THEN 1 END, t.y, z FROM t"),
        "SELECT sum(x) AS `sum`, count(*) AS `count`, x + 1 AS `?column?`, CASE WHEN x THEN 1 END AS `case`, t.y, z FROM t"
    );
    assert_eq!(
        spark("SELECT max(a) FROM t UNION ALL SELECT min(a) FROM t"),
        "SELECT max(a) AS `max` FROM t UNION ALL SELECT min(a) FROM t"
    );
}

#[test]
fn offset_is_a_row_number() {
    assert_eq!(
        spark("SELECT a, sum(b) AS s FROM t GROUP BY a ORDER BY 2 DESC LIMIT 10 OFFSET 20"),
        "SELECT \"a\", \"s\" FROM (SELECT a AS `a`, sum(b) AS `s`, row_number() OVER (ORDER BY sum(b) DESC NULLS FIRST) AS __pg_rn FROM t GROUP BY a) AS __pg_page WHERE __pg_rn > (20) AND __pg_rn <= (20) + (10) ORDER BY __pg_rn"
            .replace("\"a\", \"s\"", "`a`, `s`")
    );
    assert!(spark("SELECT * FROM t LIMIT 1 OFFSET 1").starts_with("REFUSED: OFFSET on SELECT *"));
    assert!(spark("SELECT a FROM t UNION SELECT b FROM u OFFSET 1").starts_with("REFUSED"));
    assert_eq!(
        spark("SELECT a FROM t FETCH FIRST 3 ROWS ONLY"),
        "SELECT a FROM t LIMIT 3"
    );
}

#[test]
fn arrays_are_spark_arrays() {
    assert_eq!(
        spark("SELECT ARRAY[1, 2] AS a, x[1] AS f FROM t"),
        "SELECT array(1, 2) AS a, element_at(x, 1) AS f FROM t"
    );
}

#[test]
fn refused_constructs_name_themselves() {
    for (pg, construct) in [
        ("SELECT x::regclass FROM t", "type regclass"),
        ("SELECT x::time FROM t", "the time type"),
        (
            "SELECT DISTINCT a FROM t ORDER BY a OFFSET 2",
            "OFFSET on SELECT DISTINCT",
        ),
    ] {
        let out = spark(pg);
        assert!(
            out.starts_with("REFUSED") && out.contains(construct),
            "{pg}: {out}"
        );
    }
}

#[test]
fn what_does_not_parse_as_postgres_keeps_the_token_translation() {
    let ddl = "CREATE TABLE t (a INT, \"b\" STRING) USING parquet";
    assert_eq!(
        to_spark(ddl).unwrap(),
        crate::pgsql::Lexed::new(ddl).to_spark()
    );
    let plain = "SELECT a FROM \"T\" WHERE b = $1 AND c = 'it''s'";
    assert_eq!(
        to_spark(plain).unwrap(),
        "SELECT a FROM `T` WHERE b = $1 AND c = 'it\\'s'"
    );
}

/// Prints the translation of each line of the file `$PG_TO_SPARK_CORPUS` as
/// `sql<TAB>ok|refused<TAB>spark or reason`, for checking against real Spark
/// (`cargo test --lib translate::tests::corpus -- --ignored --nocapture`). Columns of
/// `t(id, n, m int)` are known integers.
#[test]
#[ignore]
fn corpus() {
    struct T;
    impl ColumnTypes for T {
        fn column_type(&self, _: Option<&str>, table: &str, column: &str) -> Option<SparkType> {
            (table == "t" && ["id", "n", "m"].contains(&column)).then_some(SparkType::Int)
        }
    }
    let Ok(path) = std::env::var("PG_TO_SPARK_CORPUS") else {
        return;
    };
    for line in std::fs::read_to_string(path).unwrap_or_default().lines() {
        match to_spark_with(line, &T) {
            Ok(s) => println!("CORPUS\t{line}\tok\t{s}"),
            Err(e) => println!("CORPUS\t{line}\trefused\t{e}"),
        }
    }
}

#[test]
fn string_literals_keep_their_value_when_printed() {
    // sqlparser prints `\'` inside a literal as if it were an escape: the printed text
    // would end the string early (`' OR 1=1 --` ran as SQL). Every literal is re-quoted.
    for (pg, want) in [
        (
            r"SELECT count(*) FROM d.t WHERE b = '\'' OR 1=1 --'",
            r"SELECT count(*) AS `count` FROM d.t WHERE b = '\\\' OR 1=1 --'",
        ),
        (
            r"SELECT count(*) FROM d.t WHERE b = E'\\\' OR 1=1 --'",
            r"SELECT count(*) AS `count` FROM d.t WHERE b = '\\\' OR 1=1 --'",
        ),
        (
            "SELECT count(*), DATE '2024-01-02', $$it's$$ FROM d.t",
            "SELECT count(*) AS `count`, DATE '2024-01-02' AS `date`, 'it\\'s' AS `?column?` FROM d.t",
        ),
    ] {
        assert_eq!(spark(pg), want, "{pg}");
    }
}

#[test]
fn strpos_and_date_columns() {
    for (pg, want) in [
        (
            "SELECT strpos(name, 'a') AS p FROM t",
            "SELECT instr(name, 'a') AS p FROM t",
        ),
        (
            "SELECT day - CAST(ts AS DATE) AS days FROM t",
            "SELECT datediff(CAST(day AS DATE), CAST(ts AS DATE)) AS days FROM t",
        ),
    ] {
        assert_eq!(spark(pg), want, "{pg}");
    }
}

#[test]
fn generate_series_in_from() {
    for (pg, want) in [
        (
            "SELECT n FROM generate_series(1, 3) AS g(n)",
            "SELECT n FROM (SELECT explode(IF((1) <= (3), sequence((1), (3), (1)), NULL)) AS n) AS g",
        ),
        (
            "SELECT * FROM generate_series(5, 1, -2)",
            "SELECT * FROM (SELECT explode(IF((-2) = 0 OR ((-2) > 0 AND (5) <= (1)) OR ((-2) < 0 AND (5) >= (1)), sequence((5), (1), (-2)), NULL)) AS generate_series) AS generate_series",
        ),
    ] {
        assert_eq!(spark(pg), want, "{pg}");
    }
    assert!(spark("SELECT * FROM generate_series(1, 3) WITH ORDINALITY").starts_with("REFUSED"));
}

#[test]
fn comments_are_kept_and_hints_stay_after_select() {
    assert_eq!(
        spark("/* tile 7 */ SELECT /*+ BROADCAST(t) */ x::text FROM t -- dash"),
        "/* tile 7 */\n-- dash\nSELECT /*+ BROADCAST(t) */ CAST(x AS STRING) AS `x` FROM t"
    );
}
