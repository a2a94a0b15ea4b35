"""Ship the top-level ``themes/`` and ``sample_configs/`` inside the wheel.

They live at the repository root (where users look for them) and are copied into
``tamma_tui/_data/`` at build time; ``tamma_tui.resources`` finds either location.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).parent
SHIPPED = ("themes", "sample_configs")


class BuildWithData(build_py):
    def run(self):
        super().run()
        for name in SHIPPED:
            source = ROOT / name
            if source.is_dir():
                target = Path(self.build_lib) / "tamma_tui" / "_data" / name
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildWithData})
