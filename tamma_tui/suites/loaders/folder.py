"""Task folders: ``<task-id>/task.yaml`` plus files/, answers/, hidden/, mutants/.

A suite folder holds task folders at any depth (``<context>/<task-id>/`` in the built-in
suites, flat in many user folders) and, optionally, JSONL files at its top level.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import MappingProxyType
from typing import Any

from tamma_tui.config.errors import BadInput
from tamma_tui.config.loader import read_mapping
from tamma_tui.suites.model import REVIEW_CATEGORIES, SEVERITIES, Answer, Suite, Task

from ._common import Fields, is_jsonl, read_text
from .jsonl import load_jsonl_tasks
from .match_spec import match_grader

TASK_FILE = "task.yaml"
SUITE_FILE = "suite.yaml"
REFERENCE_LABEL = "reference"
TASK_KEYS = ("id", "context", "title", "difficulty", "prompt", "grader", "tags")
GRADER_KEYS = {
    "development": ("kind", "module", "tests"),
    "code_review": ("kind", "defects", "precision_threshold"),
    "testing": ("kind", "module", "reference", "mutants", "kill_threshold"),
    "match": ("kind", "expected", "mode"),
}
DEFECT_KEYS = ("lines", "category", "severity", "description", "file")


def _confined(path: Path, task_dir: Path) -> Path:
    """`path`, refused when it (a symlink, or through a symlinked folder) resolves outside
    the task folder: a link to /etc/shadow would otherwise end up in the prompt."""
    if not path.resolve().is_relative_to(task_dir.resolve()):
        raise BadInput("resolves outside the task folder (symlink); refusing to read it",
                       file=path, field="files")
    return path


def _read_tree(folder: Path, task_dir: Path) -> dict[str, str]:
    """All text files under ``folder`` keyed by their POSIX path relative to it."""
    out: dict[str, str] = {}
    if not folder.is_dir():
        return out
    _confined(folder, task_dir)
    found = []
    for current, dirs, files in os.walk(folder):  # does not descend into symlinked folders
        base = Path(current)
        for name in dirs:
            if (base / name).is_symlink():  # refused if it leads out; never followed
                _confined(base / name, task_dir)
        found.extend(base / name for name in files)
    for path in sorted(found):
        if "__pycache__" in path.parts or path.suffix == ".pyc" or not path.is_file():
            continue
        out[path.relative_to(folder).as_posix()] = read_text(_confined(path, task_dir))
    return out


def _inside(task_dir: Path, rel: str, fields: Fields, name: str) -> Path:
    """Resolve a path from task.yaml, refusing anything that escapes the task folder."""
    path = (task_dir / rel).resolve()
    if not path.is_relative_to(task_dir.resolve()):
        raise fields.fail(name, f"path {rel!r} points outside the task folder")
    return path


def load_answers(task_dir: Path) -> tuple[Answer, ...]:
    """answers/reference.md is the correct reply; every other file is a wrong one whose
    label is its file stem. Reference first, then wrong answers in name order."""
    folder = task_dir / "answers"
    if not folder.is_dir():
        return ()
    answers: list[Answer] = []
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        label = path.stem
        answers.append(Answer(label=label, text=read_text(_confined(path, task_dir)),
                              correct=label == REFERENCE_LABEL))
    answers.sort(key=lambda a: not a.correct)
    return tuple(answers)


def _development(spec: Fields, task_dir: Path) -> dict[str, Any]:
    module = spec.string("module", "solution.py")
    tests_rel = spec.string("tests", "hidden/test_hidden.py")
    tests = read_text(_inside(task_dir, tests_rel, spec, "tests"), field="grader.tests")
    return {"kind": "development", "module": module, "tests": tests}


def _code_review(spec: Fields) -> dict[str, Any]:
    raw = spec.data.get("defects")
    if not isinstance(raw, list) or not raw:
        raise spec.fail("defects", "must be a non-empty list of planted defects")
    defects = []
    for i, item in enumerate(raw):
        where = f"defects[{i}]"
        if not isinstance(item, dict):
            raise spec.fail(where, "must be a mapping")
        d = Fields(item, spec.file, f"{spec.where}.{where}" if spec.where else where)
        d.only(DEFECT_KEYS)
        lines = item.get("lines")
        if (not isinstance(lines, list) or len(lines) not in (1, 2)
                or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in lines)):
            raise d.fail("lines", f"must be [first, last] line numbers (positive integers), got {lines!r}")
        first, last = lines[0], lines[-1]
        if last < first:
            raise d.fail("lines", f"last line {last} comes before first line {first}")
        defect = {
            "lines": [first, last],
            "category": d.choice("category", REVIEW_CATEGORIES),
            "severity": d.choice("severity", SEVERITIES),
            "description": d.string("description", ""),
        }
        if "file" in item:
            defect["file"] = d.string("file")
        defects.append(defect)
    return {
        "kind": "code_review",
        "defects": defects,
        "precision_threshold": spec.number("precision_threshold", 0.5),
    }


def _testing(spec: Fields, task_dir: Path) -> dict[str, Any]:
    module = spec.string("module")
    if not module.endswith(".py"):
        raise spec.fail("module", f"must be a Python file name such as util.py, got {module!r}")
    ref_rel = spec.string("reference", f"files/{module}")
    reference = read_text(_inside(task_dir, ref_rel, spec, "reference"), field="grader.reference")
    mutants_rel = spec.string("mutants", "mutants/")
    mutants_dir = _inside(task_dir, mutants_rel, spec, "mutants")
    if not mutants_dir.is_dir():
        raise spec.fail("mutants", f"folder {mutants_rel!r} not found")
    mutants = {p.stem: read_text(_confined(p, task_dir)) for p in sorted(mutants_dir.glob("*.py"))}
    if not mutants:
        raise spec.fail("mutants", f"folder {mutants_rel!r} holds no mutant (.py) files")
    return {
        "kind": "testing",
        "module": module,
        "reference": reference,
        "mutants": mutants,
        "kill_threshold": spec.number("kill_threshold", 0.75),
    }


def load_task_folder(task_dir: Path, suite_id: str = "") -> Task:
    """Read one task folder into a Task with every referenced file in memory."""
    task_file = _confined(task_dir / TASK_FILE, task_dir)
    data = read_mapping(task_file)
    fields = Fields(data, task_file)
    fields.only(TASK_KEYS)
    task_id = fields.string("id", task_dir.name)
    context = fields.context()
    raw_grader = data.get("grader")
    if not isinstance(raw_grader, dict):
        raise fields.fail("grader", "required mapping is missing" if raw_grader is None
                          else f"must be a mapping, got {type(raw_grader).__name__}")
    spec = Fields(raw_grader, task_file, "grader")
    kind = spec.choice("kind", tuple(GRADER_KEYS))
    spec.only(GRADER_KEYS[kind])
    if kind == "development":
        grader = _development(spec, task_dir)
    elif kind == "code_review":
        grader = _code_review(spec)
    elif kind == "testing":
        grader = _testing(spec, task_dir)
    else:
        grader = match_grader(spec)
    return Task(
        id=task_id,
        context=context,
        prompt=fields.string("prompt"),
        grader=grader,
        suite=suite_id,
        title=fields.string("title", task_id),
        difficulty=fields.difficulty(),
        files=MappingProxyType(_read_tree(task_dir / "files", task_dir)),
        answers=load_answers(task_dir),
    )


def find_task_folders(root: Path) -> list[Path]:
    """Folders holding a task.yaml, at any depth; a task folder's own subfolders are not
    searched (its files/ may hold anything)."""
    found: list[Path] = []
    for current, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
        if TASK_FILE in files:
            found.append(Path(current))
            dirs[:] = []
    return sorted(found)


def suite_metadata(root: Path) -> tuple[str, str]:
    """(id, description) from suite.yaml when present, else the folder's name."""
    meta_file = root / SUITE_FILE
    if not meta_file.is_file():
        return root.name, ""
    fields = Fields(read_mapping(meta_file), meta_file)
    return fields.string("id", root.name), fields.string("description", "", allow_empty=True).strip()


def load_folder_suite(root: Path) -> Suite:
    """A folder of task folders (nested or flat) plus any JSONL task files at its top."""
    root = Path(root)
    if not root.is_dir():
        raise BadInput("folder not found", file=root, field="suite")
    suite_id, description = suite_metadata(root)
    tasks: list[Task] = []
    origins: dict[str, Path] = {}  # task id -> the file that defined it
    sources = [(d / TASK_FILE, [load_task_folder(d, suite_id)]) for d in find_task_folders(root)]
    sources += [(f, load_jsonl_tasks(f, suite_id)) for f in sorted(root.iterdir())
                if f.is_file() and is_jsonl(f)]
    for source, loaded in sources:
        for task in loaded:
            if task.id in origins:
                raise BadInput(f"duplicate task id {task.id!r} (also defined in {origins[task.id]})",
                               file=source, field="id")
            origins[task.id] = source
            tasks.append(task)
    if not tasks:
        raise BadInput("no tasks found (expected task folders with a task.yaml, or .jsonl files)",
                       file=root, field="suite")
    return Suite(id=suite_id, tasks=tuple(tasks), description=description, source=str(root))
