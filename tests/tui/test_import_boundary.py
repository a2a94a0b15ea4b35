"""No module outside tamma_tui/tui/ imports textual (DESIGN §1): the app is one face of a
headless core, and the CLI must not pay for Textual."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "tamma_tui"


def _textual_imports(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        else:
            continue
        if any(n == "textual" or n.startswith("textual.") for n in names):
            lines.append(node.lineno)
    return lines


def test_no_textual_import_outside_the_tui_package():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "tui":
            continue
        offenders += [f"{rel}:{line}" for line in _textual_imports(path)]
    assert offenders == [], f"textual imported outside tamma_tui/tui/: {offenders}"


def test_the_checker_sees_textual_imports(tmp_path):
    sample = tmp_path / "m.py"
    sample.write_text("import os\nfrom textual.app import App\nimport textual\n")
    assert _textual_imports(sample) == [2, 3]


def test_services_and_cli_load_without_textual():
    code = (
        "import sys, tamma_tui.cli, tamma_tui.services.browse, tamma_tui.commands.tui\n"
        "tamma_tui.cli.build_parser()\n"
        "print('textual' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
