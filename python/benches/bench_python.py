#!/usr/bin/env python3
"""Benchmarks of the Python package (docs/python.md, docs/benchmarks.md), on a data root made by
the benchmark input generator (a `roots/rows_<N>/` folder with cohort `bench`:
`cargo bench --bench cohortdb-bench -- generate --roots 100000 1000000`):

  * `Store.build("bench")` against the release CLI's `cohortdb build bench` (wall time, the
    import before each build untimed);
  * `Store.membership("bench")` into a list and `Store.membership_df("bench")` into a
    DataFrame, side by side with `pandas.read_sql` over the `membership` view on the same store;
  * the peak memory of streaming --stream-rows rows of 1 KB each through `Store.iter_batches`
    (in a child process of its own, so its peak is its own).

Each figure is the median of --runs runs. Usage:

  python python/benches/bench_python.py --root target/bench-data/roots/rows_100000 \
      --cli target/release/cohortdb [--runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas

import cohortdb


def median_time(fn, runs: int, setup=None) -> float:
    times = []
    for _ in range(runs):
        if setup:
            setup()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--cli", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--stream-rows", type=int, default=3_000_000)
    args = parser.parse_args()
    cli = args.cli.resolve()

    work = Path(tempfile.mkdtemp(prefix="cohortdb-pybench-"))
    try:
        data = work / "data"
        shutil.copytree(args.root, data)
        imported = work / "imported.db"
        subprocess.run([str(cli), "--db", str(imported), "--data-root", str(data), "-q", "import"],
                       check=True, capture_output=True)
        db = work / "cohorts.db"

        def fresh() -> None:
            for suffix in ["", "-wal", "-shm"]:
                Path(str(db) + suffix).unlink(missing_ok=True)
            shutil.copyfile(imported, db)

        store = cohortdb.Store(db, data_root=data)
        sql = cohortdb._native.NativeStore.membership_sql.replace("?1", "'bench'")

        def cli_build() -> None:
            subprocess.run(
                [str(cli), "--db", str(db), "--data-root", str(data), "-q", "build", "bench"],
                check=True, capture_output=True)

        def read_sql() -> None:
            conn = sqlite3.connect(db)
            pandas.read_sql(sql, conn)
            conn.close()

        # The runs of the things compared alternate, so a change in the machine's load during
        # the benchmark affects both sides alike.
        times = {k: [] for k in ["cli", "py", "list", "frame", "read_sql"]}
        reports = []
        for _ in range(args.runs):
            for key, fn in [("cli", cli_build), ("py", lambda: reports.append(store.build("bench")))]:
                times[key].append(median_time(fn, 1, fresh))
        report = reports[-1]
        counts = report.counts
        members = counts["draft"] + counts["essay"] + counts["evaluation"]
        for _ in range(args.runs):
            times["list"].append(median_time(lambda: store.membership("bench"), 1))
            times["frame"].append(median_time(lambda: store.membership_df("bench"), 1))
            times["read_sql"].append(median_time(read_sql, 1))
        cli_build, py_build, as_list, as_frame, baseline = (
            statistics.median(times[k]) for k in ["cli", "py", "list", "frame", "read_sql"]
        )
        assert store.membership_df("bench").equals(pandas.read_sql(sql, sqlite3.connect(db)))

        print(f"cohort bench: {counts['evaluation']:,} evaluations, {members:,} members; "
              f"median of {args.runs} runs\n")
        print("| work | Python package | baseline | ratio |")
        print("| --- | ---: | --- | ---: |")
        print(f"| build | {py_build:.2f} s | CLI `cohortdb build`: {cli_build:.2f} s | {py_build / cli_build:.2f}× |")
        print(f"| membership → list of dicts | {as_list:.2f} s | `pandas.read_sql` over the view: {baseline:.2f} s | {as_list / baseline:.2f}× |")
        print(f"| membership → DataFrame | {as_frame:.2f} s | `pandas.read_sql` over the view: {baseline:.2f} s | {as_frame / baseline:.2f}× |")
        stream_peak(db, args.stream_rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)


STREAM = """
import sys, time
import cohortdb
store = cohortdb.Store(sys.argv[1])
sql = ("with recursive r(i) as (select 1 union all select i + 1 from r where i < ?) "
       "select i, printf('%.*c', 1000, 'x') as kb from r")
start = time.perf_counter()
rows = 0
for batch in store.iter_batches(sql, [int(sys.argv[2])], shape="tuples"):
    rows += len(batch)
elapsed = time.perf_counter() - start
# VmHWM is this process's own peak: ru_maxrss would include the parent's peak at fork().
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(rows, elapsed, peak)
"""


def stream_peak(db: Path, rows: int) -> None:
    """Streams `rows` rows of 1 KB through `iter_batches` in a child process and prints its
    peak resident memory."""
    out = subprocess.run([sys.executable, "-c", STREAM, str(db), str(rows)],
                         check=True, capture_output=True, text=True).stdout.split()
    streamed, elapsed, peak_kib = int(out[0]), float(out[1]), int(out[2])
    print(f"\niter_batches of {streamed:,} rows of 1 KB ({streamed / 1e6:.1f} GB of text): "
          f"{elapsed:.2f} s, peak {peak_kib / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
