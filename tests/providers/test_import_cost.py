"""Start-up (issue 10 §3): loading the HTTP providers does not pull in httpx's command-line
client (click, pygments), which a run never uses."""

from __future__ import annotations

import subprocess
import sys


def test_providers_load_without_httpx_command_line_client():
    code = (
        "import sys, tamma_tui.providers.openai_compat, tamma_tui.providers.anthropic, httpx\n"
        "heavy = [m for m in ('click', 'pygments', 'httpx._main') if sys.modules.get(m) is not None]\n"
        "assert not heavy, heavy\n"
        "assert callable(httpx.main)  # httpx's own stub stands in\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
