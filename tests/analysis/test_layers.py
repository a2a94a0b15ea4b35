"""analysis sits below services and the front ends: importing it pulls in none of them."""

import subprocess
import sys


def test_analysis_imports_nothing_above_it():
    code = (
        "import sys\n"
        "import tamma_tui.analysis.report, tamma_tui.analysis.sequential, tamma_tui.analysis.planning\n"
        "above = ('tamma_tui.services', 'tamma_tui.cli', 'tamma_tui.commands', 'tamma_tui.tui')\n"
        "bad = [m for m in sys.modules if m.startswith(above) or m in ('textual', 'statsmodels')]\n"
        "print(','.join(sorted(bad)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
