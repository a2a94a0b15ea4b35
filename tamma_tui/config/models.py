"""AgentConfig and Experiment specs.

Field names of AgentConfig follow Tamma's agent configuration schema (camelCase for the
Tamma fields, snake_case for the benchmark fields) so files move between the two tools
without translation.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from tamma_tui.vocabulary import CONTEXTS, METRICS

PROVIDERS = ("openai", "anthropic", "command", "simulated")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def _between(name: str, value: float | None, low: float, high: float) -> float | None:
    if value is not None and not (low <= value <= high):
        raise ValueError(f"must be between {low:g} and {high:g}, got {value:g}")
    return value


def _known_metric(name: str) -> str:
    if name not in METRICS:
        raise ValueError(f"unknown metric {name!r}; expected one of {', '.join(METRICS)}")
    return name


MetricName = Annotated[str, AfterValidator(_known_metric)]


#: Tamma's AgentConfig parameter names and the request fields they drive.
TAMMA_PARAMETER_NAMES = {
    "maxTokens": "max_tokens",
    "topP": "top_p",
    "frequencyPenalty": "frequency_penalty",
    "presencePenalty": "presence_penalty",
}

#: Fields kept as they were read but left out of the hashed canonical form: metadata, not
#: behaviour (Tamma bumps ``updatedAt`` on every save).
UNHASHED_FIELDS = ("createdAt", "updatedAt")


class Parameters(BaseModel):
    """Sampling parameters. Unknown keys (stop, seed, presence_penalty, ...) pass through
    to the provider untouched."""

    model_config = ConfigDict(extra="allow", validate_assignment=True)

    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _tamma_names(cls, data: Any) -> Any:
        """Tamma's camelCase names are first-class; the canonical (hashed) form is snake_case,
        so ``maxTokens: 400`` and ``max_tokens: 400`` are the same configuration."""
        if not isinstance(data, dict):
            return data
        out = dict(data)
        for camel, snake in TAMMA_PARAMETER_NAMES.items():
            if camel in out:
                if snake in out and out[snake] != out[camel]:
                    raise ValueError(f"{camel} and {snake} both given with different values")
                out[snake] = out.pop(camel)
        for name in ("frequency_penalty", "presence_penalty"):
            value = out.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or not -2 <= value <= 2):
                raise ValueError(f"{name}: must be a number between -2 and 2, got {value!r}")
        return out

    @field_validator("temperature")
    @classmethod
    def _temperature(cls, v: float | None) -> float | None:
        return _between("temperature", v, 0, 2)

    @field_validator("top_p")
    @classmethod
    def _top_p(cls, v: float | None) -> float | None:
        return _between("top_p", v, 0, 1)

    @field_validator("max_tokens")
    @classmethod
    def _max_tokens(cls, v: int | None) -> int | None:
        if v is not None and v <= 0:
            raise ValueError(f"must be a positive integer, got {v}")
        return v


# Upper bounds on counts and sizes: far above any real use, low enough that a typo
# (trials: 1e10, window_tokens: 2**64) is refused up front instead of exhausting memory
# or losing every trial.
MAX_WINDOW_TOKENS = 10_000_000
MAX_CONTEXT_FILES = 10_000
MAX_TRIALS = 10_000
MAX_TASKS = 100_000
MAX_CONCURRENCY = 1_024
MAX_ATTEMPTS = 100
MAX_TIMEOUT_S = 86_400.0
SEED_MIN, SEED_MAX = -(2**63), 2**63 - 1  # stored in a signed 64-bit SQLite integer


def no_url_credentials(url: str | None) -> str | None:
    """Refuse ``user:pass@`` in a URL: it would be stored with the config and printed in
    every error. Keys belong in the variable named by api_key_env."""
    if url is None:
        return url
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise ValueError(f"not a valid URL ({exc})") from None
    if parts.username is not None or parts.password is not None:
        raise ValueError("credentials in the URL (user:pass@) are not accepted; "
                         "put the key in the variable named by api_key_env")
    return url


class ContextSettings(_Strict):
    window_tokens: int = Field(default=32768, gt=0, le=MAX_WINDOW_TOKENS)
    max_context_files: int = Field(default=8, ge=0, le=MAX_CONTEXT_FILES)


class Pricing(_Strict):
    input_per_mtok: float = Field(default=0.0, ge=0)
    output_per_mtok: float = Field(default=0.0, ge=0)
    cached_input_per_mtok: float | None = Field(default=None, ge=0)

    def cost(self, prompt_tokens: int, completion_tokens: int, cached_prompt_tokens: int = 0) -> float:
        """USD for one call. ``prompt_tokens`` includes the cached ones, which are billed at
        ``cached_input_per_mtok`` (the input rate when that is not set)."""
        cached = min(cached_prompt_tokens, prompt_tokens)
        cached_rate = self.cached_input_per_mtok if self.cached_input_per_mtok is not None else self.input_per_mtok
        return (
            (prompt_tokens - cached) * self.input_per_mtok
            + cached * cached_rate
            + completion_tokens * self.output_per_mtok
        ) / 1e6


class AgentConfig(_Strict):
    agentId: str = Field(min_length=1)
    name: str = ""
    version: int | str = 1
    provider: Literal["openai", "anthropic", "command", "simulated"]
    model: str = Field(min_length=1)
    systemPrompt: str = ""
    tools: list[Any] = Field(default_factory=list)
    parameters: Parameters = Field(default_factory=Parameters)
    capabilities: list[Any] | dict[str, Any] = Field(default_factory=list)
    optimizationSettings: dict[str, Any] = Field(default_factory=dict)
    createdAt: str | None = None
    updatedAt: str | None = None
    # Benchmark fields.
    base_url: str | None = None
    api_key_env: str | None = None
    command: list[str] | None = None
    stream: bool = True
    context: ContextSettings = Field(default_factory=ContextSettings)
    pricing: Pricing = Field(default_factory=Pricing)
    timeout_s: float = Field(default=120.0, gt=0, le=MAX_TIMEOUT_S)

    @field_validator("base_url")
    @classmethod
    def _base_url_without_credentials(cls, v: str | None) -> str | None:
        return no_url_credentials(v)

    @model_validator(mode="before")
    @classmethod
    def _tamma_capabilities(cls, data: Any) -> Any:
        """``capabilities.contextWindowTokens`` is the window and ``costPerToken`` prices the
        trial, unless the benchmark's own ``context``/``pricing`` blocks say otherwise; Tamma's
        provider names map onto ours (config/tamma_providers.py)."""
        if not isinstance(data, dict):
            return data
        out = dict(data)
        caps = out.get("capabilities")
        if isinstance(caps, dict):
            window = caps.get("contextWindowTokens")
            context = out.get("context")  # (a ContextSettings already when re-validating)
            if window is not None and (context is None or (isinstance(context, dict) and "window_tokens" not in context)):
                out["context"] = {**(context or {}), "window_tokens": window}
            per_token = caps.get("costPerToken")
            if per_token is not None and "pricing" not in out:
                if isinstance(per_token, bool) or not isinstance(per_token, (int, float)) or per_token < 0:
                    raise ValueError(f"capabilities.costPerToken: must be a non-negative number, got {per_token!r}")
                out["pricing"] = {"input_per_mtok": per_token * 1e6, "output_per_mtok": per_token * 1e6}
        provider = out.get("provider")
        from tamma_tui.config.tamma_providers import MAPPED, map_provider

        # (other names fall through to the provider field's own error, which names the field)
        if isinstance(provider, str) and provider not in PROVIDERS and provider in MAPPED:

            out.update(map_provider(provider, out, explicit_base_url=out.get("base_url")))
        return out

    @model_validator(mode="after")
    def _provider_needs(self) -> "AgentConfig":
        if self.provider == "command" and not self.command:
            raise ValueError("command: required when provider is 'command' (a list of arguments)")
        if self.provider == "anthropic" and self.api_key_env is None:
            self.api_key_env = "ANTHROPIC_API_KEY"
        return self


class Guardrail(_Strict):
    metric: MetricName
    # in the metric's units, or relative to the baseline's mean as a percentage ("5%")
    margin: float | str = 0.0

    @field_validator("margin")
    @classmethod
    def _margin(cls, value: float | str) -> float | str:
        if isinstance(value, str):
            text = value.strip()
            if not text.endswith("%"):
                raise ValueError(f"a margin is a number or a percentage like '5%', got {value!r}")
            try:
                number = float(text[:-1])
            except ValueError:
                raise ValueError(f"a margin is a number or a percentage like '5%', got {value!r}") from None
            if number < 0:
                raise ValueError("margin must be >= 0")
            return text
        if value < 0:
            raise ValueError("margin must be >= 0")
        return value



class AnalysisPlan(_Strict):
    alpha: float = Field(default=0.05, gt=0, lt=1)
    correction: Literal["holm", "bh", "dunnett"] = "holm"
    primary_metric: MetricName = "pass_rate"
    guardrails: list[Guardrail] = Field(default_factory=list)
    # pass rate, score, context use: points; other metrics: a fraction of the baseline mean
    mde: float | None = Field(default=None, gt=0)
    power: float = Field(default=0.8, gt=0, lt=1)
    midp: bool = False  # mid-p McNemar for pass rate at one trial per task
    secondary_metrics: list[MetricName] | None = None  # None: every other metric
    utility: str | None = None  # e.g. "pass_rate - 50 * cost_usd": chooses among ties
    pool_baseline_history: bool = False



class RateLimits(_Strict):
    requests_per_minute: float | None = Field(default=None, gt=0)
    tokens_per_minute: float | None = Field(default=None, gt=0)


class RetryPolicy(_Strict):
    max_attempts: int = Field(default=5, ge=1, le=MAX_ATTEMPTS)
    max_total_s: float = Field(default=120.0, gt=0, le=MAX_TIMEOUT_S)
    base_delay_s: float = Field(default=0.5, ge=0)
    max_delay_s: float = Field(default=20.0, ge=0)


class SequentialPlan(_Strict):
    enabled: bool = False
    block_tasks: int = Field(default=12, ge=1, le=MAX_TASKS)
    max_tasks: int | None = Field(default=None, ge=1, le=MAX_TASKS)
    tau: float | None = Field(default=None, gt=0)  # mSPRT mixing scale; None = from the MDE


class TammaRoleRef(_Strict):
    """A role of a Tamma ``tamma.config.json``, resolved by Tamma's merge and prompt rules."""

    tamma_config: str = Field(min_length=1)
    role: str = Field(min_length=1)


