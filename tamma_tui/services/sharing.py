"""Sharing use cases, shared by the CLI and the app: preview, consent, send, withdraw,
and community insights."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timezone
from typing import TYPE_CHECKING, Any, Sequence

import yaml

from tamma_tui.errors import OperationFailed, Refused
from tamma_tui.sharing import consent as consent_mod
from tamma_tui.sharing import queue as queue_mod
from tamma_tui.sharing.audit import record_event
from tamma_tui.sharing.bundle import ArmInput, ContextStats, build_bundle, describe
from tamma_tui.sharing.client import get_json, post_envelope
from tamma_tui.sharing.families import model_family
from tamma_tui.sharing.public_suites import PUBLIC_BUILTIN_IDS, documented_suites, resolve_public_suite
from tamma_tui.sharing.pseudonyms import config_pseudonym
from tamma_tui.sharing.wire import KIND_BUNDLE, KIND_DELETION
from tamma_tui.store.queries import arm_configs, load_trials_frame
from tamma_tui.store.repo import get_run
from tamma_tui.store.sharing_queries import config_documents, runs_on_suite
from tamma_tui.vocabulary import CONTEXTS, RunStatus, TrialStatus

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

ENVELOPES_PATH = "/v1/envelopes"
AGGREGATES_PATH = "/v1/aggregates"


def public_suite_ids() -> list[str]:
    return list(PUBLIC_BUILTIN_IDS) + sorted(set(documented_suites().values()))


@dataclass(frozen=True)
class Preview:
    run_id: int
    bundle: dict[str, Any]
    rows: list[tuple[str, Any, str]]
    arm_pseudonyms: dict[str, str]  # local arm name -> pseudonym; shown locally, never sent


@dataclass
class SendReport:
    run_id: int
    endpoint: str
    envelope_id: str
    status: int
    attempts: int
    records: int
    retries: list[str] = field(default_factory=list)


def _mean(values) -> float | None:
    v = float(values.mean()) if len(values) else math.nan
    return None if math.isnan(v) else v


def _arm_inputs(engine: Engine, run_id: int) -> list[tuple[str, ArmInput]]:
    frame = load_trials_frame(engine, run_id, columns=[
        "arm", "context", "status", "passed", "score", "latency_s", "cost_usd",
        "prompt_tokens", "completion_tokens"])
    arms = arm_configs(engine, run_id)
    docs = config_documents(engine, [a["config_sha256"] for a in arms if a["config_sha256"]])
    out: list[tuple[str, ArmInput]] = []
    for arm in arms:
        doc = docs.get(arm["config_sha256"] or "")
        if doc is None:  # an imported run knows no config: nothing to name it by
            continue
        canonical = yaml.safe_load(doc) or {}
        rows = frame[(frame["arm"] == arm["name"]) & (frame["status"] != TrialStatus.CANCELLED)]
        contexts: dict[str, ContextStats] = {}
        for ctx, part in rows.groupby("context", observed=True):
            ok = part[part["status"] == TrialStatus.OK]
            graded = part["passed"].dropna()
            median = float(ok["latency_s"].median()) if len(ok) else math.nan
            contexts[str(ctx)] = ContextStats(
                n_trials=len(part), pass_rate=_mean(graded), score=_mean(part["score"].dropna()),
                error_rate=float((part["status"] != TrialStatus.OK).mean()),
                latency_median_s=None if math.isnan(median) else median,
                cost_per_trial_usd=_mean(part["cost_usd"].dropna()),
                prompt_tokens_mean=_mean(ok["prompt_tokens"].dropna()),
                completion_tokens_mean=_mean(ok["completion_tokens"].dropna()))
        out.append((arm["name"], ArmInput(canonical, arm["model"] or canonical.get("model", ""), contexts)))
    return out


def build(engine: Engine, run_ref: int | str, fields: Sequence[str] | None = None) -> Preview:
    run = get_run(engine, run_ref)
    suite = resolve_public_suite(run.suite)
    arms = _arm_inputs(engine, int(run.id))
    if not arms:
        raise Refused(f"run {run.id} has no arm with a stored config; nothing to share", field="RUN")
    created = run.created_at if run.created_at.tzinfo else run.created_at.replace(tzinfo=timezone.utc)
    bundle = build_bundle(suite=suite, run_created=created.astimezone(timezone.utc),
                          arms=[a for _, a in arms], fields=fields)
    names = {name: config_pseudonym(dict(arm.canonical_config)) for name, arm in arms}
    return Preview(int(run.id), bundle, describe(bundle), names)


def preview(engine: Engine, run_ref: int | str, fields: Sequence[str] | None = None) -> Preview:
    """Exactly what would leave the machine. Needs no consent: nothing is sent."""
    return build(engine, run_ref, fields)


def grant_consent(*, endpoint: str, suites: Sequence[str], fields: Sequence[str], method: str,
                  db: Engine | None = None):
    record = consent_mod.grant(endpoint=endpoint, suites=suites, fields=fields, method=method,
                               public_ids=public_suite_ids())
    record_event("consent.grant", record.id, db=db, endpoint=record.endpoint, suites=list(record.suites),
                 fields=list(record.fields), method=record.method, policy_hash=record.policy_hash,
                 expires_at=record.expires_at)
    return record


def show_consent():
    return consent_mod.load()


def send(engine: Engine, run_ref: int | str, to: str, *, attempts: int = 3,
         backoff_s: float = 0.25) -> SendReport:
    from tamma_tui.sharing.signing import install_key

    endpoint = consent_mod.normalise_endpoint(to)
    run = get_run(engine, run_ref)
    if run.status == RunStatus.RUNNING:
        raise Refused(f"run {run.id} is still running; send it once it has finished", field="RUN")
    suite = resolve_public_suite(run.suite)
    record = consent_mod.require(endpoint, suite.id)  # gate 1: at bundle build
    bundle = build(engine, run.id, record.fields).bundle
    queued = queue_mod.enqueue(endpoint, bundle)
    key = install_key()
    sealed: list[dict[str, Any]] = []

    def seal() -> dict[str, Any]:
        sealed.append(key.seal({"kind": KIND_BUNDLE, "bundle": bundle}))
        return sealed[-1]

    def gate() -> None:  # gate 2: before every attempt, retries included
        consent_mod.require(endpoint, suite.id)

    try:
        result = post_envelope(endpoint + ENVELOPES_PATH, seal, gate, attempts=attempts, backoff_s=backoff_s)
    except (OperationFailed, Refused) as exc:
        record_event("share.send_failed", f"run {run.id}", db=engine, endpoint=endpoint, suite=suite.id,
                     consent_id=record.id, attempts=len(sealed), reason=str(exc)[:300])
        raise
    queued.unlink(missing_ok=True)
    envelope_id = sealed[-1]["payload"]["envelope_id"]
    record_event("share.send", f"run {run.id}", db=engine, endpoint=endpoint, suite=suite.id,
                 consent_id=record.id, envelope_id=envelope_id, attempts=result.attempts,
                 configs=len(bundle["configs"]))
    return SendReport(int(run.id), endpoint, envelope_id, result.status, result.attempts,
                      int(result.body.get("records", 0)), result.retries)


@dataclass
class RevokeReport:
    consent_id: str | None
    purged: int
    deletion: str  # what happened to the deletion request
    delivered: bool = True


def revoke_consent(*, attempts: int = 3, backoff_s: float = 0.25, db: Engine | None = None) -> RevokeReport:
    """Revoke, purge queued bundles, and ask the endpoint to delete what it holds. The
    deletion request is the one message the kill switch lets through."""
    from tamma_tui.sharing.signing import install_key

    record = consent_mod.load()
    if record is None:
        raise Refused("no consent to revoke", field="consent")
    revoked = consent_mod.revoke()
    purged = queue_mod.purge()
    key = install_key()
    try:
        result = post_envelope(record.endpoint + ENVELOPES_PATH,
                               lambda: key.seal({"kind": KIND_DELETION, "consent_id": record.id}),
                               lambda: None, attempts=attempts, backoff_s=backoff_s)
        deletion = f"deleted {result.body.get('records', 0)} record(s) at {record.endpoint}"
        delivered = True
    except OperationFailed as exc:
        deletion = f"deletion request not delivered ({exc}); run `consent revoke` again to retry"
        delivered = False
    record_event("consent.revoke", record.id, db=db, endpoint=record.endpoint, purged=purged,
                 revoked_at=revoked.revoked_at if revoked else None, deletion=deletion)
    return RevokeReport(record.id, purged, deletion, delivered)


def fetch_aggregates(url: str, suite: str) -> dict[str, Any]:
    base = consent_mod.normalise_endpoint(url)
    return get_json(base + AGGREGATES_PATH, {"suite": suite})


@dataclass(frozen=True)
class InsightRow:
    arm: str  # local name, shown here only
    config: str  # pseudonym
    run_id: int
    context: str
    model_family: str
    pass_rate: float
    percentile: float | None
    low: float | None
    high: float | None
    cohort_size: int | None
    note: str = ""


def insights(engine: Engine, suite: str, url: str, *, release: dict[str, Any] | None = None) -> tuple[dict[str, Any], list[InsightRow]]:
    """Each of your configs' standing per context, from your newest run of each config."""
    from tamma_tui.sharing.insights import standing

    release = release if release is not None else fetch_aggregates(url, suite)
    cohorts = {(c["context"], c["model_family"]): c for c in release.get("cohorts", [])}
    rows: list[InsightRow] = []
    seen: set[tuple[str, str]] = set()
    for run_id in runs_on_suite(engine, suite):
        for arm_name, arm in _arm_inputs(engine, run_id):
            pseudonym = config_pseudonym(dict(arm.canonical_config))
            family = model_family(arm.model)
            for ctx in CONTEXTS:
                stats = arm.contexts.get(ctx)
                if stats is None or (pseudonym, ctx) in seen or stats.pass_rate is None:
                    continue
                seen.add((pseudonym, ctx))
                rate = round(stats.pass_rate, 2)
                cohort = cohorts.get((ctx, family))
                if cohort is None:
                    rows.append(InsightRow(arm_name, pseudonym, run_id, ctx, family, rate, None, None,
                                           None, None, "cohort not published (too few contributors)"))
                    continue
                s = standing(rate, cohort["histogram"], release["noise_scale"]["histogram"],
                             cohort["noisy_count"])
                rows.append(InsightRow(arm_name, pseudonym, run_id, ctx, family, rate,
                                       s.percentile, s.low, s.high, s.cohort_size))
    return release, rows
