"""psycopg 3 through the load balancer of tests/replicas.rs: a long query cancelled with
`Connection.cancel_safe()`, whose CancelRequest opens a new connection that the load
balancer may hand to the other gateway replica. Each run must end with 57014 within
seconds (the job runs for minutes otherwise), and the session must stay usable.

Markers: the Rust side checks that every job whose SQL contains `psy-cancel-<run>` ended
CANCELLED on the DLI service. Exit status 1 on any failure.
"""

import sys
import threading
import time

import psycopg
from psycopg import errors

from clientlib import conn_settings

RUNS = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 2


def one(run):
    s = conn_settings()
    with psycopg.connect(
        host=s["host"], port=s["port"], user=s["user"], password=s["password"], dbname="dli"
    ) as cn:
        timer = threading.Timer(1.5, cn.cancel_safe)
        timer.start()
        t0 = time.monotonic()
        try:
            cn.execute(f"SELECT count(*) FROM rep.t /* dli_local_delay_ms=300000 psy-cancel-{run} */").fetchall()
            return f"run {run}: the query was not cancelled"
        except errors.QueryCanceled as e:
            if e.sqlstate != "57014":
                return f"run {run}: sqlstate {e.sqlstate}"
        finally:
            timer.cancel()
        took = time.monotonic() - t0
        if took > 60:
            return f"run {run}: cancelled only after {took:.0f} s"
        if cn.execute("SELECT 7").fetchone()[0] != 7:
            return f"run {run}: the session is not usable after the cancel"
    return None


def main():
    failures = [f for f in (one(r) for r in range(1, RUNS + 1)) if f]
    for f in failures:
        print("FAIL", f)
    if not failures:
        print(f"PASS psycopg cancelled {RUNS} queries through the load balancer")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
