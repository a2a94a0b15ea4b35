"""scripts/grade_under_pytest.py: the debugging route to real pytest agrees with the grader."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "grade_under_pytest.py"


def run(*args: str, tmp: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args, "--keep", str(tmp)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_reference_passes_and_a_wrong_answer_fails_under_real_pytest(tmp_path):
    good = run("tamma-core", "dev-fix-business-days", tmp=tmp_path / "good")
    assert good.returncode == 0 and " passed" in good.stdout
    bad = run("tamma-core", "dev-fix-business-days", "--answer", "off_by_one", tmp=tmp_path / "bad")
    assert bad.returncode == 1 and "failed" in bad.stdout
    assert (tmp_path / "good" / "test_hidden.py").is_file()

