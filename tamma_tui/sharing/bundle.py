"""The bundle, built by allowlist: each field is computed from the run into a fresh dict
by a named rule; nothing is copied and then scrubbed. What is not listed in ``FIELDS``
cannot leave, because no code path puts it in.

Never in a bundle: prompts, tool names or descriptions, config names, task inputs or
outputs, repo names, paths or SHAs, error messages, user or host names, keys, URLs, org
ids, seeds, per-trial rows, exact timestamps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping, Sequence

from tamma_tui import __version__
from tamma_tui.vocabulary import CONTEXTS

from .families import model_family, model_size_bucket
from .pseudonyms import config_pseudonym
from .public_suites import PublicSuite
from .wire import BUNDLE_SCHEMA


@dataclass(frozen=True)
class FieldRule:
    name: str
    rule: str


#: The consentable fields, with the rule that coarsens each. ``pass_rate`` is required to
#: send (the aggregate is a pass-rate histogram); the rest are optional.
FIELDS: dict[str, FieldRule] = {f.name: f for f in (
    FieldRule("pass_rate", "fraction of trials passed, rounded to 0.01"),
    FieldRule("score", "mean quality score, rounded to 0.01"),
    FieldRule("error_rate", "fraction of trials that errored, rounded to 0.01"),
    FieldRule("latency_s", "median latency, clamped to [1/64, 4096] s and snapped to a power of two"),
    FieldRule("cost_usd", "mean cost per trial, 0 or clamped to [2^-20, 16] $ and snapped to a power of two"),
    FieldRule("tokens", "mean prompt and completion tokens, clamped to [16, 2^20] and snapped to a power of two"),
    FieldRule("temperature", "sampling temperature, bucketed"),
    FieldRule("tool_count", "number of tools, bucketed (never their names)"),
    FieldRule("trial_count", "trials per context, bucketed"),
)}
REQUIRED_FIELDS = ("pass_rate",)
#: Always present: they define the cohort or the format, and identify nobody.
STRUCTURAL = {
    "schema": "bundle format version",
    "tool_version": "tamma-bench version",
    "suite.id": "public suite id",
    "suite.version": "first 16 hex digits of the suite's content hash",
    "run_day": "the day the run was created (UTC, day precision)",
    "configs[].config": "keyed pseudonym: HMAC-SHA256(install secret, config), 128 bits",
    "configs[].model_family": "public model family; fine-tunes are 'fine-tuned', unknown 'other'",
    "configs[].model_size": "parameter-count class stated by the model name",
}


@dataclass(frozen=True)
class ContextStats:
    """Per-context summary of one arm, computed by the service from stored trials."""

    n_trials: int
    pass_rate: float | None
    score: float | None
    error_rate: float
    latency_median_s: float | None
    cost_per_trial_usd: float | None
    prompt_tokens_mean: float | None
    completion_tokens_mean: float | None


@dataclass(frozen=True)
class ArmInput:
    canonical_config: Mapping[str, Any]
    model: str
    contexts: Mapping[str, ContextStats] = field(default_factory=dict)


def round_rate(value: float | None) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(min(max(float(value), 0.0), 1.0), 2)


def snap_pow2(value: float | None, low: float, high: float, *, keep_zero: bool = False) -> float | None:
    """Clamp into [low, high] and snap to the nearest power of two (in log space)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if keep_zero and value <= 0:
        return 0.0
    clamped = min(max(float(value), low), high)
    return float(2.0 ** round(math.log2(clamped)))


def temperature_bucket(value: float | None) -> str:
    if value is None:
        return "default"
    if value == 0:
        return "0"
    for upper, label in ((0.3, "0-0.3"), (0.7, "0.3-0.7"), (1.0, "0.7-1.0")):
        if value <= upper:
            return label
    return ">1.0"


def count_bucket(n: int, edges: Sequence[int]) -> str:
    """``edges`` ascending lower bounds; e.g. (1, 10, 50) -> "1-9", "10-49", "50+"."""
    if n < edges[0]:
        return str(n)
    for low, high in zip(edges, edges[1:]):
        if n < high:
            return f"{low}-{high - 1}" if high - 1 > low else str(low)
    return f"{edges[-1]}+"


TRIAL_EDGES = (1, 10, 50, 200, 1000)
TOOL_EDGES = (1, 4, 11)


