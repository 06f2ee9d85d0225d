#!/usr/bin/env bash
# The README's test command (.ci/run calls it too):
#   1. cargo test — the library, the CLI, the gen_id crate, and the team-store tests against the
#      PostgreSQL server at $COHORTDB_TEST_PG (skipped with one line when none answers, unless
#      CI=true);
#   2. the SQLite loadable extension (its own workspace, sqlite-ext/): built, and loaded into the
#      sqlite3 shell by its tests (skipped with a note when there is no sqlite3);
#   3. the Python package: its wheel built with maturin (and zig, for glibc 2.28) and installed
#      into target/py-venv (created here with `python3 -m venv`; maturin, ziglang, pytest,
#      pandas, datasette and selenium come from PyPI), then its pytest suite (the browser test
#      needs Debian's chromium and chromium-driver: skipped with one line without them, unless
#      CI=true).
#
# Without access to PyPI step 3 is skipped with a note and the script still succeeds, unless
# COHORTDB_REQUIRE_PYTHON=1 (CI sets it). COHORTDB_SKIP_PYTHON=1 skips step 3 on purpose.
set -euo pipefail
cd "$(dirname "$0")/.."

# The team-store tests (docs/postgres.md, "Tests") need a PostgreSQL server: $COHORTDB_TEST_PG,
# by default the local one. Each test skips itself when none answers, unless CI=true; say so once.
pg_url="${COHORTDB_TEST_PG:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
pg_hostport="${pg_url#*://}"
pg_hostport="${pg_hostport#*@}"
pg_hostport="${pg_hostport%%[/?]*}"
pg_host="${pg_hostport%:*}"
pg_port="${pg_hostport##*:}"
[ "$pg_port" = "$pg_hostport" ] && pg_port=5432
if ! (exec 3<>"/dev/tcp/${pg_host:-127.0.0.1}/$pg_port") 2>/dev/null; then
  if [ "${CI:-}" = true ]; then
    echo "error: no PostgreSQL server at $pg_host:$pg_port: CI=true requires the team-store tests (set COHORTDB_TEST_PG)" >&2
    exit 1
  fi
  echo "note: skipping the team-store (PostgreSQL) tests: no server at $pg_host:$pg_port (set COHORTDB_TEST_PG to point them at one)"
fi

cargo test --locked

ext_args=(--release --locked --manifest-path sqlite-ext/Cargo.toml --target-dir target)
cargo build "${ext_args[@]}"
if command -v sqlite3 >/dev/null 2>&1; then
  cargo test "${ext_args[@]}"
else
  echo "note: skipped the SQLite extension's shell tests: no sqlite3 (apt-get install -y sqlite3)"
fi

if [ "${COHORTDB_SKIP_PYTHON:-0}" = 1 ]; then
  echo "note: skipped the Python suite (COHORTDB_SKIP_PYTHON=1)"
  exit 0
fi
skip_python() {
  if [ "${COHORTDB_REQUIRE_PYTHON:-0}" = 1 ]; then
    echo "error: $1 (COHORTDB_REQUIRE_PYTHON=1)" >&2
    exit 1
  fi
  echo "note: skipped the Python suite: $1"
  exit 0
}
command -v python3 >/dev/null 2>&1 || skip_python "no python3"
venv=target/py-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" || skip_python "python3 -m venv failed"
fi
# ziglang: maturin links the wheel with zig against glibc 2.28 (README, "The Python package");
# datasette and selenium: the Datasette plugin's tests (python/tests/test_datasette.py,
# test_browser.py); pyarrow, duckdb and polars: the readers of the Parquet output
# (python/tests/test_columnar.py).
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check maturin ziglang pytest pandas \
  jsonschema mypy 'datasette>=0.64,<1.0' selenium pyarrow duckdb polars ||
  skip_python "cannot install maturin, ziglang, pytest, pandas, jsonschema, mypy, datasette, selenium, pyarrow, duckdb and polars (no access to PyPI?)"

cargo build --release --locked --bin cohortdb
# The wheel users get (README): abi3, stripped, manylinux_2_28 (any Linux x86_64 with glibc >=
# 2.28). maturin finds zig through the venv's python (`python -m ziglang`).
rm -rf target/wheels
PATH="$PWD/$venv/bin:$PATH" "$venv/bin/maturin" build --release --locked --quiet \
  --manifest-path python/Cargo.toml --interpreter "$venv/bin/python" \
  --zig --compatibility manylinux_2_28 --out target/wheels
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall \
  --no-deps target/wheels/cohortdb-*.whl
COHORTDB_BIN="$PWD/target/release/cohortdb" \
  COHORTDB_SQLITE_EXT="$PWD/target/release/libcohortdb_sqlite.so" \
  "$venv/bin/python" -m pytest -q python/tests
