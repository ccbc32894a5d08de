#!/usr/bin/env python3
"""Builds tests/fixtures/spark_strict.jsonl: statements whose outcome on real Spark 3.3
(DLI's engine) the embedded DLI service must reproduce, checked by
`cargo test --test spark_strict`.

Each case is run once on pyspark 3.3.4 with spark.sql.session.timeZone=UTC and recorded:
- accepted: `columns` ([name, type] as Spark names them) and `rows` (HiveResult, as
  Spark's SQL CLI prints them, tab-separated);
- refused: `code` — DLI.0004 for Spark's ParseException, DLI.0005 for an
  AnalysisException, `runtime` for a failure while running — and Spark's own message
  (`spark_error`, first line; `spark_class` when Spark 3.3 gives an error class).
`names` marks the cases whose column names are compared too; `gap` (set here by hand)
a known difference of the embedded engine, which the test expects to still differ.

Needs pyspark 3.3.4 and Java 17:  /opt/pyspark33/bin/python scripts/spark_strict_cases.py
"""
import json

from pyspark.sql import SparkSession

OUT = "tests/fixtures/spark_strict.jsonl"
V3 = "VALUES (1), (NULL), (3) AS t(a)"
D = "DATE'2024-01-07'"
TS = "TIMESTAMP'2024-01-07 10:00:00'"

