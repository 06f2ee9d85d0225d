"""The package's types catch a pipeline's typos: `mypy --strict` is clean on the package and on
correct code, and reports every typo of typecheck/typos.py (a misspelt finding field, shape,
report key, enumeration value)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parent


def mypy(*args: str) -> subprocess.CompletedProcess[str]:
    pytest.importorskip("mypy")
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *args],
        cwd=PACKAGE,
        capture_output=True,
        text=True,
    )


def test_the_package_is_clean_under_strict_mypy():
    out = mypy("-p", "cohortdb")
    assert out.returncode == 0, out.stdout + out.stderr


def test_correct_use_is_clean():
    out = mypy("tests/typecheck/clean.py")
    assert out.returncode == 0, out.stdout + out.stderr


def test_every_typo_is_an_error():
    source = (HERE / "typecheck" / "typos.py").read_text().splitlines()
    expected = {
        i + 1: line.split("# error: ")[1].strip()
        for i, line in enumerate(source)
        if "# error: " in line
    }
    out = mypy("tests/typecheck/typos.py")
    found = {}
    for line in out.stdout.splitlines():
        m = re.match(r"tests/typecheck/typos\.py:(\d+): error: .*\[([a-z-]+)\]$", line)
        if m:
            found.setdefault(int(m.group(1)), set()).add(m.group(2))
    missing = {n: code for n, code in expected.items() if code not in found.get(n, set())}
    assert not missing, f"typos mypy did not catch: {missing}\n{out.stdout}"
    unexpected = sorted(set(found) - set(expected))
    assert not unexpected, f"errors on correct lines {unexpected}:\n{out.stdout}"
