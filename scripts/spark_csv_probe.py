#!/usr/bin/env python3
"""Prints what Spark's default DataFrameWriter.csv / .json write for tricky values.

The embedded DLI service's export-result and result_path files follow this output
(see README, "Embedded DLI service"). Rerun with:

    python3 scripts/spark_csv_probe.py

Needs pyspark 3.5 and Java 17. Runs Spark in local mode with the session time zone UTC.
"""
import glob
import os
import tempfile

from pyspark.sql import SparkSession

spark = (
    SparkSession.builder.master("local[1]")
    .appName("spark_csv_probe")
    .config("spark.sql.session.timeZone", "UTC")
    .config("spark.ui.enabled", "false")
    .getOrCreate()
)
spark.sparkContext.setLogLevel("ERROR")

QUERY = r"""
SELECT 1 AS id, CAST(NULL AS STRING) AS n, '' AS e, 'a,b' AS comma,
       'say "hi"' AS quote, 'back\\slash' AS bs, 'line1\nline2' AS nl,
       CAST(1.5 AS DECIMAL(10,2)) AS dec, CAST(0 AS DECIMAL(20,10)) AS dec0,
       TIMESTAMP'2024-01-02 03:04:05.123456' AS ts, DATE'2024-01-02' AS d,
       CAST(1e10 AS DOUBLE) AS dbl, CAST('NaN' AS DOUBLE) AS nan, true AS b,
       ' pad ' AS pad, '中文' AS cjk, 'a,\\b' AS comma_bs, 'x\\' AS trail_bs,
       '\\"' AS bs_quote, CAST(0.001 AS DOUBLE) AS small, CAST(1234567.5 AS DOUBLE) AS mid,
       CAST(-0.0001 AS DOUBLE) AS neg, CAST(1.5 AS FLOAT) AS flt, CAST(1e7 AS DOUBLE) AS e7,
       CAST('Infinity' AS DOUBLE) AS inf
"""


def show(fmt, df, **opts):
    out = tempfile.mkdtemp()
    path = os.path.join(out, "x")
    getattr(df.write.options(**opts), fmt)(path)
    for f in sorted(glob.glob(os.path.join(path, "part-*"))):
        print(f"--- {fmt} {opts} {os.path.basename(f)}")
        with open(f, "rb") as fh:
            print(fh.read().decode("utf-8"), end="")


df = spark.sql(QUERY)
show("csv", df)
show("csv", df, header="true")
show("json", df)
complex_df = spark.sql(
    "SELECT 1 AS id, X'0102' AS bin, array(1, NULL) AS arr, map('k', 1) AS m, "
    "named_struct('a', 1, 'b', CAST(NULL AS STRING)) AS st"
)
show("json", complex_df)
for col in ["bin", "arr", "m", "st"]:
    try:
        show("csv", complex_df.select("id", col))
    except Exception as e:  # noqa: BLE001 - print Spark's message
        print(f"--- csv {col}: {str(e).splitlines()[0]}")
spark.stop()