# (sql, options): options may hold names=True (compare column names) and gap="why".
CASES = [
    # NULL ordering: first ascending, last descending, in ORDER BY and windows
    (f"SELECT a FROM {V3} ORDER BY a", {}),
    (f"SELECT a FROM {V3} ORDER BY a DESC", {}),
    (f"SELECT a FROM {V3} ORDER BY a NULLS LAST", {}),
    (f"SELECT a FROM VALUES ('b'), (NULL), ('a') AS t(a) ORDER BY a DESC NULLS FIRST", {}),
    (f"SELECT a, row_number() OVER (ORDER BY a) FROM {V3}", {}),
    (f"SELECT a, row_number() OVER (ORDER BY a DESC) FROM {V3}", {}),
    (f"SELECT a, count(*) FROM {V3} GROUP BY 1 ORDER BY 1", {}),
    (f"SELECT first_value(a) OVER (ORDER BY a), lag(a) OVER (ORDER BY a) FROM {V3}", {}),
    ("SELECT sort_array(array(3, NULL, 1)), sort_array(array(3, NULL, 1), false)", {}),
    ("SELECT array_sort(array(3, NULL, 1))", {}),
    # division, div, % and pmod
    ("SELECT 7 / 2, 7 DIV 2, -7 % 3, pmod(-7, 3), 7 / 0, -7 DIV 2", {"names": True}),
    ("SELECT 10L + 1, 1 + 2 * 3, (1 + 2) * 3, abs(1 - 2), 1 = 1, 1 < 2 AND true, 2 % 3",
     {"names": True}),
    ("SELECT 7 % 0, 7 DIV 0", {}),
    ("SELECT 1.0 / 3, 5 / 2.0, 10 / 4, CAST(10 AS BIGINT) / 4, 1 / 3 * 3", {}),
    ("SELECT 1.0 / 3, 5 / 2.0, 10.5 / 3, -7.5 / 2, 2 / 3.0", {"names": True}),
    ("SELECT CAST(1 AS DECIMAL(10,2)) / CAST(3 AS DECIMAL(5,1)), "
     "CAST(1 AS DECIMAL(38,10)) / CAST(3 AS DECIMAL(38,10)), "
     "CAST(2 AS DECIMAL(20,18)) / CAST(3 AS DECIMAL(20,18)), CAST(-2 AS DECIMAL(5,4)) / 3", {}),
    ("SELECT 1.5 / 0, CAST(NULL AS DECIMAL(5,2)) / 2, 1.5 / CAST(NULL AS INT)", {}),
    ("SELECT a / 2.0, a / 3.5 FROM VALUES (1), (3), (NULL) AS t(a)", {"names": True}),
    ("SELECT CAST(a AS BIGINT) / 0.7, a / 7 FROM VALUES (10.50), (-1.25) AS t(a)", {}),
    ("SELECT 7 % 2.5, -7.5 % 2, pmod(-7.5, 2)", {}),
    ("SELECT a / b, sum(a) FROM VALUES (1, 2) AS t(a, b) GROUP BY a / b", {"names": True}),
    ("SELECT a / b, a + b FROM VALUES (1, 2) AS t(a, b)", {"names": True}),
    ("SELECT max(a), min(a), avg(a), count(a) FROM VALUES (1), (NULL), (4) AS t(a)",
     {"names": True}),
    # VALUES integers are int unless a row needs bigint
    ("SELECT a FROM VALUES (1), (3000000000) AS t(a)", {"names": True}),
    ("SELECT * FROM VALUES (1, 2.5, -7, NULL) AS t(a, b, c, d)", {"names": True}),
    ("SELECT a FROM VALUES (1), (2.5) AS t(a)", {"names": True}),
    ("SELECT a * 2, a DIV 2 FROM VALUES (7), (-7) AS t(a)", {}),
    # EXTRACT / date_part fields
    (f"SELECT extract(dow FROM {D}), dayofweek({D}), extract(dow_iso FROM {D}), weekday({D})",
     {}),
    (f"SELECT extract(week FROM {D}), extract(doy FROM {D}), extract(quarter FROM {D}), "
     f"date_part('dow', {D})", {}),
    (f"SELECT extract(DAYOFWEEK FROM {D}), extract(DAYOFWEEK_ISO FROM {D}), "
     f"extract(YEAROFWEEK FROM DATE'2024-01-01'), extract(DOW FROM {TS})", {}),
    (f"SELECT extract(day FROM {D}), extract(month FROM {D}), extract(year FROM {D}), "
     f"extract(Y FROM {D}), extract(D FROM {D})", {}),
    (f"SELECT extract(hour FROM {TS}), extract(minute FROM {TS})", {}),
    ("SELECT extract(second FROM TIMESTAMP'2024-01-07 10:11:12.5')", {}),
    ("SELECT extract(second FROM TIMESTAMP'2024-01-07 10:11:12'), "
     "date_part('second', TIMESTAMP'2024-01-07 10:11:12.123456'), "
     "extract(s FROM TIMESTAMP'2024-01-07 10:11:05.25'), "
     "date_part('SECS', TIMESTAMP'2024-01-07 10:11:12')", {}),
    (f"SELECT extract(second FROM {D}), extract(second FROM CAST(NULL AS TIMESTAMP)), "
     "extract(second FROM '2024-01-07 10:11:12.5'), "
     "date_part('second', TIMESTAMP'1969-12-31 23:59:59.5')", {}),
    ("SELECT extract(second FROM ts) FROM VALUES (TIMESTAMP'2024-01-07 10:11:12.5'), (NULL) "
     "AS t(ts)", {}),
    ("SELECT second(TIMESTAMP'2024-01-07 10:11:12.5'), "
     "extract(minute FROM TIMESTAMP'2024-01-07 10:11:12.5')", {}),
    (f"SELECT extract(epoch FROM {TS})", {}),
    (f"SELECT date_part('epoch', {TS})", {}),
    (f"SELECT extract(isodow FROM {D})", {}),
    (f"SELECT extract(millisecond FROM {TS})", {}),
    # Postgres-isms Spark 3.3 rejects
    ("SELECT 1::int", {}),
    ("SELECT TRUE::BOOLEAN", {}),
    (f"SELECT {TS}::DATE", {}),
    ("SELECT 1 LIMIT 1 OFFSET 1", {}),
    ("SELECT * FROM VALUES (1) AS t(a) OFFSET 1", {}),
    ("SELECT 'abc' ~ 'b'", {}),
    ("SELECT CAST(1 AS DOUBLE PRECISION)", {}),
    ("SELECT CAST(1 AS TEXT)", {}),
    ("SELECT CAST(1 AS INT4)", {}),
    ("SELECT CAST(1 AS FLOAT8)", {}),
    ("SELECT CAST('2024-01-01' AS TIMESTAMPTZ)", {}),
    (f"SELECT to_char({TS}, 'FMMonth')", {}),
    ("SELECT to_char(123, '999')", {}),
    ("SELECT generate_series(1, 3)", {}),
    (f"SELECT DATEADD({D}, 3)", {}),
    # ... and Spark forms it accepts
    ("SELECT ~ 5", {}),
    ("SELECT 'abc' ILIKE 'A%', 'abc' NOT ILIKE 'A%'", {}),
    ("SELECT CAST(1 AS VARCHAR(3)), CAST(1 AS INTEGER), CAST(1 AS REAL), "
     "CAST(1 AS NUMERIC(5,2)), CAST(1 AS DEC(5,2))", {}),
    ("SELECT 1 FROM VALUES (1) AS t(a) LIMIT ALL", {}),
    ("SELECT 'a' || 'b', concat('a', NULL)", {}),
    ("SELECT position('b' IN 'abc'), substring('abcdef' FROM 2 FOR 3), substring('abcdef', 2, 3)",
     {}),
    ("SELECT greatest(1, NULL, 3), least(1, NULL, 3), coalesce(NULL, 2), nullif(1, 1)", {}),
    (f"SELECT date_trunc('month', {TS}), date_trunc('week', {TS}), trunc({D}, 'MM')", {}),
    ("SELECT to_timestamp('2024-01-07 10:00:00', 'yyyy-MM-dd HH:mm:ss'), to_date('2024-01-07'), "
     "to_timestamp(1704621600)", {}),
    (f"SELECT unix_timestamp({TS}), unix_seconds({TS}), unix_millis({TS})", {}),
    # unix_timestamp / to_unix_timestamp: timestamps, dates, strings read with Spark patterns
    (f"SELECT unix_timestamp({D}), unix_timestamp('2024-01-07 10:00:00'), "
     "unix_timestamp('2024-01-07', 'yyyy-MM-dd'), "
     "to_unix_timestamp('07/01/2024 10:11', 'dd/MM/yyyy HH:mm'), to_unix_timestamp({D})", {}),
    ("SELECT unix_timestamp(NULL), unix_timestamp(CAST(NULL AS TIMESTAMP)), "
     "unix_timestamp('2024-01-07', NULL), unix_timestamp('garbage'), unix_timestamp('2024-01-07')",
     {}),
    ("SELECT unix_timestamp(TIMESTAMP'1969-12-31 23:59:59.5'), "
     "unix_seconds(TIMESTAMP'1969-12-31 23:59:59.5'), "
     "unix_millis(TIMESTAMP'1969-12-31 23:59:59.9995'), "
     "unix_micros(TIMESTAMP'2024-01-07 10:00:00.123456')", {}),
    ("SELECT unix_timestamp(a, 'yyyyMMdd') FROM VALUES ('20240107'), ('2024'), (NULL) AS t(a)",
     {}),
    ("SELECT unix_timestamp('10:11', 'HH:mm'), unix_timestamp('jan 07 2024', 'MMM dd yyyy'), "
     "unix_timestamp('07/01/2024 10:11 PM', 'dd/MM/yyyy hh:mm a'), "
     "unix_timestamp('2024-01-07 10:00:00.1', 'yyyy-MM-dd HH:mm:ss.SSS')", {}),
    ("SELECT unix_timestamp('2024-02-30', 'yyyy-MM-dd'), "
     "unix_timestamp('2024-01-07 10', 'yyyy-MM-dd HH '), "
     "unix_timestamp('1969-12-31 23:59:59.5', 'yyyy-MM-dd HH:mm:ss.S')", {}),
    ("SELECT unix_timestamp() > 1700000000, to_unix_timestamp(current_date()) > 1700000000", {}),
    ("SELECT unix_timestamp('2024-01-07 10:00:00.5')", {}),
    ("SELECT unix_timestamp('2024-1-7 1:2:3')", {}),
    ("SELECT unix_timestamp(' 2024-01-07', 'yyyy-MM-dd')", {}),
    ("SELECT unix_timestamp('2024-01-07x', 'yyyy-MM-dd')", {}),
    ("SELECT unix_timestamp(1)", {}),
    ("SELECT unix_timestamp('a', 'b', 'c')", {}),
    ("SELECT to_unix_timestamp()", {}),
    (f"SELECT unix_seconds({D})", {}),
    ("SELECT unix_seconds('2024-01-07 10:00:00')", {}),
    ("SELECT unix_seconds(NULL), unix_millis(NULL), unix_micros(NULL)", {}),
    ("SELECT from_unixtime(1704621600), from_unixtime(1704621600, 'yyyy-MM-dd'), "
     "from_unixtime(NULL), from_unixtime(0, 'HH:mm')", {}),
    ("SELECT from_unixtime(1704621600.7), from_unixtime('1704621600')", {}),
    (f"SELECT cast({TS} AS BIGINT), cast(1704621600 AS TIMESTAMP)", {}),
    ("SELECT regexp_like('abc', 'b'), 'abc' RLIKE 'b', 'abc' REGEXP 'b'", {}),
    (f"SELECT DATE_ADD({D}, 3), DATE_SUB({D}, 3), DATEDIFF({D}, DATE'2024-01-01')", {}),
    (f"SELECT date_add({D}, -3), date_sub({D}, -3), date_add('2024-01-07', 3), "
     f"date_add({TS}, 1), date_add({D}, '3'), date_add('x', 1)", {}),
    (f"SELECT date_add({D}, NULL), date_add(NULL, 1), date_sub(NULL, NULL)", {}),
    ("SELECT date_add(d, n), date_sub(d, CAST(n AS SMALLINT)) "
     f"FROM VALUES ({D}, 1), ({D}, NULL) AS t(d, n)", {}),
    (f"SELECT date_add({D}, CAST(1 AS tinyint)), date_sub({D}, CAST(1 AS smallint))", {}),
    (f"SELECT date_add({D}, 3L)", {}),
    (f"SELECT date_sub({D}, 2147483648)", {}),
    (f"SELECT date_add({D}, 3.5)", {}),
    (f"SELECT date_add({D})", {}),
    # intervals and date arithmetic
    (f"SELECT {TS} - INTERVAL '1 day'", {}),
    (f"SELECT {TS} - INTERVAL 1 DAY, {TS} + INTERVAL '1' DAY", {}),
    (f"SELECT {TS} - INTERVAL '1' DAY - INTERVAL '2' HOUR", {}),
    (f"SELECT {TS} + INTERVAL '2 hours 30 minutes'", {}),
    (f"SELECT {TS} + INTERVAL 2 HOURS 30 MINUTES", {}),
    (f"SELECT {TS} - INTERVAL '7 days', {TS} - INTERVAL 3 DAYS", {}),
    ("SELECT TIMESTAMP'2024-01-31 10:00:00' + INTERVAL '1 month'", {}),
    (f"SELECT {D} + INTERVAL 1 DAY, {D} - INTERVAL '1' MONTH", {}),
    (f"SELECT {D} - INTERVAL '1 day'", {}),
    (f"SELECT {D} + INTERVAL '2 hours 30 minutes'", {}),
    (f"SELECT {D} + INTERVAL 2 HOURS, {D} - INTERVAL '90' MINUTE, INTERVAL '2 hours' + {D}, "
     f"{D} + INTERVAL '1 day 2 hours'", {}),
    (f"SELECT {D} + INTERVAL '1' SECOND, {D} - INTERVAL '0.5 seconds', "
     f"CAST(NULL AS DATE) + INTERVAL '2 hours'", {}),
    (f"SELECT {D} + INTERVAL '1 day', {D} + INTERVAL '2' DAY, {D} - INTERVAL '1' MONTH", {}),
    ("SELECT d + INTERVAL '3 hours' FROM VALUES (DATE'2024-01-07'), (NULL) AS t(d)", {}),
    (f"SELECT {D} + 1, {D} - 1", {}),
    ("SELECT now() - INTERVAL '7 days' < now(), CURRENT_DATE - INTERVAL '7' DAY < CURRENT_DATE",
     {}),
    ("SELECT ts FROM VALUES (TIMESTAMP'2024-01-07 10:00:00') AS t(ts) "
     f"WHERE ts > {TS} - INTERVAL '30 minutes'", {}),
    # generators (explode, posexplode) and sequence, as the translator's generate_series
    ("SELECT explode(array(1, 2, 3))", {"names": True}),
    ("SELECT explode(array(1, 2)) AS x", {"names": True}),
    ("SELECT explode(CAST(NULL AS array<int>))", {"names": True}),
    ("SELECT explode(array())", {}),
    ("SELECT explode_outer(CAST(NULL AS array<int>))", {"names": True}),
    ("SELECT explode_outer(array(1, 2))", {}),
    ("SELECT posexplode(array('a', 'b'))", {"names": True}),
    ("SELECT posexplode_outer(CAST(NULL AS array<int>))", {}),
    ("SELECT posexplode(array(5, 6)) AS (p, c)", {"names": True}),
    ("SELECT a, explode(x) FROM VALUES (1, array(1, 2)), (2, NULL), (3, array(3)) AS t(a, x)",
     {}),
    ("SELECT count(*) FROM (SELECT explode(sequence(1, 10)) AS g) s", {}),
    ("SELECT explode(IF(1 <= 5, sequence(1, 5, 1), NULL)) AS g", {"names": True}),
    ("SELECT explode(IF(5 >= 1, sequence(5, 1, -2), NULL)) AS g", {}),
    ("SELECT explode(IF(5 <= 1, sequence(5, 1, 1), NULL)) AS g", {}),
    ("SELECT g * 2 FROM (SELECT explode(sequence(1, 3)) AS g) s ORDER BY g DESC", {}),
    ("SELECT explode(array(1, 2)), explode(array(3, 4))", {}),
    ("SELECT explode(array(1, 2)) + 1", {}),
    ("SELECT a FROM VALUES (1) AS t(a) WHERE explode(array(1)) = 1", {}),
    ("SELECT a FROM VALUES (1) AS t(a) ORDER BY explode(array(1))", {}),
    ("SELECT explode(array(1, 2)) AS (p, c)", {}),
    ("SELECT explode(5)", {}),
    ("SELECT explode(array(1, 2), 1)", {}),
    ("SELECT a, explode(x) AS e FROM VALUES (1, array(1, 2)) AS t(a, x) WHERE a > 0 "
     "ORDER BY e DESC", {}),
    ("SELECT DISTINCT explode(array(1, 1, 2)) AS v ORDER BY v", {}),
    ("SELECT explode(array(1, 2)) FROM VALUES (1) AS t(a) GROUP BY a", {}),
    ("SELECT sequence(1, 3, 1L), sequence(1.5, 3)", {}),
    ("SELECT sequence(1, 2, 3, 4)", {}),
    ("SELECT * FROM explode(array(1, 2))", {}),
    ("SELECT * FROM range(3)", {"names": True}),
    ("SELECT * FROM range(2, 5)", {}),
    ("SELECT * FROM range(0, 10, 3)", {}),
    ("SELECT * FROM range(5, 0, -2)", {}),
    ("SELECT * FROM range(0, 10, 3, 2)", {}),
    ("SELECT * FROM range(3, 0)", {}),
    ("SELECT * FROM range(-2)", {}),
    ("SELECT * FROM range(1.5)", {}),
    ("SELECT * FROM range('3')", {}),
    ("SELECT * FROM range(3L)", {}),
    ("SELECT id * 2 AS x FROM range(3) WHERE id > 0", {"names": True}),
    ("SELECT r.id FROM range(3) AS r ORDER BY r.id DESC", {}),
    ("SELECT * FROM range(3) r(x)", {"names": True}),
    ("SELECT sum(id) FROM range(1, 101)", {}),
    ("SELECT count(*) FROM range(0, 100000)", {}),
    ("SELECT * FROM range(9223372036854775806, 9223372036854775807)", {}),
    ("SELECT a, id FROM VALUES (1) AS t(a) CROSS JOIN range(2)", {"names": True}),
    ("SELECT * FROM range(0, 3, 0)", {}),
    ("SELECT * FROM range(NULL)", {}),
    ("SELECT * FROM range()", {}),
    ("SELECT * FROM range(1, 2, 3, 4, 5)", {}),
    ("SELECT * FROM range(1, 10, 2, 0)", {}),
    ("SELECT * FROM VALUES (1) AS t(a) LATERAL VIEW explode(array(1, 2)) x AS c", {}),
    ("SELECT t.a, x.c FROM VALUES (1, array(1, 2)), (2, NULL) AS t(a, arr) "
     "LATERAL VIEW explode(arr) x AS c WHERE x.c > 1 OR t.a = 1 ORDER BY x.c", {}),
    ("SELECT * FROM VALUES (1, CAST(NULL AS array<int>)) AS t(a, arr) "
     "LATERAL VIEW OUTER explode(arr) x AS c", {}),
    ("SELECT * FROM (SELECT 1 AS a) t LATERAL VIEW posexplode(array(5, 6)) x AS p, c",
     {"names": True}),
    ("SELECT * FROM (SELECT 1 AS a) t LATERAL VIEW explode(array(1, 2)) x", {"names": True}),
    ("SELECT * FROM (SELECT 1 AS a) t LATERAL VIEW explode(array(1, 2)) x AS c "
     "LATERAL VIEW explode(array(3)) y AS d", {}),
    # Spark's expression text in UNSUPPORTED_GENERATOR messages
    ("SELECT explode(array(1 + 1, 2)) * 2 - 1", {}),
    ("SELECT a FROM VALUES (1) AS t(a) ORDER BY explode(array(1)) DESC", {}),
    ("SELECT a FROM VALUES (1) AS t(a) GROUP BY explode(array(1))", {}),
    # stack, inline of structs, explode of a map
    ("SELECT stack(2, 1, 2)", {"names": True}),
    ("SELECT stack(2, 1, 'a', 2, 'b')", {"names": True}),
    ("SELECT stack(2, 1, 'a', 2)", {}),
    ("SELECT stack(3, 1, 2) AS x", {"names": True}),
    ("SELECT stack(1, 1, 2, 3) AS (a, b, c)", {"names": True}),
    ("SELECT stack(2, 1, NULL, NULL, 'b')", {}),
    ("SELECT a, stack(2, a, a + 1) FROM VALUES (1), (5) AS t(a)", {"names": True}),
    ("SELECT stack(2, 1, 'a', 2, 'b') AS x", {}),
    ("SELECT stack(0, 1)", {}),
    ("SELECT stack(1.5, 1)", {}),
    ("SELECT stack(a, 1) FROM VALUES (1) AS t(a)", {}),
    ("SELECT stack(2)", {}),
    ("SELECT stack(2, 1, 'a', 'b', 2)", {}),
    ("SELECT stack(2, 1, 2L)", {}),
    ("SELECT stack(2, 1L, 2L)", {}),
    ("SELECT stack(2, 1Y, NULL)", {}),
    ("SELECT inline(array(struct(1, 'a'), struct(2, 'b')))", {"names": True}),
    ("SELECT inline(array(struct(1, 'a'), struct(2, 'b'))) AS (p, q)", {"names": True}),
    ("SELECT inline(array(struct(1 AS x, 'a' AS y)))", {"names": True}),
    ("SELECT inline(array(named_struct('x', 1, 'y', 'a'), NULL))", {"names": True}),
    ("SELECT inline_outer(array(named_struct('x', 1)))", {"names": True}),
    ("SELECT inline(array(1, 2))", {}),
    ("SELECT explode(map(1, 'a', 2, 'b'))", {"names": True}),
    ("SELECT explode(map(2, 'b', 1, 'a'))", {}),
    ("SELECT explode(map(1, 'a')) AS (k, v)", {"names": True}),
    ("SELECT posexplode(map('x', 1)) AS (p, k, v)", {"names": True}),
    ("SELECT posexplode_outer(map('x', 1))", {"names": True}),
    ("SELECT explode(map())", {}),
    ("SELECT explode_outer(map())", {}),
    ("SELECT explode(map(1, 'a')) AS k", {}),
    ("SELECT explode(map(1, 'a', 1, 'b'))", {}),
    ("SELECT * FROM VALUES (1) AS t(a) LATERAL VIEW explode(map('k', 1)) x", {"names": True}),
    ("SELECT * FROM VALUES (1) AS t(a) LATERAL VIEW explode(map('k', 1)) x AS k, v",
     {"names": True}),
    ("SELECT * FROM VALUES (1) AS t(a) LATERAL VIEW stack(2, 'a', 'b') x AS s", {"names": True}),
    ("SELECT * FROM VALUES (1) AS t(a) LATERAL VIEW inline(array(struct(1, 'z'))) x",
     {"names": True}),
    # LATERAL VIEW over a join
    ("SELECT t.a, u.b, x.c FROM VALUES (1) AS t(a) JOIN VALUES (1, 2) AS u(a, b) ON t.a = u.a "
     "LATERAL VIEW explode(array(10, 20)) x AS c", {"names": True}),
    ("SELECT * FROM VALUES (1) AS t(a), VALUES (2) AS u(b) LATERAL VIEW explode(array(5)) x AS c",
     {"names": True}),
    ("SELECT t.a, u.b, x.c FROM VALUES (1, array(7, 8)), (2, array(9)) AS t(a, arr) "
     "JOIN VALUES (1, 'p'), (2, 'q') AS u(a, b) ON t.a = u.a "
     "LATERAL VIEW explode(t.arr) x AS c ORDER BY x.c", {}),
    ("SELECT t.a, u.b, x.c FROM VALUES (1), (2) AS t(a) "
     "LEFT JOIN VALUES (1, array('p', 'q')) AS u(a, arr) ON t.a = u.a "
     "LATERAL VIEW OUTER explode(array(t.a * 10)) x AS c ORDER BY t.a", {}),
    ("SELECT t.a, y.d FROM VALUES (1, array(3, 4)) AS t(a, arr) JOIN VALUES (1) AS u(a) "
     "ON t.a = u.a LATERAL VIEW explode(t.arr) x AS c LATERAL VIEW explode(array(x.c, 0)) y AS d",
     {}),
    ("SELECT sequence(1, 5), sequence(5, 1), sequence(1, 5, 2), sequence(1, 1, 0)",
     {"names": True}),
    ("SELECT sequence(1, 5, -1)", {}),
    ("SELECT sequence(1, 5, 0)", {}),
    ("SELECT sequence(1, NULL), sequence(CAST(1 AS tinyint), 3), sequence(1L, 3L)", {}),
    ("SELECT sequence(DATE'2024-01-01', DATE'2024-01-03'), "
     "sequence(DATE'2024-01-01', DATE'2024-03-01', INTERVAL 1 MONTH)", {}),
    ("SELECT sequence(DATE'2024-01-05', DATE'2024-01-01', INTERVAL 1 DAY)", {}),
    ("SELECT sequence(TIMESTAMP'2024-01-01 00:00:00', TIMESTAMP'2024-01-01 03:00:00', "
     "INTERVAL '1 hour')", {}),
    ("SELECT explode(IF(CAST('2024-01-01' AS TIMESTAMP) <= CAST('2024-01-03' AS TIMESTAMP), "
     "sequence(CAST('2024-01-01' AS TIMESTAMP), CAST('2024-01-03' AS TIMESTAMP), "
     "INTERVAL '1 day'), NULL)) AS d", {}),
    # casts are non-ANSI (spark.sql.ansi.enabled=false, DLI's default): NULL for bad input,
    # integral narrowing wraps like Java, fractional → integral saturates
    ("SELECT CAST('abc' AS int), CAST(' 12 ' AS int), CAST('12.7' AS int), "
     "CAST('-12.7' AS bigint), CAST('' AS int), CAST('+5' AS int)", {}),
    ("SELECT CAST('2147483648' AS int), CAST('128' AS tinyint), CAST('1e3' AS int), "
     "CAST('0x10' AS int)", {}),
    ("SELECT CAST(300 AS tinyint), CAST(-129 AS tinyint), CAST(70000 AS smallint), "
     "CAST(3000000000L AS int), CAST(2147483648 AS int)", {}),
    ("SELECT CAST(CAST(2.5e9 AS double) AS int), CAST(1e20 AS bigint), "
     "CAST(CAST('NaN' AS double) AS int), CAST(CAST(1e30 AS double) AS smallint), "
     "CAST(CAST(40000.9 AS double) AS smallint), CAST(300.7 AS tinyint)", {}),
    ("SELECT CAST(123.456 AS decimal(4,2)), CAST('abc' AS decimal(5,2)), "
     "CAST('12345.6' AS decimal(5,2)), CAST(12345678901234567890.5 AS bigint)", {}),
    ("SELECT CAST('abc' AS double), CAST('abc' AS float), CAST('NaN' AS double), "
     "CAST('1e400' AS double)", {}),
    ("SELECT CAST('abc' AS boolean), CAST('yes' AS boolean), CAST('t' AS boolean), "
     "CAST('2' AS boolean), CAST(' true ' AS boolean)", {}),
    ("SELECT CAST('abc' AS timestamp), CAST('2024-02-30' AS date), CAST('2024-13-01' AS date), "
     "CAST('2024-1-5' AS date), CAST('2024' AS date)", {}),
    ("SELECT CAST(a AS int), CAST(a AS date) FROM VALUES ('1'), ('x'), (NULL) AS t(a)", {}),
]


