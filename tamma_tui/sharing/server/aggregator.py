"""The aggregator's use cases: receive an envelope, publish a suite's aggregates.

Bundles are checked against the same allowlist the client builds them by: an unknown key
anywhere is refused, so a client that leaks is stopped here too. One record is kept per
(contributor, suite, context, model family): a new bundle replaces the contributor's
record, and a deletion request removes them all.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Sequence

from tamma_tui.store.share_server import ShareServerStore
from tamma_tui.vocabulary import CONTEXTS

from ..wire import BUNDLE_SCHEMA, HISTOGRAM_BINS, KIND_BUNDLE
from . import dp
from .verify import MAX_AGE, Rejected, verify

def _documented_ids() -> tuple[str, ...]:
    """Ids on the documented public list shipped beside the client (read as data)."""
    from pathlib import Path

    data = json.loads((Path(__file__).resolve().parents[1] / "public_suites.json").read_text("utf-8"))
    return tuple(sorted({entry["id"] for entry in data["suites"]}))


DEFAULT_SUITES = ("tamma-core", "tamma-match") + _documented_ids()
_PAYLOAD_KEYS = {"kind", "envelope_id", "sent_at", "bundle"}
_DELETION_KEYS = {"kind", "envelope_id", "sent_at", "consent_id"}
_BUNDLE_KEYS = {"schema", "tool_version", "suite", "run_day", "configs"}
_CONFIG_KEYS = {"config", "model_family", "model_size", "temperature", "tools", "contexts"}
_SUMMARY_KEYS = {"pass_rate", "score", "error_rate", "latency_s", "cost_usd", "prompt_tokens",
                 "completion_tokens", "trials"}
_TOKEN = re.compile(r"^[A-Za-z0-9<>=.+-]{1,24}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Settings:
    eps_count: float = 0.5
    eps_histogram: float = 0.5
    budget_per_suite_year: float = 20.0
    k: int = dp.K_MIN
    beta: float = dp.BETA
    suites: Sequence[str] = DEFAULT_SUITES

    @property
    def eps_per_cohort(self) -> float:
        return self.eps_count + self.eps_histogram

    @property
    def tau(self) -> int:
        return dp.tau(self.eps_count, self.k, self.beta)


def _bad(reason: str) -> Rejected:
    return Rejected(422, "bundle", reason)


def _check_bundle(bundle: Any, suites: Sequence[str]) -> list[dict[str, Any]]:
    """Allowlist validation; returns the records to keep (one per context and family)."""
    if not isinstance(bundle, dict) or set(bundle) - _BUNDLE_KEYS or set(_BUNDLE_KEYS) - set(bundle):
        raise _bad(f"a bundle has exactly the keys {sorted(_BUNDLE_KEYS)}")
    if bundle["schema"] != BUNDLE_SCHEMA:
        raise _bad(f"unsupported bundle schema {str(bundle['schema'])[:40]!r}")
    suite = bundle["suite"]
    if not isinstance(suite, dict) or set(suite) != {"id", "version"} or suite["id"] not in suites:
        raise _bad(f"suite must be one of {', '.join(suites)}")
    if not isinstance(bundle["run_day"], str) or not _DAY.match(bundle["run_day"]):
        raise _bad("run_day must be a day (YYYY-MM-DD)")
    configs = bundle["configs"]
    if not isinstance(configs, list) or not configs or len(configs) > 64:
        raise _bad("configs must be a list of 1 to 64 entries")
    per_cohort: dict[tuple[str, str], list[float]] = {}
    for cfg in configs:
        if not isinstance(cfg, dict) or set(cfg) - _CONFIG_KEYS or not {"config", "model_family", "contexts"} <= set(cfg):
            raise _bad(f"a config entry has only the keys {sorted(_CONFIG_KEYS)}")
        if not re.fullmatch(r"[0-9a-f]{32}", str(cfg["config"])):
            raise _bad("config must be a 128-bit pseudonym (32 hex digits)")
        for key in ("model_family", "model_size", "temperature", "tools"):
            if key in cfg and not (isinstance(cfg[key], str) and _TOKEN.match(cfg[key])):
                raise _bad(f"{key} must be a short bucket label")
        contexts = cfg["contexts"]
        if not isinstance(contexts, dict) or set(contexts) - set(CONTEXTS):
            raise _bad(f"contexts must be among {', '.join(CONTEXTS)}")
        for ctx, summary in contexts.items():
            if not isinstance(summary, dict) or set(summary) - _SUMMARY_KEYS:
                raise _bad(f"a context summary has only the keys {sorted(_SUMMARY_KEYS)}")
            for key, value in summary.items():
                if key == "trials":
                    if not (isinstance(value, str) and _TOKEN.match(value)):
                        raise _bad("trials must be a bucket label")
                elif value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool)):
                    raise _bad(f"{key} must be a number")
            rate = summary.get("pass_rate")
            if not isinstance(rate, (int, float)) or not 0 <= rate <= 1 or round(rate, 2) != rate:
                raise _bad("pass_rate must be in [0, 1], rounded to 0.01")
            per_cohort.setdefault((ctx, cfg["model_family"]), []).append(float(rate))
    return [{"suite": suite["id"], "context": ctx, "model_family": fam,
             "pass_rate": round(sum(rates) / len(rates), 2), "day": bundle["run_day"]}
            for (ctx, fam), rates in sorted(per_cohort.items())]


class Aggregator:
    def __init__(self, store: ShareServerStore, settings: Settings | None = None,
                 clock: Callable[[], datetime] | None = None):
        self.store = store
        self.settings = settings or Settings()
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        # One writer at a time: the replay check and the insert must not interleave.
        self._lock = threading.Lock()

    def receive(self, envelope: Any) -> dict[str, Any]:
        with self._lock:
            now = self.clock()
            checked = verify(envelope, pinned_key=self.store.pinned_key,
                             envelope_seen=self.store.envelope_seen, now=now)
            payload = checked.payload
            if checked.kind == KIND_BUNDLE:
                if set(payload) != _PAYLOAD_KEYS:
                    raise _bad(f"a bundle payload has exactly the keys {sorted(_PAYLOAD_KEYS)}")
                records = _check_bundle(payload["bundle"], self.settings.suites)
                self.store.accept(key_id=checked.key_id, public_key=checked.public_key,
                                  envelope_id=checked.envelope_id, sent_at=checked.sent_at,
                                  contributions=records)
                self.store.forget_envelopes_before(now - MAX_AGE)
                return {"accepted": True, "envelope_id": checked.envelope_id, "records": len(records)}
            if set(payload) - _DELETION_KEYS:
                raise _bad(f"a deletion payload has only the keys {sorted(_DELETION_KEYS)}")
            removed = self.store.contributor_rows(checked.key_id)
            self.store.accept(key_id=checked.key_id, public_key=checked.public_key,
                              envelope_id=checked.envelope_id, sent_at=checked.sent_at,
                              delete_contributor=True)
            return {"deleted": True, "envelope_id": checked.envelope_id, "records": removed}

    def aggregates(self, suite: str) -> dict[str, Any]:
        """The suite's current release: from the cache when the data has not changed since
        the last one (no new charge), else a fresh one charged to the ledger."""
        if suite not in self.settings.suites:
            raise Rejected(404, "suite", f"no such public suite; known: {', '.join(self.settings.suites)}")
        with self._lock:
            rows = self.store.contributions(suite)
            s = self.settings
            fingerprint = hashlib.sha256(json.dumps(
                [rows, s.eps_count, s.eps_histogram, s.k, s.beta], sort_keys=True).encode()).hexdigest()
            cached = self.store.cached_release(suite, fingerprint)
            if cached is not None:
                return {**cached, "cached": True}
            cohorts: dict[tuple[str, str], list[float]] = {}
            for row in rows:
                cohorts.setdefault((row["context"], row["model_family"]), []).append(row["pass_rate"])
            year = self.clock().year
            cost = len(cohorts) * s.eps_per_cohort
            spent = self.store.spent(suite, year)
            if spent + cost > s.budget_per_suite_year + 1e-9:
                last = self.store.cached_release(suite)
                if last is not None:
                    return {**last, "cached": True, "budget_exhausted": True}
                raise Rejected(429, "budget", f"the privacy budget of {suite} for {year} is spent")
            release_id = str(uuid.uuid4())
            published, charges = [], []
            for (ctx, fam), rates in sorted(cohorts.items()):
                count = dp.noisy_count(rates, s.eps_count)
                histogram = dp.noisy_histogram(rates, s.eps_histogram)  # charged either way
                show = count >= s.tau
                charges.append((f"{ctx}/{fam}", s.eps_per_cohort, show))
                if show:
                    published.append({"context": ctx, "model_family": fam, "noisy_count": count,
                                      "histogram": histogram})
            body = {
                "suite": suite, "release_id": release_id,
                "released_on": self.clock().date().isoformat(),
                "bins": HISTOGRAM_BINS,
                "mechanism": "discrete Laplace (OpenDP make_laplace over integers)",
                "epsilon": {"count": s.eps_count, "histogram": s.eps_histogram},
                "noise_scale": {"count": 1.0 / s.eps_count, "histogram": 1.0 / s.eps_histogram},
                "tau": s.tau, "k": s.k, "beta": s.beta,
                "cohorts": published,
            }
            self.store.record_release(suite=suite, year=year, fingerprint=fingerprint,
                                      release_id=release_id, charges=charges, body=body)
            return {**body, "cached": False}

    def budget(self, suite: str) -> dict[str, Any]:
        year = self.clock().year
        return {"suite": suite, "year": year, "cap": self.settings.budget_per_suite_year,
                "spent": self.store.spent(suite, year)}
