#!/usr/bin/env python3
"""Real Spark 3.3 and real PostgreSQL, side by side, for tests/spark_check.rs.

Two modes, each starting one JVM (pyspark 3.3.4, `spark.sql.session.timeZone=UTC`):

  spark_check.py compare < requests.jsonl > answers.jsonl
      Starts a private PostgreSQL cluster (Debian's server: initdb in a temp dir as a
      non-root user, a free port, fsync=off), loads the fixture of tests/fixtures/bi/ into
      it and into Spark (temp views of the same rows), then runs each request
      {"id", "pg", "params", "spark"} on both: `pg` on PostgreSQL (bound parameters through
      PREPARE/EXECUTE, so the server types them), `spark` (the gateway's translation, null
      when refused) on Spark. Answers one line per request with each side's column names
      and rows in one canonical text form, or its error.

  spark_check.py parse FILE [KNOWN]
      FILE holds JSON lines {"sql", "accepted"} as the embedded DLI service recorded them
      (DLI_RECORD_SQL). Every distinct statement the embedded service accepted is parsed
      by Spark's own parser (parse only: the suite's tables do not exist in Spark). Prints
      the statements Spark rejects; with KNOWN (a file of known rejections, one JSON string
      a line) fails only on rejections not listed; SPARK_CHECK_UPDATE=1 rewrites KNOWN.

Canonical values: NULL is null; numbers by value (`12.5` for 12.50 and 12.5E0, integral
values without a fraction); timestamps in UTC as `YYYY-MM-DD HH:MM:SS[.ffffff]`; dates
`YYYY-MM-DD`; booleans `true`/`false`; text as is.
"""
import csv
import datetime as dt
import decimal
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

os.environ["TZ"] = "UTC"
time.tzset()

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "tests", "fixtures", "bi")
PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")

# Table -> [(column, Postgres type, Spark type)]; the CSV files hold the rows (\N = NULL).
TABLES = {
    "orders": [
        ("id", "integer", "int"), ("customer_id", "integer", "int"), ("status", "text", "string"),
        ("region", "text", "string"), ("amount", "numeric(10,2)", "decimal(10,2)"),
        ("quantity", "integer", "int"), ("discount", "double precision", "double"),
        ("created_at", "timestamptz", "timestamp"), ("shipped_on", "date", "date"),
        ("event_epoch", "bigint", "bigint"), ("event_ms", "bigint", "bigint"),
        ("note", "text", "string"),
    ],
    "customers": [
        ("id", "integer", "int"), ("name", "text", "string"), ("email", "text", "string"),
        ("segment", "text", "string"), ("signup_date", "date", "date"),
        ("country", "text", "string"),
    ],
    # Rows relative to today (UTC) so that relative date filters select something.
    "events": [
        ("id", "integer", "int"), ("kind", "text", "string"), ("value", "integer", "int"),
        ("ts", "timestamptz", "timestamp"),
    ],
}
EVENT_HOURS = [1, 5, 23, 25, 47, 71, 24 * 6 + 3, 24 * 8, 24 * 13, 24 * 29, 24 * 31, 24 * 45,
               24 * 89, 24 * 92, 24 * 200, 24 * 370, -2, -30]


def event_rows():
    today = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None).replace(
        hour=0, minute=0, second=0, microsecond=0)
    kinds = ["login", "Login", "purchase", "error", None]
    return [[str(i), kinds[i % 5] or "\\N", "\\N" if i % 4 == 0 else str(i * 7 % 23),
             (today - dt.timedelta(hours=h, minutes=i)).isoformat(sep=" ")]
            for i, h in enumerate(EVENT_HOURS, 1)]


def table_rows(name):
    if name == "events":
        return event_rows()
    with open(os.path.join(FIXTURES, name + ".csv"), newline="") as f:
        rows = list(csv.reader(f))
    return rows[1:]


