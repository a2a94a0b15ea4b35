"""The aggregator: envelope checks, one record per cohort, DP releases, budget, cache."""

from __future__ import annotations

import copy
import math
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import numpy as np
import pytest

pytest.importorskip("opendp", reason="the share-server needs OpenDP (pip install 'tamma-bench[server]')")

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from tamma_tui.sharing.insights import standing  # noqa: E402
from tamma_tui.sharing.server import dp  # noqa: E402
from tamma_tui.sharing.server.aggregator import Aggregator, Settings  # noqa: E402
from tamma_tui.sharing.server.verify import Rejected  # noqa: E402
from tamma_tui.sharing.signing import InstallKey  # noqa: E402
from tamma_tui.sharing.wire import BUNDLE_SCHEMA, KIND_BUNDLE, KIND_DELETION  # noqa: E402
from tamma_tui.store.share_server import ShareServerStore  # noqa: E402

from .helpers import share_server  # noqa: E402


def new_key() -> InstallKey:
    return InstallKey(uuid.uuid4().hex, Ed25519PrivateKey.generate())


def bundle(rate: float, *, context="development", family="qwen", suite="tamma-core") -> dict:
    return {"kind": KIND_BUNDLE, "bundle": {
        "schema": BUNDLE_SCHEMA, "tool_version": "0.1.0", "suite": {"id": suite, "version": "abc"},
        "run_day": "2026-12-01",
        "configs": [{"config": uuid.uuid4().hex, "model_family": family, "model_size": "4-9B",
                     "contexts": {context: {"pass_rate": round(rate, 2)}}}]}}


def post(server, envelope) -> httpx.Response:
    return httpx.post(server.url + "/v1/envelopes", json=envelope, timeout=5)


def test_tampering_replay_stale_future_and_key_substitution_are_rejected(tmp_path):
    with share_server(tmp_path / "srv.db") as server:
        key = new_key()
        good = key.seal(bundle(0.5))
        assert post(server, good).status_code == 200
        assert post(server, good).json()["code"] == "replay"

        tampered = key.seal(bundle(0.5))
        tampered["payload"]["bundle"]["configs"][0]["contexts"]["development"]["pass_rate"] = 0.99
        r = post(server, tampered)
        assert (r.status_code, r.json()["code"]) == (401, "signature")

        now = datetime.now(timezone.utc)
        r = post(server, key.seal(bundle(0.5), now=now - timedelta(days=7, minutes=1)))
        assert r.json()["code"] == "stale"
        r = post(server, key.seal(bundle(0.5), now=now + timedelta(minutes=6)))
        assert r.json()["code"] == "future"
        assert post(server, key.seal(bundle(0.5), now=now + timedelta(minutes=4))).status_code == 200

        intruder = InstallKey(key.key_id, Ed25519PrivateKey.generate())  # same id, own key
        r = post(server, intruder.seal({"kind": KIND_DELETION}))
        assert (r.status_code, r.json()["code"]) == (403, "key_substitution")
        swapped = copy.deepcopy(key.seal(bundle(0.5)))
        swapped["public_key"] = intruder.public_key
        assert post(server, swapped).status_code == 401

        leaky = bundle(0.5)
        leaky["bundle"]["configs"][0]["system_prompt"] = "secret"
        r = post(server, key.seal(leaky))
        assert (r.status_code, r.json()["code"]) == (422, "bundle")
        assert post(server, key.seal(bundle(0.5, suite="acme-private"))).status_code == 422
        # Only the two good bundles are stored, as one record (one per contributor and cohort).
        assert len(server.aggregator.store.contributions("tamma-core")) == 1


def _aggregator(tmp_path, **settings) -> Aggregator:
    return Aggregator(ShareServerStore(tmp_path / "agg.db"), Settings(**settings))


def _contribute(agg: Aggregator, rates, **kw) -> None:
    for rate in rates:
        agg.receive(new_key().seal(bundle(float(rate), **kw)))


def test_tau_follows_the_formula():
    for eps in (0.1, 0.5, 1.0, 2.0):
        assert dp.tau(eps) == 10 + math.ceil(math.log(1 / (2 * 1e-3)) / eps)
    assert dp.tau(0.5) == 23 and Settings(eps_count=1.0).tau == 17


def test_a_small_cohort_is_always_suppressed_and_still_charged(tmp_path):
    agg = _aggregator(tmp_path, budget_per_suite_year=1000.0)
    _contribute(agg, [0.5] * 9)  # below k
    for i in range(60):
        _contribute(agg, [0.5], family=f"f{i % 2}x")  # change the data: forces fresh releases
        release = agg.aggregates("tamma-core")
        assert all(c["model_family"] != "qwen" for c in release["cohorts"])
    ledger = agg.store.ledger("tamma-core")
    qwen = [row for row in ledger if row["cohort"] == "development/qwen"]
    assert len(qwen) == 60 and not any(row["published"] for row in qwen)
    assert all(row["epsilon"] == 1.0 for row in qwen)


def test_budget_cap_holds_and_re_releases_come_from_the_cache(tmp_path):
    agg = _aggregator(tmp_path, budget_per_suite_year=3.0)  # three one-cohort releases
    _contribute(agg, np.linspace(0.1, 0.9, 40))
    first = agg.aggregates("tamma-core")
    again = agg.aggregates("tamma-core")
    assert first["cached"] is False and again["cached"] is True
    assert again["release_id"] == first["release_id"] and again["cohorts"] == first["cohorts"]
    assert agg.store.spent("tamma-core", datetime.now(timezone.utc).year) == 1.0
    for _ in range(2):
        _contribute(agg, [0.5])
        assert agg.aggregates("tamma-core")["cached"] is False
    _contribute(agg, [0.5])
    capped = agg.aggregates("tamma-core")
    assert capped["cached"] is True and capped["budget_exhausted"] is True
    assert agg.store.spent("tamma-core", datetime.now(timezone.utc).year) == 3.0
    with pytest.raises(Exception, match="append-only"):
        with agg.store.engine.begin() as conn:
            from sqlalchemy import text

            conn.execute(text("DELETE FROM budget_ledger"))


