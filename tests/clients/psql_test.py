"""psql (Debian postgresql-client) against the gateway: multi-statement -c and -f, text
output of every type, NULL display, verbose SQLSTATEs, ON_ERROR_STOP exit codes, and a
clean stderr (psql complains on stderr about malformed command tags).

Run by tests/clients.rs (DLIGW_HOST/PORT/USER/PASSWORD); see tests/clients/README.md.
"""

import os
import subprocess
import tempfile

import clientlib as L
from clientlib import eq, ok

DB = "c_psql"

# Checks that fail because the gateway lacks a feature (issue 3). Remove an entry when the
# feature lands: an entry whose check passes is reported as XPASS and fails the run.
XFAIL = {
}

suite = L.Suite("psql", XFAIL)
S = L.conn_settings()


def psql(*args, stdin=None, tuples_only=True):
    env = dict(os.environ, PGPASSWORD=S["password"], PGCONNECT_TIMEOUT="10")
    cmd = ["psql", "-h", S["host"], "-p", str(S["port"]), "-U", S["user"], "-d", "dli", "-X", "-A", "-q",
           *(["-t"] if tuples_only else []), "-v", "ON_ERROR_STOP=1", *args]
    p = subprocess.run(cmd, input=stdin, capture_output=True, text=True, env=env, timeout=120)
    return p.returncode, p.stdout, p.stderr


def text_value(v):
    """How Postgres prints a value in text format (computed here)."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "t" if v else "f"
    if isinstance(v, L.Decimal):
        return f"{v:.2f}"  # numeric(10,2) prints its scale
    if isinstance(v, bytes):
        return "\\x" + v.hex()
    if hasattr(v, "isoformat") and hasattr(v, "hour"):
        # Postgres prints fractional seconds without trailing zeros (…:00.00001).
        text = v.isoformat(sep=" ")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


@suite.check("setup_multi_statement_file")
def _():
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(f"-- a comment; with a semicolon\nCREATE DATABASE {DB};\n{L.create_sql(DB)};\n{L.insert_sql(DB)};\n"
                f"SELECT count(*) FROM {DB}.t;\n")
    try:
        rc, out, err = psql("-f", f.name)
    finally:
        os.unlink(f.name)
    eq(rc, 0, f"exit code (stderr: {err!r})")
    eq(out, f"{L.N_ROWS + 1}\n", "output")


@suite.check("stderr_clean_after_select")
def _():
    rc, out, err = psql("-c", f"SELECT a FROM {DB}.t WHERE a <= 2 ORDER BY a", tuples_only=False)
    eq((rc, out), (0, "a\n1\n2\n(2 rows)\n"), "result")
    eq(err, "", "stderr")


@suite.check("multi_statement_c_shows_every_result")
def _():
    rc, out, err = psql("-c", f"SELECT count(*) FROM {DB}.t WHERE g; SELECT max(b) FROM {DB}.t")
    data = L.all_rows()[: L.N_ROWS]
    eq(rc, 0, f"exit code ({err!r})")
    eq(out, f"{sum(1 for r in data if r[6])}\n{max(r[1] for r in data)}\n", "both results")


@suite.check("text_output_of_every_type")
def _():
    rc, out, err = psql("-F", "|", "-P", "null=NULL", "-c",
                        f"SELECT {', '.join(L.COLUMN_NAMES)} FROM {DB}.t ORDER BY a")
    eq(rc, 0, f"exit code ({err!r})")
    want = ["|".join(text_value(v) for v in r) for r in L.all_rows()]
    got = out.splitlines()
    eq(len(got), len(want), "rows")
    for g, w in zip(got, want):
        eq(g, w, "row text")


@suite.check("verbose_error_sqlstate_and_exit_code")
def _():
    rc, out, err = psql(stdin=f"\\set VERBOSITY verbose\nSELECT 1;\nSELECT * FROM {DB}.nope;\nSELECT 2;\n")
    eq(rc, 3, "psql exit code with ON_ERROR_STOP")
    ok("ERROR:  42P01:" in err, f"verbose SQLSTATE in {err!r}")
    ok("2" not in out.split(), f"stopped at the error: {out!r}")


@suite.check("session_commands_and_version")
def _():
    rc, out, err = psql("-c", "SHOW server_version", "-c", f"SET search_path = {DB}", "-c", "SELECT count(*) FROM t",
                        "-c", "DISCARD ALL", "-c", "RESET ALL", "-c", "SELECT current_user")
    eq(rc, 0, f"exit code ({err!r})")
    lines = [x for x in out.splitlines() if x]
    ok(lines[0].split(".")[0].isdigit(), f"server_version {lines[0]!r}")
    eq(lines[1:], [str(L.N_ROWS + 1), "dli"], "results")


@suite.check("single_transaction_file")
def _():
    rc, out, err = psql("-1", "-c", f"SELECT count(*) FROM {DB}.t")  # wraps in BEGIN/COMMIT
    eq((rc, out), (0, f"{L.N_ROWS + 1}\n"), f"result ({err!r})")


if __name__ == "__main__":
    suite.main()
