"""Issue 11 §6 and issue 10: suite loaders refuse escapes and bad input in one line;
.jsonl.gz suites load; hypothesis fuzzing never gets a traceback out of a loader."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_loaders import dev_task

from tamma_tui.errors import BadInput
from tamma_tui.suites import registry
from tamma_tui.suites.loaders import load_folder_suite
from tamma_tui.suites.loaders.folder import load_task_folder
from tamma_tui.suites.loaders.jsonl import load_jsonl_suite
from tamma_tui.suites.version import suite_version

MATCH = {"id": "m1", "context": "development", "prompt": "Say hi", "expected": "hi"}


def _secret_outside(tmp_path: Path) -> Path:
    secret = tmp_path / "outside" / "shadow"
    secret.parent.mkdir()
    secret.write_text("root:$6$secret-hash:19000:0:99999:7:::\n")
    return secret


def test_symlinked_task_file_outside_the_folder_is_refused(tmp_path):
    secret = _secret_outside(tmp_path)
    task = dev_task(tmp_path / "suite" / "add")
    os.symlink(secret, task / "files" / "shadow")
    with pytest.raises(BadInput) as err:
        load_task_folder(task)
    assert "outside the task folder" in str(err.value) and "secret-hash" not in str(err.value)


def test_symlinked_folder_outside_is_refused(tmp_path):
    secret = _secret_outside(tmp_path)
    task = dev_task(tmp_path / "suite" / "add")
    os.symlink(secret.parent, task / "files" / "etc")
    with pytest.raises(BadInput, match="outside the task folder"):
        load_task_folder(task)


def test_symlinked_answer_and_files_folder_are_refused(tmp_path):
    secret = _secret_outside(tmp_path)
    task = dev_task(tmp_path / "suite" / "add")
    os.symlink(secret, task / "answers" / "leak.md")
    with pytest.raises(BadInput, match="outside the task folder"):
        load_task_folder(task)
    os.unlink(task / "answers" / "leak.md")
    os.rename(task / "files", task / "files.old")
    os.symlink(secret.parent, task / "files")
    with pytest.raises(BadInput, match="outside the task folder"):
        load_task_folder(task)


def test_symlink_inside_the_task_folder_is_fine(tmp_path):
    task = dev_task(tmp_path / "suite" / "add")
    os.symlink(task / "files" / "notes" / "README.md", task / "files" / "alias.md")
    assert load_task_folder(task).files["alias.md"] == "context file\n"


def test_jsonl_gz_suite_loads_and_has_a_version(tmp_path):
    plain = tmp_path / "tasks.jsonl"
    plain.write_text(json.dumps(MATCH) + "\n")
    packed = tmp_path / "packed" / "tasks.jsonl.gz"
    packed.parent.mkdir()
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    suite = registry.load_suite(str(packed))
    assert suite.id == "tasks" and [t.id for t in suite.tasks] == ["m1"]
    assert len(suite_version(suite)) == 64
    # Also picked up at the top of a folder suite.
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "more.jsonl.gz").write_bytes(packed.read_bytes())
    assert [t.id for t in load_folder_suite(folder).tasks] == ["m1"]


def test_gzip_bomb_and_garbage_gz_are_one_line(tmp_path, monkeypatch):
    from tamma_tui.suites.loaders import _common

    bomb = tmp_path / "bomb.jsonl.gz"
    bomb.write_bytes(gzip.compress(b"\n" * (2 << 20)))
    monkeypatch.setattr(_common, "MAX_GZIP_BYTES", 1 << 20)
    with pytest.raises(BadInput, match="decompresses to more than"):
        load_jsonl_suite(bomb)
    junk = tmp_path / "junk.jsonl.gz"
    junk.write_bytes(b"not gzip at all")
    with pytest.raises(BadInput, match="gzip"):
        load_jsonl_suite(junk)


def test_deeply_nested_jsonl_record_is_one_line(tmp_path):
    path = tmp_path / "deep.jsonl"
    path.write_text('{"id": "x", "expected": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    with pytest.raises(BadInput) as err:
        load_jsonl_suite(path)
    assert "line 1" in str(err.value)


_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10)
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=12)
_records = st.fixed_dictionaries({}, optional={
    k: _values | st.sampled_from(["development", "code_review", "testing", "exact", "regex",
                                  "contains", "(", "hi"])
    for k in ("id", "context", "prompt", "expected", "match", "mode", "answers", "title",
              "difficulty", "task_id", "canonical_solution", "test", "entry_point")})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(_records | _values, min_size=0, max_size=4))
def test_fuzz_jsonl_loader(tmp_path, lines):
    path = tmp_path / "fuzz.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    try:
        load_jsonl_suite(path)
    except BadInput as exc:
        assert "\n" not in str(exc)


_task_yaml = st.fixed_dictionaries({}, optional={
    "id": _values, "context": st.sampled_from(["development", "testing", "code_review", "x"]),
    "prompt": _values, "title": _values, "difficulty": _values, "tags": _values,
    "grader": st.fixed_dictionaries({"kind": st.sampled_from(
        ["development", "testing", "code_review", "match", "nope"])},
        optional={k: _values for k in ("module", "tests", "defects", "expected", "mode",
                                       "reference", "mutants", "kill_threshold",
                                       "precision_threshold")}) | _values})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=_task_yaml)
def test_fuzz_task_folder_loader(tmp_path, data):
    folder = tmp_path / "t"
    folder.mkdir(exist_ok=True)
    (folder / "task.yaml").write_text(json.dumps(data), encoding="utf-8")
    try:
        load_task_folder(folder)
    except BadInput as exc:
        assert "\n" not in str(exc)
