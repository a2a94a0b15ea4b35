"""history/ is an analysis-level room: importing it pulls in no services, CLI or app."""

import subprocess
import sys


def test_history_imports_nothing_above_it():
    code = (
        "import sys\n"
        "import tamma_tui.history.series, tamma_tui.history.changes, tamma_tui.history.check\n"
        "import tamma_tui.history.attribution, tamma_tui.history.flaky, tamma_tui.history.effectiveness\n"
        "import tamma_tui.history.formats\n"
        "above = ('tamma_tui.services', 'tamma_tui.cli', 'tamma_tui.commands', 'tamma_tui.tui')\n"
        "bad = [m for m in sys.modules if m.startswith(above) or m == 'textual']\n"
        "print(','.join(sorted(bad)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_history_commands_keep_help_fast():
    """The commands import nothing heavy at module level (cli --help stays fast)."""
    code = (
        "import sys\n"
        "import tamma_tui.commands.history, tamma_tui.commands.check, tamma_tui.commands.compare\n"
        "print(','.join(m for m in ('numpy', 'scipy', 'pandas', 'sqlalchemy') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