def canon(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float, decimal.Decimal)):
        if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
            return str(v)
        d = decimal.Decimal(v) if not isinstance(v, float) else decimal.Decimal(repr(v))
        if d == d.to_integral_value() and abs(d) < 10 ** 15:
            return str(int(d))
        return "%.12g" % float(d)
    if isinstance(v, dt.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(dt.timezone.utc).replace(tzinfo=None)
        text = v.strftime("%Y-%m-%d %H:%M:%S")
        return text + (".%06d" % v.microsecond if v.microsecond else "")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return "interval %s s" % canon(v.total_seconds())
    if isinstance(v, (list, tuple)):
        return "[" + ",".join("null" if x is None else str(canon(x)) for x in v) + "]"
    return str(v)


def spark_session():
    from pyspark.sql import SparkSession
    spark = (SparkSession.builder.master("local[1]").appName("dli-spark-check")
             .config("spark.ui.enabled", "false")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.shuffle.partitions", "1")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
             .getOrCreate())
    spark.sparkContext.setLogLevel("OFF")
    return spark


def spark_error(e):
    """`ClassName: first line` of a Spark failure."""
    java = getattr(e, "java_exception", None)
    name = java.getClass().getSimpleName() if java is not None else type(e).__name__
    text = str(getattr(e, "desc", None) or (java.getMessage() if java is not None else e))
    return "%s: %s" % (name, text.strip().split("\n")[0][:300])


# ---- PostgreSQL -----------------------------------------------------------------------

class Postgres:
    """A throwaway cluster: initdb in a temp dir, started on a free port, removed at stop."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="spark-check-pg-")
        self.data = os.path.join(self.dir, "data")
        self.prefix = []
        if os.geteuid() == 0:  # the server refuses to run as root
            user = "postgres" if shutil.which("runuser") and _has_user("postgres") else "nobody"
            self.prefix = ["runuser", "-u", user, "--"]
            shutil.chown(self.dir, user=user)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self._run([os.path.join(PG_BIN, "initdb"), "-D", self.data, "-A", "trust", "-U", "postgres",
                   "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
        opts = "-c fsync=off -c full_page_writes=off -c synchronous_commit=off -c timezone=UTC " \
               "-c listen_addresses=127.0.0.1 -c unix_socket_directories=%s -p %d" % (self.dir, self.port)
        self._run([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-o", opts, "-w", "-t", "60",
                   "-l", os.path.join(self.dir, "log"), "start"])

    def _run(self, cmd):
        subprocess.run(self.prefix + cmd, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)

    def connect(self):
        import psycopg2
        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres")
        conn.autocommit = True
        return conn

    def stop(self):
        try:
            self._run([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop"])
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def _has_user(name):
    import pwd
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def spark_literal(value):
    """A CSV cell as a Spark string literal (NULL for \\N), cast to its type by the view."""
    if value == "\\N":
        return "NULL"
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def load(spark, conn):
    """The same rows into PostgreSQL tables and Spark temp views (VALUES cast to the types;
    no Python-side RDD, so nothing is pickled)."""
    cur = conn.cursor()
    for name, cols in TABLES.items():
        rows = table_rows(name)
        cur.execute("CREATE TABLE %s (%s)" % (name, ", ".join("%s %s" % (c, t) for c, t, _ in cols)))
        cur.executemany("INSERT INTO %s VALUES (%s)" % (name, ", ".join(["%s"] * len(cols))),
                        [[None if v == "\\N" else v for v in r] for r in rows])
        values = ", ".join("(%s)" % ", ".join(spark_literal(v) for v in r) for r in rows)
        spark.sql("CREATE OR REPLACE TEMP VIEW %s AS SELECT %s FROM VALUES %s AS v(%s)" % (
            name, ", ".join("CAST(c%d AS %s) AS %s" % (i, s, c) for i, (c, _, s) in enumerate(cols)),
            values, ", ".join("c%d" % i for i in range(len(cols)))))
    cur.execute("ANALYZE")


def run_pg(conn, sql, params):
    import psycopg2
    cur = conn.cursor()
    try:
        if params:
            types = ", ".join(p["type"] for p in params)
            cur.execute("PREPARE q (%s) AS %s" % (types, sql))
            try:
                cur.execute("EXECUTE q (%s)" % ", ".join(["%s"] * len(params)),
                            [p["value"] for p in params])
                out = _fetch(cur)
            finally:
                cur.execute("DEALLOCATE q")
            return out
        cur.execute(sql)
        return _fetch(cur)
    except psycopg2.Error as e:
        return {"error": "%s: %s" % (e.pgcode, str(e).strip().split("\n")[0])}


def _fetch(cur):
    return {"columns": [d.name for d in cur.description],
            "rows": [[canon(v) for v in row] for row in cur.fetchall()]}


def run_spark(spark, sql):
    try:
        df = spark.sql(sql)
        return {"columns": list(df.columns), "rows": [[canon(v) for v in row] for row in df.collect()]}
    except Exception as e:  # noqa: BLE001 - every Spark failure is an answer
        return {"error": spark_error(e)}


def compare():
    requests = [json.loads(line) for line in sys.stdin if line.strip()]
    t0 = time.time()
    pg = Postgres()
    try:
        t1 = time.time()
        spark = spark_session()
        t2 = time.time()
        conn = pg.connect()
        load(spark, conn)
        print("spark_check: PostgreSQL %.1fs, Spark %.1fs, fixture %.1fs" % (
            t1 - t0, t2 - t1, time.time() - t2), file=sys.stderr)
        for req in requests:
            ans = {"id": req["id"], "pg": run_pg(conn, req["pg"], req.get("params") or [])}
            if req.get("spark") is not None:
                ans["spark"] = run_spark(spark, req["spark"])
            print(json.dumps(ans, sort_keys=True), flush=True)
        conn.close()
    finally:
        pg.stop()


def parse(path, known_path=None):
    seen, accepted = set(), []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                sql = rec.get("sql", "").strip()
                if rec.get("accepted") and sql and sql not in seen:
                    seen.add(sql)
                    accepted.append(sql)
    spark = spark_session()
    parser = spark._jsparkSession.sessionState().sqlParser()
    rejected = []
    for sql in accepted:
        try:
            parser.parsePlan(sql)
        except Exception as e:  # noqa: BLE001
            rejected.append((sql, spark_error(e)))
    print("spark_check parse: %d distinct statements the embedded service accepted, %d rejected "
          "by Spark 3.3's parser" % (len(accepted), len(rejected)))
    known = set()
    if known_path and os.path.exists(known_path):
        with open(known_path) as f:
            known = {json.loads(line) for line in f if line.strip()}
    new = [(s, e) for s, e in rejected if s not in known]
    for sql, err in rejected:
        print("  %s %s\n      %s" % ("NEW  " if (sql, err) in new else "known", sql[:300], err))
    if known_path and os.environ.get("SPARK_CHECK_UPDATE"):
        with open(known_path, "w") as f:
            for sql in sorted(s for s, _ in rejected):
                f.write(json.dumps(sql) + "\n")
        print("spark_check parse: wrote %s" % known_path)
        return 0
    if known_path and os.path.exists(known_path) and new:
        print("spark_check parse: %d statements accepted locally are rejected by Spark and not in %s"
              % (len(new), known_path))
        return 1
    return 0


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "tables":
        # The fixture's Spark column types, as the gateway's catalog would know them.
        print(json.dumps({t: [[c, spark] for c, _, spark in cols] for t, cols in TABLES.items()}))
        return 0
    if len(sys.argv) >= 2 and sys.argv[1] == "compare":
        compare()
        return 0
    if len(sys.argv) >= 3 and sys.argv[1] == "parse":
        return parse(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
