"""Command-line face of Tamma Bench.

Every subcommand lives in ``tamma_tui/commands/<group>.py`` and exposes
``register(subparsers)``. Those modules import only argparse at module level and import
services inside their handlers, so ``tamma-bench --help`` stays fast (pandas, scipy and
textual are loaded only by the commands that need them).

Exit statuses: 0 ok; 1 finished but errors above the run's threshold (or a gate failed);
2 bad input; 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from tamma_tui import __version__

# Order is the order shown in --help.
COMMAND_MODULES: tuple[str, ...] = ("demo", "run", "runs", "configs", "report", "simserver", "suites", "tui")

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tamma-bench",
        description="Benchmark AI coding-agent configurations: speed, quality, cost and "
        "context use, with paired statistics. Run without a command to open the app.",
    )
    parser.add_argument("--version", action="version", version=f"tamma-bench {__version__}")
    parser.add_argument(
        "--db",
        metavar="PATH_OR_URL",
        help="database file or SQLAlchemy URL (default: $TAMMA_BENCH_DB, else a file in "
        "the user data directory)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"tamma_tui.commands.{name}")
        module.register(sub)
    return parser


def _error(message: str) -> None:
    sys.stderr.write(f"tamma-bench: {message}\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # --help exits here, before anything heavy is imported
    from tamma_tui.config.errors import BadInput

    if not getattr(args, "func", None):
        # No command: open the app.
        from tamma_tui.commands.tui import open_app

        return open_app(args)
    try:
        return int(args.func(args) or 0)
    except BadInput as exc:
        _error(str(exc))
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `tamma-bench export 3 | head`
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