def _context_summary(stats: ContextStats, fields: frozenset[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "pass_rate" in fields:
        out["pass_rate"] = round_rate(stats.pass_rate)
    if "score" in fields:
        out["score"] = round_rate(stats.score)
    if "error_rate" in fields:
        out["error_rate"] = round_rate(stats.error_rate)
    if "latency_s" in fields:
        out["latency_s"] = snap_pow2(stats.latency_median_s, 2.0 ** -6, 2.0 ** 12)
    if "cost_usd" in fields:
        out["cost_usd"] = snap_pow2(stats.cost_per_trial_usd, 2.0 ** -20, 16.0, keep_zero=True)
    if "tokens" in fields:
        for key, value in (("prompt_tokens", stats.prompt_tokens_mean),
                           ("completion_tokens", stats.completion_tokens_mean)):
            snapped = snap_pow2(value, 16.0, 2.0 ** 20)
            out[key] = int(snapped) if snapped is not None else None
    if "trial_count" in fields:
        out["trials"] = count_bucket(int(stats.n_trials), TRIAL_EDGES)
    return out


def build_bundle(*, suite: PublicSuite, run_created: datetime, arms: Sequence[ArmInput],
                 fields: Sequence[str] | None = None, secret: bytes | None = None) -> dict[str, Any]:
    """The bundle for a run: one entry per distinct config, per-context summaries inside."""
    chosen = frozenset(FIELDS if fields is None else fields)
    unknown = sorted(chosen - set(FIELDS))
    if unknown:
        from tamma_tui.errors import BadInput

        raise BadInput(f"unknown field(s) {', '.join(unknown)}; shareable fields are "
                       f"{', '.join(FIELDS)}", field="fields")
    configs: list[dict[str, Any]] = []
    seen: set[str] = set()
    for arm in arms:
        pseudonym = config_pseudonym(dict(arm.canonical_config), secret)
        if pseudonym in seen:  # two arms running the same config are one config
            continue
        seen.add(pseudonym)
        entry: dict[str, Any] = {
            "config": pseudonym,
            "model_family": model_family(arm.model),
            "model_size": model_size_bucket(arm.model),
        }
        params = arm.canonical_config.get("parameters") or {}
        if "temperature" in chosen:
            entry["temperature"] = temperature_bucket(params.get("temperature"))
        if "tool_count" in chosen:
            entry["tools"] = count_bucket(len(arm.canonical_config.get("tools") or []), TOOL_EDGES)
        entry["contexts"] = {ctx: _context_summary(arm.contexts[ctx], chosen)
                             for ctx in CONTEXTS if ctx in arm.contexts}
        configs.append(entry)
    configs.sort(key=lambda c: c["config"])  # arm order would hint at which is the baseline
    return {
        "schema": BUNDLE_SCHEMA,
        "tool_version": __version__,
        "suite": {"id": suite.id, "version": suite.version},
        "run_day": run_created.date().isoformat(),
        "configs": configs,
    }


def describe(bundle: Mapping[str, Any]) -> list[tuple[str, Any, str]]:
    """Every leaf of the bundle as (path, value, rule): what ``share preview`` prints."""
    rows: list[tuple[str, Any, str]] = [
        ("schema", bundle["schema"], STRUCTURAL["schema"]),
        ("tool_version", bundle["tool_version"], STRUCTURAL["tool_version"]),
        ("suite.id", bundle["suite"]["id"], STRUCTURAL["suite.id"]),
        ("suite.version", bundle["suite"]["version"], STRUCTURAL["suite.version"]),
        ("run_day", bundle["run_day"], STRUCTURAL["run_day"]),
    ]
    leaf_rule = {"pass_rate": FIELDS["pass_rate"].rule, "score": FIELDS["score"].rule,
                 "error_rate": FIELDS["error_rate"].rule, "latency_s": FIELDS["latency_s"].rule,
                 "cost_usd": FIELDS["cost_usd"].rule, "prompt_tokens": FIELDS["tokens"].rule,
                 "completion_tokens": FIELDS["tokens"].rule, "trials": FIELDS["trial_count"].rule}
    for i, cfg in enumerate(bundle["configs"]):
        base = f"configs[{i}]"
        rows.append((f"{base}.config", cfg["config"], STRUCTURAL["configs[].config"]))
        rows.append((f"{base}.model_family", cfg["model_family"], STRUCTURAL["configs[].model_family"]))
        rows.append((f"{base}.model_size", cfg["model_size"], STRUCTURAL["configs[].model_size"]))
        if "temperature" in cfg:
            rows.append((f"{base}.temperature", cfg["temperature"], FIELDS["temperature"].rule))
        if "tools" in cfg:
            rows.append((f"{base}.tools", cfg["tools"], FIELDS["tool_count"].rule))
        for ctx, summary in cfg["contexts"].items():
            for key, value in summary.items():
                rows.append((f"{base}.contexts.{ctx}.{key}", value, leaf_rule[key]))
    return rows
