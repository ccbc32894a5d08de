#!/usr/bin/env bash
# Installs what the real-client test suite (tests/clients.rs, tests/clients/) needs:
#   Debian: psql, pgjdbc, the psqlODBC driver and unixODBC, HAProxy, a JDK, Node.js and npm
#   PyPI:   psycopg 3, psycopg2, asyncpg, SQLAlchemy, pandas, pyodbc (pinned below)
#   npm:    node-postgres (`pg`, pinned by tests/clients/package-lock.json)
# and, for the real-Spark check (tests/spark_check.rs, scripts/spark_check.py):
#   Debian: the PostgreSQL 15 server (`postgresql`), a Java 17 runtime
#   PyPI:   pyspark 3.3.4 and psycopg2 in their own venv ($PYSPARK_VENV, /opt/pyspark33)
# Only the Debian, PyPI and npm registries are used. Idempotent: a second run finds
# everything in place and does no network work beyond pip's "already satisfied" check.
# Run as root (CI is); `sudo` is used when not root and available.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

# ---- Debian packages -------------------------------------------------------------
# haproxy: the load balancer tests/replicas.rs starts in front of two gateways.
APT_PKGS=(postgresql-client libpostgresql-jdbc-java odbc-postgresql unixodbc haproxy)
# A JDK (javac) for tests/clients/JdbcTest.java and Node.js/npm for node_pg_test.js,
# only when the machine has none (the Rust image already ships JDK 17 and Node 20).
command -v javac >/dev/null 2>&1 || APT_PKGS+=(openjdk-17-jdk-headless)
command -v node >/dev/null 2>&1 || APT_PKGS+=(nodejs)
command -v npm >/dev/null 2>&1 || APT_PKGS+=(npm)
command -v python3 >/dev/null 2>&1 || APT_PKGS+=(python3 python3-pip python3-venv)
# The real-Spark check: Debian's PostgreSQL server (the test runs its own cluster from
# /usr/lib/postgresql/15/bin) and Java 17 for pyspark (any JDK above already has one).
APT_PKGS+=(postgresql)
command -v java >/dev/null 2>&1 || APT_PKGS+=(openjdk-17-jre-headless)
# `python3 -m venv` needs ensurepip, which Debian ships separately.
if command -v python3 >/dev/null 2>&1 && ! python3 -c 'import ensurepip' 2>/dev/null; then
  APT_PKGS+=(python3-venv)
fi

missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-test-deps: apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# ---- PyPI packages ---------------------------------------------------------------
PY_PKGS=(
  "psycopg[binary]==3.3.9"
  "psycopg2-binary==2.9.13"
  "asyncpg==0.32.0"
  "sqlalchemy==2.1.9"
  "pandas==3.1.1"
  "pyodbc==5.5.0"
)
export PIP_ROOT_USER_ACTION=ignore
PIP_FLAGS=(--quiet --disable-pip-version-check --no-input)
# Debian's own python3 refuses system-wide pip installs (PEP 668); pyenv's does not.
if python3 -m pip install --help 2>/dev/null | grep -q -- --break-system-packages; then
  if [ -e "$(python3 -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')/EXTERNALLY-MANAGED" ]; then
    PIP_FLAGS+=(--break-system-packages)
  fi
fi
echo "install-test-deps: pip install ${PY_PKGS[*]}"
python3 -m pip install "${PIP_FLAGS[@]}" "${PY_PKGS[@]}"

# ---- pyspark 3.3 (DLI's Spark) for the real-Spark check ---------------------------------
# Its own venv: pyspark pins its py4j, and the check must not depend on the packages above.
# pyspark 3.3.4 is a ~281 MB download, made once; a second run only imports it.
PYSPARK_VENV="${PYSPARK_VENV:-/opt/pyspark33}"
if ! "$PYSPARK_VENV/bin/python" -c 'import pyspark, psycopg2, sys; sys.exit(pyspark.__version__ != "3.3.4")' 2>/dev/null; then
  echo "install-test-deps: pyspark 3.3.4 + psycopg2 into $PYSPARK_VENV"
  $SUDO python3 -m venv "$PYSPARK_VENV"
  $SUDO "$PYSPARK_VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    "pyspark==3.3.4" "psycopg2-binary==2.9.13"
fi

# ---- npm packages ----------------------------------------------------------------
# `npm ci` installs exactly the lock file; skipped when node_modules already matches it.
(
  cd tests/clients
  want=$(node -p "require('./package-lock.json').packages['node_modules/pg'].version")
  have=$(node -p "try { require('./node_modules/pg/package.json').version } catch (e) { '' }")
  if [ "$want" != "$have" ]; then
    echo "install-test-deps: npm ci (tests/clients)"
    npm ci --no-audit --no-fund --loglevel=error
  fi
)
echo "install-test-deps: done"
