"""Suite versions: the hash of the task files, stored with each run."""

from __future__ import annotations

import shutil

from tamma_tui.services.experiments import run_experiment
from tamma_tui.store import repo
from tamma_tui.store.db import open_database
from tamma_tui.suites.registry import BUILTIN_DIR, clear_cache, load_suite
from tamma_tui.suites.version import suite_version

from tests.store.test_backends import write_experiment


def test_builtin_suites_have_distinct_stable_versions():
    core, match = load_suite("tamma-core"), load_suite("tamma-match")
    assert len(suite_version(core)) == 64
    assert suite_version(core) != suite_version(match)
    assert suite_version(core) == suite_version(load_suite("tamma-core"))


def test_editing_any_task_file_changes_the_version_and_renaming_does_not(tmp_path):
    copy = tmp_path / "core"
    shutil.copytree(BUILTIN_DIR / "tamma-core", copy, ignore=shutil.ignore_patterns("__pycache__"))
    original = suite_version(load_suite(str(copy)))
    assert original == suite_version(load_suite("tamma-core"))  # same files, same version
    renamed = tmp_path / "renamed"
    copy.rename(renamed)
    assert suite_version(load_suite(str(renamed))) == original
    hidden = next(renamed.rglob("hidden/*.py"))
    hidden.write_text(hidden.read_text() + "\n# edited\n")
    clear_cache()
    assert suite_version(load_suite(str(renamed))) != original


def test_a_run_stores_its_suite_version(tmp_path):
    out = run_experiment(write_experiment(tmp_path), db=tmp_path / "v.db")
    run = repo.get_run(open_database(tmp_path / "v.db"), out.run_id)
    assert run.suite_version == suite_version(load_suite("tamma-match"))
