#!/usr/bin/env bash
# The main job on the bundled example data: import the catalogs, build the `pilot` cohort,
# export its files, verify it, and query its membership. Works on a copy of examples/data under
# target/example, so the repository stays clean and every run starts fresh.
# tests/docs.rs runs this script to check the README's transcript of it, with
# COHORTDB_EXAMPLE_BIN naming the binary to use instead of building the release one.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${COHORTDB_EXAMPLE_BIN:-}" ]; then
  cohortdb=$COHORTDB_EXAMPLE_BIN
else
  cargo build --release --quiet --bin cohortdb
  cohortdb=target/release/cohortdb
fi
work=target/example
rm -rf "$work"
mkdir -p "$work"
cp -R examples/data "$work/data"
export COHORTDB_DB="$work/cohorts.db" COHORTDB_DATA_ROOT="$work/data"
set -x
"$cohortdb" import
"$cohortdb" build pilot
"$cohortdb" export pilot
"$cohortdb" verify pilot
"$cohortdb" query "select stage, count(*) as members from membership where cohort_id = 'pilot' group by stage order by min(ordinal)" --format table
