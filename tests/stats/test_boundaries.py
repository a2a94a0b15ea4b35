"""stats is a bottom layer: importing it must not pull in pandas, statsmodels or anything above it."""

import subprocess
import sys


def test_stats_imports_only_numpy_and_scipy():
    code = (
        "import sys, tamma_tui.stats\n"
        "bad = [m for m in ('pandas', 'statsmodels', 'textual', 'sqlmodel', 'httpx') if m in sys.modules]\n"
        "bad += [m for m in sys.modules if m.startswith('tamma_tui.') and not m.startswith('tamma_tui.stats')]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
