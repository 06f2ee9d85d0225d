"""The ``cohortdb`` command of the Python package (``[project.scripts]`` in pyproject.toml).

It is not a second command line: it runs the binary's own entry, ``cohortdb::cli_main``
(src/cli/entry.rs), inside this process, so the arguments, output, exit statuses, a closed pipe
and Ctrl-C behave as with the ``cohortdb`` binary. The command owns SIGINT while it runs (Ctrl-C
stops it with status 130, as the binary), so call :func:`main` only as a process's whole work,
never from a program that goes on afterwards.
"""

from __future__ import annotations

import sys

from . import _native


def main() -> int:
    """Runs ``cohortdb`` with this process's arguments; returns its exit status."""
    return _native.cli_main(["cohortdb", *sys.argv[1:]])


if __name__ == "__main__":  # python -m cohortdb._cli
    sys.exit(main())