class VariantSpec(_Strict):
    name: str = Field(min_length=1)
    config: str | None = None
    tamma_config: str | None = None
    role: str | None = None
    overrides: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> "VariantSpec":
        if (self.tamma_config is None) != (self.role is None):
            raise ValueError("tamma_config and role go together")
        if self.config is not None and self.tamma_config is not None:
            raise ValueError("give either 'config' or 'tamma_config' + 'role', not both")
        if self.config is None and self.overrides is None and self.tamma_config is None:
            raise ValueError("needs 'config' (a file), 'tamma_config' + 'role', or 'overrides' (on the baseline)")
        return self


class ExecutorSpec(_Strict):
    """Where trials run: in this process (local) or on a Ray cluster's workers."""

    kind: Literal["local", "ray"] = "local"
    address: str = "auto"  # ray: auto | HOST:PORT | ray://HOST:PORT
    max_workers: int = Field(default=2, ge=1, le=4096)


class ExperimentSpec(_Strict):
    name: str = Field(min_length=1)
    description: str = ""
    suite: str = "tamma-core"
    contexts: list[Literal["development", "code_review", "testing"]] = Field(
        default_factory=lambda: list(CONTEXTS)
    )
    tasks: list[str] | None = None  # optional subset of task ids
    max_tasks: int | None = Field(default=None, ge=1, le=MAX_TASKS)  # per context, after filtering
    trials: int = Field(default=1, ge=1, le=MAX_TRIALS)
    seed: int = Field(default=0, ge=SEED_MIN, le=SEED_MAX)
    concurrency: int = Field(default=16, ge=1, le=MAX_CONCURRENCY)
    rate_limits: RateLimits = Field(default_factory=RateLimits)
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    budget_usd: float | None = Field(default=None, gt=0)
    max_error_rate: float = Field(default=0.05, ge=0, le=1)
    session: Literal["isolated", "mixed"] = "isolated"
    baseline: str | TammaRoleRef
    variants: list[VariantSpec] = Field(default_factory=list)
    # A frozen config re-run alongside every run: history tells provider drift (it moves
    # too) from a config regression (only the current config moves).
    pinned: str | None = None
    analysis: AnalysisPlan = Field(default_factory=AnalysisPlan)
    sequential: SequentialPlan = Field(default_factory=SequentialPlan)
    executor: ExecutorSpec = Field(default_factory=ExecutorSpec)

    @field_validator("contexts")
    @classmethod
    def _contexts(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("must name at least one context")
        return list(dict.fromkeys(v))

    @model_validator(mode="after")
    def _unique_arms(self) -> "ExperimentSpec":
        names = [v.name for v in self.variants]
        if "baseline" in names:
            raise ValueError("variants: the name 'baseline' is reserved for the baseline arm")
        if "pinned" in names:
            raise ValueError("variants: the name 'pinned' is reserved for the pinned configuration")
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"variants: duplicate names {sorted(dupes)}")
        return self
