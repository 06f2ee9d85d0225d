"""Fixtures of the Python suite: scratch copies of the example data, the CLI binary."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import List

import pytest

import cohortdb

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_DATA = REPO / "examples" / "data"


def cli_path() -> Path:
    """The cohortdb binary: $COHORTDB_BIN (tests/run.sh sets it), else target/release."""
    env = os.environ.get("COHORTDB_BIN")
    return Path(env) if env else REPO / "target" / "release" / "cohortdb"


@pytest.fixture
def cli():
    """Runs the CLI; returns a function (args, cwd) -> CompletedProcess."""
    path = cli_path()
    if not path.is_file():
        if os.environ.get("COHORTDB_BIN"):
            pytest.fail(f"COHORTDB_BIN={path} does not exist")
        pytest.skip(f"{path} not built (cargo build --release --bin cohortdb)")

    def run(args: List[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(path), *args], cwd=cwd, check=check, capture_output=True, text=True
        )

    return run


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A scratch folder holding a copy of examples/data as data/."""
    shutil.copytree(EXAMPLE_DATA, tmp_path / "data")
    return tmp_path


@pytest.fixture
def store(workdir: Path) -> cohortdb.Store:
    """A Store over the scratch copy; nothing imported yet."""
    return cohortdb.Store(workdir / "cohorts.db", data_root=workdir / "data")


@pytest.fixture
def built(store: cohortdb.Store) -> cohortdb.Store:
    """The example store with catalogs imported and the pilot cohort built."""
    store.import_catalogs()
    store.build("pilot")
    return store


@pytest.fixture
def two_cohorts(built: cohortdb.Store, workdir: Path) -> Path:
    """The example store with `pilot` and `pilot1` (pilot's spec with its first combo only)."""
    spec = workdir / "data" / "cohorts" / "pilot" / "spec"
    other = workdir / "data" / "cohorts" / "pilot1" / "spec"
    shutil.copytree(spec, other)
    combos = (other / "items" / "combos.txt").read_text().splitlines()
    (other / "items" / "combos.txt").write_text(combos[0] + "\n")
    built.build("pilot1")
    return workdir / "cohorts.db"
