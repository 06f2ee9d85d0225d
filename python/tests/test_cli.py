"""The package's ``cohortdb`` command (``[project.scripts]``, python/cohortdb/_cli.py) is the
binary's command line run in-process: same output, same exit statuses, a closed pipe and Ctrl-C
handled the same way (docs/python.md, "The cohortdb command")."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from conftest import cli_path

# Far longer than any of these commands needs; a command still running then hangs.
DEADLINE = 60

ENDLESS = "with recursive n(i) as (select 1 union all select i + 1 from n) select i from n"


def script() -> Path:
    """The console script pip installed beside this interpreter."""
    path = Path(sys.executable).parent / "cohortdb"
    assert path.is_file(), f"{path}: the wheel installed no cohortdb command"
    return path


def both(args: List[str], cwd: Path) -> List[subprocess.CompletedProcess]:
    """Runs ``args`` with the binary, then with the console script, each in its own copy."""
    binary = cli_path()
    if not binary.is_file():
        pytest.skip(f"{binary} not built (cargo build --release --bin cohortdb)")
    results = []
    for name, program in (("bin", binary), ("py", script())):
        here = cwd / name
        if not here.exists():
            shutil.copytree(cwd / "data", here / "data")
        results.append(
            subprocess.run(
                [str(program), *args], cwd=here, capture_output=True, text=True, timeout=DEADLINE
            )
        )
    return results


def test_version_help_and_usage_errors_match_the_binary(workdir: Path) -> None:
    for args in (["--version"], ["--help"], ["build", "--help"], ["--bogus"], ["show"]):
        binary, python = both(args, workdir)
        assert (python.returncode, python.stdout, python.stderr) == (
            binary.returncode,
            binary.stdout,
            binary.stderr,
        ), args
    assert both(["--version"], workdir)[1].stdout.startswith("cohortdb ")
    assert both(["--bogus"], workdir)[1].returncode == 2


def test_commands_print_and_exit_as_the_binary(workdir: Path) -> None:
    steps = [
        (["import"], 0),
        (["build", "pilot"], 0),
        (["query", "select stage, count(*) from membership group by stage order by 1"], 0),
        # Built but not exported: stale, exit 1.
        (["status"], 1),
        (["show", "no-such-cohort"], 2),
    ]
    for args, code in steps:
        binary, python = both(args, workdir)
        assert python.returncode == code, (args, python.stderr)
        assert (python.stdout, python.stderr) == (binary.stdout, binary.stderr), args


def test_a_closed_pipe_ends_the_command_quietly(workdir: Path) -> None:
    subprocess.run([str(script()), "init"], cwd=workdir, check=True, capture_output=True)
    proc = subprocess.Popen(
        [str(script()), "query", ENDLESS, "--format", "csv"],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline() == b"i\n"
    proc.stdout.close()
    assert proc.wait(timeout=DEADLINE) == 0
    assert proc.stderr.read() == b""


def test_ctrl_c_stops_the_command_with_status_130(workdir: Path) -> None:
    subprocess.run([str(script()), "init"], cwd=workdir, check=True, capture_output=True)
    proc = subprocess.Popen(
        [str(script()), "query", ENDLESS, "--format", "csv"],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    # A first row: the command runs (its Ctrl-C handler is in place before any work starts).
    assert proc.stdout.readline() == b"i\n"
    proc.send_signal(signal.SIGINT)
    # Nobody reads on: the command is blocked on a full pipe or stops by itself.
    assert proc.wait(timeout=DEADLINE) == 130
    err = proc.stderr.read().decode()
    assert "error: interrupted" in err, err
    assert "KeyboardInterrupt" not in err and "Traceback" not in err, err
