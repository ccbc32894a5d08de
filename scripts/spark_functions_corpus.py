#!/usr/bin/env python3
"""Builds tests/fixtures/spark_functions.jsonl: the single-row examples of Spark 3.5's
built-in function documentation, each checked against real Spark.

The examples are those of each function's ExpressionInfo (the `Examples:` section that
https://spark.apache.org/docs/3.5.x/api/sql/ is generated from, via
PythonSQLUtils.listBuiltinFunctionInfos, as Spark's sql/gen-sql-api-docs.py reads them).
An example is kept when its documented result is one line and Spark 3.5.9 itself prints
exactly that (HiveResult, as the SQL CLI prints) with spark.sql.session.timeZone=UTC;
non-deterministic functions excluded, the first such example of each function. The `outcome` fields
are filled by `SPARK_CORPUS_UPDATE=1 cargo test --test spark_functions`.

Needs pyspark 3.5.9 and Java 17:  python3 scripts/spark_functions_corpus.py
"""
import json
import sys

from pyspark.sql import SparkSession

OUT = "tests/fixtures/spark_functions.jsonl"
GROUPS = {
    "math_funcs", "string_funcs", "agg_funcs", "datetime_funcs", "array_funcs", "predicate_funcs",
    "conversion_funcs", "map_funcs", "bitwise_funcs", "conditional_funcs", "hash_funcs",
    "json_funcs", "collection_funcs", "url_funcs", "struct_funcs", "misc_funcs", "lambda_funcs",
}
NONDETERMINISTIC = {
    "rand", "randn", "random", "uuid", "shuffle", "current_date", "current_timestamp", "now",
    "localtimestamp", "current_timezone", "unix_timestamp", "input_file_name",
    "input_file_block_start", "input_file_block_length", "monotonically_increasing_id",
    "spark_partition_id", "version", "current_user", "session_user", "user", "current_catalog",
    "current_database", "current_schema", "reflect", "java_method", "assert_true", "raise_error",
    "curdate", "try_reflect", "aes_encrypt", "aes_decrypt", "try_aes_decrypt",
}
DOCS = "https://spark.apache.org/docs/3.5.1/api/sql/index.html#"


def examples(text):
    """(statement, result lines) pairs of an `Examples:` section."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if not line.startswith("> "):
            i += 1
            continue
        result, j = [], i + 1
        while j < len(lines) and lines[j].strip() and not lines[j].strip().startswith(">"):
            r = lines[j]
            result.append(r[7:] if r.startswith("       ") else r.strip())
            j += 1
        yield line[2:], result
        i = j


def main():
    spark = (SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false")
             .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    spark.sparkContext.setLogLevel("OFF")
    hive = spark._jvm.org.apache.spark.sql.execution.HiveResult
    infos = spark._jvm.org.apache.spark.sql.api.python.PythonSQLUtils.listBuiltinFunctionInfos()
    out, dropped = [], 0
    for info in infos:
        name, group = info.getName(), info.getGroup()
        if group not in GROUPS or name in NONDETERMINISTIC:
            continue
        taken = 0
        for stmt, result in examples(info.getExamples()):
            if len(result) != 1 or not stmt.endswith(";") or taken >= 1:
                continue
            sql = stmt[:-1]
            try:
                seq = hive.hiveResultString(spark.sql(sql)._jdf.queryExecution().executedPlan())
                got = [seq.apply(k) for k in range(seq.size())]
            except Exception:  # noqa: BLE001 - an example Spark itself cannot run
                dropped += 1
                continue
            doc = result[0]
            # A few examples are indented one space more than the others.
            if doc.startswith(" ") and got == [doc[1:]]:
                doc = doc[1:]
            if got != [doc]:
                dropped += 1
                print("dropped (Spark prints %r): %s -> %r" % (got, sql, doc), file=sys.stderr)
                continue
            taken += 1
            out.append({"fn": name, "group": group, "sql": sql, "result": doc,
                        "source": DOCS + name, "class": info.getClassName()})
    with open(OUT, "w") as f:
        for e in out:
            f.write(json.dumps(e, sort_keys=True) + "\n")
    print("%d examples kept, %d dropped" % (len(out), dropped))


if __name__ == "__main__":
    main()
