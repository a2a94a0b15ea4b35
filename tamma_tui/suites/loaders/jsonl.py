"""JSONL suites: match tasks and HumanEval-format tasks, detected from the first record
(the file is read and parsed once)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from tamma_tui.config.errors import BadInput
from tamma_tui.suites.model import Answer, Suite, Task

from ._common import Fields, iter_jsonl, jsonl_stem
from .match_spec import match_grader

HUMANEVAL_KEYS = frozenset({"task_id", "prompt", "canonical_solution", "test", "entry_point"})


def _task_maker(first: dict[str, Any]) -> Callable[[Fields, str], Task]:
    """HumanEval when the first record has the HumanEval keys, else match."""
    if HUMANEVAL_KEYS <= first.keys():
        from .humaneval import humaneval_task

        return humaneval_task
    return match_task


def load_jsonl_tasks(path: Path, suite_id: str) -> list[Task]:
    make_task = None
    tasks: list[Task] = []
    first_line: dict[str, int] = {}
    for number, obj in iter_jsonl(path):
        make_task = make_task or _task_maker(obj)
        task = make_task(Fields(obj, path, f"line {number}"), suite_id)
        if task.id in first_line:
            raise BadInput(f"duplicate task id {task.id!r} (first used on line {first_line[task.id]})",
                           file=path, field=f"line {number}: id")
        first_line[task.id] = number
        tasks.append(task)
    if not tasks:
        raise BadInput("no tasks in file (every line is blank)", file=path, field="suite")
    return tasks


def load_jsonl_suite(path: Path) -> Suite:
    path = Path(path)
    tasks = load_jsonl_tasks(path, jsonl_stem(path))
    return Suite(id=jsonl_stem(path), tasks=tuple(tasks), source=str(path))


def _answers(fields: Fields, grader: dict[str, Any]) -> tuple[Answer, ...]:
    """The optional ``answers`` list: objects {label, text, correct?} or plain strings
    (wrong replies). Without an explicit correct reply, the expected text is the reference
    (not for regex tasks, whose expected value is a pattern)."""
    raw = fields.data.get("answers", [])
    if not isinstance(raw, list):
        raise fields.fail("answers", f"must be a list, got {type(raw).__name__}")
    answers: list[Answer] = []
    for i, item in enumerate(raw):
        if isinstance(item, str):
            answers.append(Answer(label=f"wrong_{i + 1}", text=item, correct=False))
            continue
        if not isinstance(item, dict):
            raise fields.fail(f"answers[{i}]", "must be a string or an object {label, text}")
        a = Fields(item, fields.file, f"{fields.where}: answers[{i}]")
        label = a.string("label")
        correct = item.get("correct", label == "reference")
        if not isinstance(correct, bool):
            raise a.fail("correct", f"must be true or false, got {correct!r}")
        answers.append(Answer(label=label, text=a.string("text", allow_empty=True), correct=correct))
    if not any(a.correct for a in answers) and grader["mode"] != "regex":
        answers.insert(0, Answer(label="reference", text=grader["expected"], correct=True))
    answers.sort(key=lambda a: not a.correct)
    return tuple(answers)


def match_task(fields: Fields, suite_id: str) -> Task:
    task_id = fields.string("id")
    # `match` is the documented key for the mode; `mode` is accepted as a synonym.
    mode_key = "match" if "match" in fields.data or "mode" not in fields.data else "mode"
    grader = match_grader(fields, mode_key)
    return Task(
        id=task_id,
        context=fields.context(),
        prompt=fields.string("prompt"),
        grader=grader,
        suite=suite_id,
        title=fields.string("title", task_id),
        difficulty=fields.difficulty(),
        answers=_answers(fields, grader),
    )