def test_budget_exhausted_with_nothing_cached_is_refused(tmp_path):
    agg = _aggregator(tmp_path, budget_per_suite_year=0.5)
    _contribute(agg, [0.5] * 3)
    with pytest.raises(Rejected) as exc:
        agg.aggregates("tamma-core")
    assert exc.value.status == 429


def test_empirical_dp_ratio_on_neighbouring_datasets():
    """P(M(D) = v) / P(M(D') = v) <= e^eps for D, D' differing in one contributor."""
    eps = 0.5
    draws = 6000  # OpenDP calls cost ~0.15 ms each; this keeps the test near 4 s
    small = [0.5] * 30
    large = small + [0.5]
    count = dp.count_measurement(eps)
    a = np.array([count(small) for _ in range(draws)])
    b = np.array([count(large) for _ in range(draws)])
    hist = dp.histogram_measurement(eps)
    ha = np.array([hist(small)[10] for _ in range(draws)])
    hb = np.array([hist(large)[10] for _ in range(draws)])
    bound = math.exp(eps)
    checked = 0
    for x, y in ((a, b), (ha, hb)):
        for v in range(int(np.median(x)) - 4, int(np.median(x)) + 5):
            pa, pb = np.mean(x == v), np.mean(y == v)
            if min(pa, pb) * draws < 300:  # too few draws to estimate the ratio
                continue
            checked += 1
            # 3 standard errors of the log ratio as the sampling allowance
            slack = 3 * math.sqrt(1 / (pa * draws) + 1 / (pb * draws))
            assert max(pa / pb, pb / pa) <= bound * math.exp(slack)
        # the mechanism is not trivially noise-free: outputs spread over several values
        assert len(np.unique(x)) > 5
    assert checked >= 6


def test_500_contributors_percentile_within_5_points_of_truth(tmp_path):
    rng = np.random.default_rng(7)
    rates = np.round(rng.beta(5, 3, 500), 2)
    agg = _aggregator(tmp_path)
    _contribute(agg, rates)
    release = agg.aggregates("tamma-core")
    (cohort,) = release["cohorts"]
    assert abs(cohort["noisy_count"] - 500) < 30
    for mine in (0.35, 0.5, 0.62, 0.8, 0.9):
        truth = 100 * (np.mean(rates < mine) + 0.5 * np.mean(rates == mine))
        got = standing(mine, cohort["histogram"], release["noise_scale"]["histogram"], cohort["noisy_count"])
        assert abs(got.percentile - truth) <= 5, (mine, got, truth)
        assert got.low <= got.percentile <= got.high and got.high - got.low < 15


def test_deletion_removes_the_contributor_everywhere(tmp_path):
    agg = _aggregator(tmp_path)
    key = new_key()
    agg.receive(key.seal(bundle(0.4)))
    agg.receive(key.seal(bundle(0.6, context="testing")))
    agg.receive(key.seal(bundle(0.7)))  # replaces the development record
    assert sorted(r["pass_rate"] for r in agg.store.contributions("tamma-core")) == [0.6, 0.7]
    result = agg.receive(key.seal({"kind": KIND_DELETION, "consent_id": str(uuid.uuid4())}))
    assert result["records"] == 2 and agg.store.contributions("tamma-core") == []


def test_the_server_imports_nothing_above_it():
    """sharing/server/ may use the wire format, its store, the vocabulary and itself only."""
    import ast
    from pathlib import Path

    allowed = ("tamma_tui.sharing.wire", "tamma_tui.sharing.server", "tamma_tui.store.share_server",
               "tamma_tui.vocabulary", "tamma_tui.errors")
    root = Path(__file__).resolve().parents[2] / "tamma_tui" / "sharing" / "server"
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                if node.level:  # relative: ..wire or .x
                    target = ("tamma_tui.sharing." if node.level == 2 else "tamma_tui.sharing.server.") + (node.module or "")
                else:
                    target = node.module or ""
                names = [target]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                if name.startswith("tamma_tui"):
                    assert name.startswith(allowed), f"{path.name} imports {name}"


def test_the_standing_interval_covers_the_truth_under_the_published_noise():
    """Publish the same cohort 200 times with fresh discrete-Laplace noise; the 95% interval
    should hold the true percentile in (nearly) all of them."""
    from tamma_tui.sharing.insights import discrete_laplace
    from tamma_tui.sharing.wire import bin_index

    rng = np.random.default_rng(11)
    rates = np.round(rng.beta(2, 2, 40), 2)  # a small cohort: the noise matters
    counts = np.bincount([bin_index(r) for r in rates], minlength=20)
    mine = 0.55
    truth = 100 * (np.mean(rates < mine) + 0.5 * np.mean(rates == mine))
    hits, widths = 0, []
    for trial in range(200):
        noisy = counts + discrete_laplace(rng, 2.0, 20)
        s = standing(mine, noisy.tolist(), 2.0, 40, draws=1000, seed=trial)
        hits += s.low <= truth <= s.high
        widths.append(s.high - s.low)
    assert hits >= 180 and np.mean(widths) < 50  # covers, without being vacuous
