"""Run a test file against one or more module variants inside the sandbox, fast.

Starting pytest per grade costs ~0.3 s; this harness costs one stdlib-only interpreter start
per grade plus one fork per variant (the reference and each mutant in the testing context).
The runner and a small pytest stand-in (``pytest_shim.py``, installed as ``pytest.py``) are
copied into the workspace, so tests that ``import pytest`` keep working.

Limit, as with pytest itself: tests run in the same process as the code under test, so a
module written to cheat could patch the runner and fake its own outcomes. The sandbox
contains what hostile code can do to the machine; it does not make cheating impossible.
"""

from __future__ import annotations

import ast
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from tamma_tui.suites import sandbox

_HERE = Path(__file__).parent
RUNNER_NAME = "_tamma_runner.pyc"
FIXTURES_NAME = "_tamma_fixtures.pyc"


@lru_cache(maxsize=1)
def _harness_files() -> dict[str, bytes]:
    # Precompiled: compiling these two files was over a third of a grade's CPU time.
    # A sourceless pytest.pyc in the workspace is what `import pytest` finds there.
    runner = (_HERE / "test_runner.py").read_text(encoding="utf-8")
    fixtures = (_HERE / "fixtures.py").read_text(encoding="utf-8")
    shim = (_HERE / "pytest_shim.py").read_text(encoding="utf-8")
    return {RUNNER_NAME: sandbox.pyc_bytes(runner, "_tamma_runner.py"),
            FIXTURES_NAME: sandbox.pyc_bytes(fixtures, "_tamma_fixtures.py"),
            "pytest.pyc": sandbox.pyc_bytes(shim, "pytest.py")}


@dataclass
class HarnessResult:
    variants: list[dict[str, Any]] = field(default_factory=list)  # per variant, in order
    error: str | None = None  # the harness itself produced no result (timeout, crash, ...)
    timed_out: bool = False
    isolation: str = ""
    duration_s: float = 0.0
    stderr_tail: str = ""

    def variant(self, name: str) -> dict[str, Any] | None:
        return next((v for v in self.variants if v["name"] == name), None)


def run_tests(test_source: str, variants: Mapping[str, Mapping[str, str]], *,
              test_file: str = "test_hidden.py", per_test_timeout: float = 2.0,
              variant_timeout: float = 6.0, limits: sandbox.Limits | None = None) -> HarnessResult:
    """Run `test_source` (saved as `test_file`) once per variant.

    `variants` maps a variant name to its module files (file name -> source); each variant
    gets its own directory holding those files and a copy of the tests.
    """
    files: dict[str, str | bytes] = dict(_harness_files())
    spec_variants = []
    for i, (name, modules) in enumerate(variants.items()):
        vdir = f"v{i}"
        for fname, source in modules.items():
            files[f"{vdir}/{fname}"] = source
        files[f"{vdir}/{test_file}"] = test_source
        spec_variants.append({"name": name, "dir": vdir})
    args = [test_file, repr(float(per_test_timeout)), repr(float(variant_timeout))]
    args += [f"{v['name']}={v['dir']}" for v in spec_variants]
    if limits is None:
        limits = sandbox.Limits(timeout_s=variant_timeout * len(spec_variants) + 5.0,
                                output_bytes=1 << 20)
    nonce = secrets.token_hex(16)
    res = sandbox.run_python(RUNNER_NAME, files, args=args, limits=limits,
                             stdin=(nonce + "\n").encode())
    out = HarnessResult(isolation=res.isolation, duration_s=res.duration_s,
                        timed_out=res.timed_out, stderr_tail=res.stderr[-500:])
    marker = f"TAMMA_RESULT {nonce} "
    for line in reversed(res.stdout.splitlines()):
        if line.startswith(marker):
            try:  # a plain literal written by our runner; literal_eval evaluates nothing
                out.variants = ast.literal_eval(line[len(marker):])
                if not isinstance(out.variants, list):
                    raise ValueError("not a list")
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                out.error = "harness result unreadable"
            break
    else:
        reason = res.killed_reason or f"exit status {res.exit_code}"
        out.error = f"harness produced no result ({reason})"
    return out


__all__ = ["HarnessResult", "run_tests"]
