"""The Ray executor on a real local cluster (a head and a worker node on 127.0.0.1).

The cluster and the runs live in a network namespace of their own with only loopback
(ray_scenarios.py), so Ray cannot use any other address of this machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def _unavailable(reason: str):
    if os.environ.get("TAMMA_REQUIRE_RAY") == "1":
        pytest.fail(f"Ray required in CI but unavailable: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def findings(tmp_path_factory):
    try:
        import ray  # noqa: F401
    except ImportError:
        _unavailable("Ray not installed (pip install 'tamma-bench[ray]')")
    if not shutil.which("unshare") or not shutil.which("ip"):
        _unavailable("needs unshare and ip to give the cluster a loopback-only network")
    if subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode != 0:
        _unavailable("cannot create a network namespace here (needs root or user namespaces)")
    work = tmp_path_factory.mktemp("ray")
    proc = subprocess.run(["unshare", "-n", sys.executable, str(HERE / "ray_scenarios.py"), str(work)],
                          capture_output=True, text=True, timeout=600)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("FINDINGS ")]
    assert proc.returncode == 0 and lines, (proc.stdout[-3000:], proc.stderr[-3000:])
    return json.loads(lines[-1].removeprefix("FINDINGS "))


def test_same_seed_gives_the_same_trials_as_the_local_executor(findings):
    assert findings["n_trials"] == 72
    assert findings["same_trials"]


def test_every_trial_records_its_worker_and_isolation(findings):
    assert findings["placed"] == findings["n_trials"]
    assert len(findings["workers"]) == 2  # spread over both workers
    assert not findings["local_has_placement"]


def test_a_worker_killed_mid_run_loses_nothing(findings):
    assert findings["killed"]
    assert findings["kill_status"] == "completed"
    assert findings["kill_trials"] == 72 and findings["kill_errors"] == 0
    assert findings["kill_same_as_local"]
    assert findings["kill_retried"] >= 1


def test_budget_holds_across_workers(findings):
    assert findings["budget_status"] == "budget_exhausted"
    assert findings["budget_trials"] < 72
    # Trials in flight when the budget ran out may finish: at most one per concurrency slot.
    assert findings["budget_cost"] <= 0.001 + 8 * findings["budget_max_trial_cost"]


def test_rate_limit_holds_across_workers(findings):
    # 600 requests a minute = 10 a second, after a one-second burst: 72 trials take >= 6.1 s.
    assert findings["rpm_trials"] == 72
    assert findings["rpm_elapsed_s"] >= (72 - 10) / 10
