"""HumanEval-format records -> development tasks graded by the development grader.

The record's ``test`` code defines ``check(candidate)``; the generated hidden test file
imports the agent's module and calls it, so no special grader kind is needed.
"""

from __future__ import annotations

from tamma_tui.suites.model import Answer, Task

from ._common import Fields

MODULE = "solution.py"


def humaneval_tests(test_code: str, entry_point: str) -> str:
    return (
        "from solution import *  # noqa: F401,F403 - the agent's module\n\n"
        f"{test_code.rstrip()}\n\n\n"
        "def test_humaneval():\n"
        f"    check({entry_point})\n"
    )


def _python_block(code: str) -> str:
    return f"```python\n{code.rstrip()}\n```\n"


def humaneval_task(fields: Fields, suite_id: str) -> Task:
    task_id = fields.string("task_id")
    prompt_code = fields.string("prompt")
    solution = fields.string("canonical_solution")
    test_code = fields.string("test")
    entry_point = fields.string("entry_point")
    if not entry_point.isidentifier():
        raise fields.fail("entry_point", f"must be a Python identifier, got {entry_point!r}")
    if "def check" not in test_code:
        raise fields.fail("test", "must define check(candidate)")
    prompt = (
        f"Complete the function `{entry_point}` below. Your module is saved as {MODULE}; "
        "keep the signature and docstring, and include any imports it needs.\n\n"
        f"```python\n{prompt_code.rstrip()}\n```"
    )
    answers = (
        Answer("reference", _python_block(prompt_code + solution), True),
        # A stub that returns None: the simplest realistic failure for the simulated agent.
        Answer("unimplemented", _python_block(prompt_code.rstrip() + "\n    pass\n"), False),
    )
    return Task(
        id=task_id,
        context="development",
        prompt=prompt,
        grader={"kind": "development", "module": MODULE,
                "tests": humaneval_tests(test_code, entry_point)},
        suite=suite_id,
        title=fields.string("title", entry_point),
        difficulty=fields.difficulty(),
        answers=answers,
    )
