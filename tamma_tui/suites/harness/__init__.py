"""Run a test file against one or more module variants inside the sandbox, fast.

Starting pytest per grade costs ~0.3 s; this harness costs one stdlib-only interpreter start
per grade plus one fork per variant (the reference and each mutant in the testing context).
The runner and a small pytest stand-in (``pytest_shim.py``, installed as ``pytest.py``) are
copied into the workspace, so tests that ``import pytest`` keep working.

Tests run in the same process as the code under test (as with pytest itself), so code
written to cheat could patch the runner or write its own outcome records. Three things
bound that: the final result line carries a nonce that no process running tested code
ever holds (read after the children are gone; the runner is non-dumpable); two canary
tests with random names are appended to every test file, one whose body must fail and
one whose body must pass, and a run that reports either wrongly is ``void``; and the
sandbox hides the suites' answers and the results database. A cheat that recognises the
canaries and forges every other record is not caught: see README, "Security".
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


_CANARY_WORDS = ("handles", "returns", "rejects", "keeps", "accepts", "raises", "counts",
                 "orders", "merges", "parses")
_CANARY_NOUNS = ("empty_input", "boundary", "duplicates", "large_values", "unicode",
                 "negative", "none", "order", "limits", "round_trip")


def canary_tests() -> tuple[str, str, str]:
    """(source to append, name of the test that must fail, name of the one that must pass),
    with names shaped like real tests and random values, fresh per grade."""
    def name() -> str:
        return (f"test_{secrets.choice(_CANARY_WORDS)}_{secrets.choice(_CANARY_NOUNS)}_"
                f"{secrets.token_hex(3)}")

    fail_name, pass_name = name(), name()
    a, b = secrets.randbelow(10**9), secrets.randbelow(10**9) + 10**9  # never equal
    source = (f"\n\ndef {fail_name}():\n    assert {a} == {b}\n"
              f"\n\ndef {pass_name}():\n    assert {a} == {a}\n")
    return source, fail_name, pass_name


def _check_canaries(variant: dict[str, Any], must_fail: str, must_pass: str) -> str:
    """"ok", "void" (a canary was misreported: the grade can't be trusted) or "unverified"
    (the run ended before the canaries ran: the grade already fails). The canaries' own
    records are removed and the counts corrected either way."""
    tests = variant.get("tests", [])
    outcomes = {t["name"]: t["outcome"] for t in tests if t["name"] in (must_fail, must_pass)}
    variant["tests"] = [t for t in tests if t["name"] not in (must_fail, must_pass)]
    for name, outcome in outcomes.items():
        key = {"passed": "passed", "failed": "failed", "error": "errors",
               "skipped": "skipped", "xfailed": "xfailed"}.get(outcome)
        if key and variant.get(key, 0) > 0:
            variant[key] -= 1
        variant["total"] = max(0, variant.get("total", 0) - 1)
    if not variant.get("completed") or variant.get("collection_error"):
        if outcomes.get(must_fail) not in (None, "failed") or outcomes.get(must_pass) not in (
                None, "passed"):
            return "void"
        return "unverified"
    if outcomes.get(must_fail) == "failed" and outcomes.get(must_pass) == "passed":
        return "ok"
    return "void"


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

    @property
    def integrity(self) -> str:
        """"void" if any variant misreported a canary, "ok" if all reported them rightly,
        else "unverified"."""
        verdicts = [v.get("integrity", "unverified") for v in self.variants]
        if "void" in verdicts:
            return "void"
        return "ok" if verdicts and all(v == "ok" for v in verdicts) else "unverified"


def run_tests(test_source: str, variants: Mapping[str, Mapping[str, str]], *,
              test_file: str = "test_hidden.py", per_test_timeout: float = 2.0,
              variant_timeout: float = 6.0, limits: sandbox.Limits | None = None) -> HarnessResult:
    """Run `test_source` (saved as `test_file`) once per variant.

    `variants` maps a variant name to its module files (file name -> source); each variant
    gets its own directory holding those files and a copy of the tests.
    """
    files: dict[str, str | bytes] = dict(_harness_files())
    canary_source, must_fail, must_pass = canary_tests()
    test_source = test_source + canary_source
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
                for variant in out.variants:
                    variant["integrity"] = _check_canaries(variant, must_fail, must_pass)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                out.error = "harness result unreadable"
            break
    else:
        reason = res.killed_reason or f"exit status {res.exit_code}"
        out.error = f"harness produced no result ({reason})"
    return out


__all__ = ["HarnessResult", "run_tests"]
