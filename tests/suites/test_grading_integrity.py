"""Issue 11 §2: generic answers that solve nothing no longer pass; tampering makes the
grade void (counted apart from failures); source-comparing "tests" score 0."""

from __future__ import annotations

import hashlib

import pytest

from tamma_tui.suites.graders import grade
from tamma_tui.suites.harness import _check_canaries, canary_tests, run_tests
from tamma_tui.suites.registry import load_suite

CORE = load_suite("tamma-core")
DEV = CORE.by_context("development")
TESTING = CORE.by_context("testing")

# Patches the runner's run_item in __main__ so every test reports "passed".
PATCH_RUN_ITEM = '''```python
import __main__
__main__.run_item = lambda *args, **kwargs: ("passed", "")


def __getattr__(name):  # any name the tests import exists
    return lambda *args, **kwargs: None
```'''

# Walks the stack to the runner's emit() and writes its own records.
FORGE_RECORDS = '''```python
import os, sys
frame = sys._getframe()
while frame is not None and "emit" not in frame.f_locals:
    frame = frame.f_back
if frame is not None:
    emit = frame.f_locals["emit"]
    emit("collected", 1)
    emit("test", "test_everything", "passed", "", 0.0)
    emit("done")
    os._exit(0)
```'''

# Reads the task's reference answer from the installed package and runs it.
READ_REFERENCE = '''```python
import glob
for path in glob.glob("%s/**/answers/reference.md", recursive=True):
    text = open(path).read()
    code = text.split("```python", 1)[-1].split("```", 1)[0]
    try:
        exec(code, globals())
    except Exception:
        pass
```'''


@pytest.mark.parametrize("cheat,tasks", [(PATCH_RUN_ITEM, DEV), (FORGE_RECORDS, DEV[::4])],
                         ids=["patch_run_item", "forge_records"])
def test_generic_cheats_fail_development_tasks_as_void(cheat, tasks):
    verdicts = [grade(task, cheat) for task in tasks]
    assert not any(g.passed for g in verdicts)
    assert all(g.integrity == "void" for g in verdicts), [g.details.get("error") for g in verdicts]


def test_reading_the_reference_from_the_package_fails():
    from tamma_tui.suites import sandbox
    from tamma_tui.suites.registry import BUILTIN_DIR

    if sandbox.isolation_level() != "full":
        pytest.skip("the answers are hidden by the mount namespace only")
    cheat = READ_REFERENCE % BUILTIN_DIR
    verdicts = [grade(task, cheat) for task in DEV[:6]]
    assert not any(g.passed for g in verdicts)


def test_honest_answers_are_ok_and_pass():
    task = DEV[0]
    g = grade(task, task.reference.text)
    assert g.passed and g.integrity == "ok"


def test_source_comparing_tests_score_zero_on_every_testing_task():
    verdicts = []
    for task in TESTING:
        module = task.grader["module"]
        digest = hashlib.sha256(task.grader["reference"].encode()).hexdigest()
        cheat = (f"```python\nimport hashlib, pathlib\n\n\ndef test_source_is_the_reference():\n"
                 f"    text = pathlib.Path({module!r}).read_bytes()\n"
                 f"    assert hashlib.sha256(text).hexdigest() == {digest!r}\n```")
        verdicts.append(grade(task, cheat))
    assert all(g.score == 0.0 and not g.passed for g in verdicts)
    assert all("compare source text" in g.details["error"] for g in verdicts)


def test_testing_cheat_that_forges_outcomes_per_variant_is_void():
    task = TESTING[0]
    # Reports everything passed on the reference and failed elsewhere, whatever ran.
    cheat = ('```python\nimport __main__, os\n_real = __main__.run_item\n\n\n'
             'def _fake(item, *a, **k):\n'
             '    here = os.path.basename(os.getcwd())\n'
             '    return ("passed", "") if here == "v0" else ("failed", "forged")\n\n\n'
             '__main__.run_item = _fake\n\n\ndef test_anything():\n    assert True\n```')
    g = grade(task, cheat)
    assert not g.passed and g.integrity == "void"


def test_canaries_are_removed_from_counts():
    source, must_fail, must_pass = canary_tests()
    assert must_fail != must_pass and must_fail in source
    res = run_tests("def test_one():\n    assert 1 == 1\n", {"x": {"m.py": ""}})
    v = res.variants[0]
    assert (v["total"], v["passed"], v["failed"]) == (1, 1, 0) and res.integrity == "ok"
    assert [t["name"] for t in v["tests"]] == ["test_one"]


def test_canary_verdicts():
    base = {"completed": True, "collection_error": None, "passed": 2, "failed": 1, "total": 3}

    def variant(fail_outcome, pass_outcome):
        return {**base, "tests": [{"name": "t", "outcome": "passed"},
                                  {"name": "f", "outcome": fail_outcome},
                                  {"name": "p", "outcome": pass_outcome}]}

    assert _check_canaries(variant("failed", "passed"), "f", "p") == "ok"
    assert _check_canaries(variant("passed", "passed"), "f", "p") == "void"
    assert _check_canaries(variant("failed", "failed"), "f", "p") == "void"
    cut_short = {**variant("failed", "passed"), "completed": False, "tests": []}
    assert _check_canaries(cut_short, "f", "p") == "unverified"