def main():
    spark = (SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false")
             .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    spark.sparkContext.setLogLevel("OFF")
    jvm = spark._jvm
    hive = jvm.org.apache.spark.sql.execution.HiveResult
    out = []
    for sql, opts in CASES:
        entry = {"sql": sql}
        entry.update(opts)
        try:
            df = spark.sql(sql)
            entry["columns"] = [[f.name(), f.dataType().simpleString()]
                                for f in df._jdf.schema().fields()]
        except Exception as e:  # noqa: BLE001 - any refusal is recorded
            kind = type(e).__name__
            entry["code"] = "DLI.0004" if kind == "ParseException" else "DLI.0005"
            record_error(entry, e)
            out.append(entry)
            continue
        try:
            seq = hive.hiveResultString(df._jdf.queryExecution().executedPlan())
            entry["rows"] = list(jvm.scala.collection.JavaConverters.seqAsJavaList(seq))
        except Exception as e:  # noqa: BLE001
            entry.pop("columns", None)
            entry["code"] = "runtime"
            record_error(entry, e)
        out.append(entry)
    with open(OUT, "w") as f:
        for e in out:
            f.write(json.dumps(e, sort_keys=True) + "\n")
    print(f"{len(out)} cases written to {OUT}")


def record_error(entry, e):
    entry["spark_error"] = str(e).strip().split("\n")[0]
    cls = e.getErrorClass() if hasattr(e, "getErrorClass") else None
    if cls:
        entry["spark_class"] = cls


if __name__ == "__main__":
    main()
