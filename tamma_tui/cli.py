"""Command-line face of Tamma Bench.

Every subcommand lives in ``tamma_tui/commands/<group>.py`` and exposes
``register(subparsers)``. Those modules import only argparse at module level and import
services inside their handlers, so ``tamma-bench --help`` stays fast (pandas, scipy and
textual are loaded only by the commands that need them).

Exit statuses live in ``vocabulary.ExitCode``: 0 ok; 1 finished but errors above the run's
threshold (or a gate failed); 2 bad input; 130 interrupted. Only this module turns an error
of ``tamma_tui.errors`` into one.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from tamma_tui import __version__
from tamma_tui.vocabulary import ExitCode

# Order is the order shown in --help.
COMMAND_MODULES: tuple[str, ...] = ("demo", "run", "runs", "configs", "report", "history", "check", "compare", "simserver", "suites", "db", "tui",
                                     "share", "consent", "insights", "share_server", "changes", "audit")

EXIT_OK = ExitCode.OK
EXIT_ERRORS = ExitCode.FAILED
EXIT_BAD_INPUT = ExitCode.BAD_INPUT
EXIT_INTERRUPTED = ExitCode.INTERRUPTED

DB_HELP = (
    "database file or SQLAlchemy URL (default: $TAMMA_BENCH_DB, else a file in the user data "
    "directory)"
)


def _accept_global_options(parser: argparse.ArgumentParser) -> None:
    """Let ``--db`` follow the subcommand too (``tamma-bench run exp.yaml --db x.db`` is what
    people type). SUPPRESS keeps a value given before the subcommand when none follows."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in set(action.choices.values()):
                if "--db" not in child._option_string_actions:
                    child.add_argument("--db", metavar="PATH_OR_URL", default=argparse.SUPPRESS, help=DB_HELP)
                _accept_global_options(child)


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
        help=DB_HELP,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"tamma_tui.commands.{name}")
        module.register(sub)
    _accept_global_options(parser)
    return parser


def _error(message: str) -> None:
    sys.stderr.write(f"tamma-bench: {message}\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # --help exits here, before anything heavy is imported
    from tamma_tui.errors import TammaError

    if not getattr(args, "func", None):
        # No command: open the app.
        from tamma_tui.commands.tui import open_app

        return open_app(args)
    try:
        return int(args.func(args) or 0)
    except TammaError as exc:
        _error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `tamma-bench export 3 | head`
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
