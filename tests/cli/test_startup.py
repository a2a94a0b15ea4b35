"""`tamma-bench --help` must stay fast: heavy libraries load only in the commands that use them."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("pandas", "scipy", "numpy", "textual", "sqlalchemy", "sqlmodel", "httpx", "plotext", "uvicorn")


def test_help_imports_no_heavy_library():
    code = (
        "import sys, json\n"
        "from tamma_tui.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = json.loads(out.strip().splitlines()[-1])
    assert loaded == []


def test_every_command_has_help():
    from tamma_tui.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) >= {"runs", "show", "export", "import", "configs"}
    for name, command in sub.choices.items():
        assert command.format_help().startswith("usage: tamma-bench " + name)


def test_import_free_copies_match_the_config_models():
    # report.py and suites.py keep their own copies so --help need not import pydantic.
    from tamma_tui.commands.report import METRIC_NAMES
    from tamma_tui.commands.suites import CONTEXT_CHOICES
    from tamma_tui.config.models import CONTEXTS, METRICS

    assert METRIC_NAMES == METRICS
    assert CONTEXT_CHOICES == CONTEXTS
