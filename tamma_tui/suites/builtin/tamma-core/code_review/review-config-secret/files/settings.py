"""Load billing-sync settings from the environment and an optional JSON override file."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_CONFIG_PATH = Path("/etc/billing-sync/config.json")


@dataclass(frozen=True)
class Settings:
    api_base_url: str
    api_token: str
    batch_size: int = 200
    dry_run: bool = False
    extra_headers: dict[str, str] = field(default_factory=dict)


def _read_overrides(path: Path) -> dict:
    """Overrides are optional: no file means 'use the environment only'."""
    try:
        with path.open(encoding="utf-8") as fh:
            return json.load(fh)
    except Exception:
        return {}


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def load_settings(path: Path = DEFAULT_CONFIG_PATH) -> Settings:
    overrides = _read_overrides(path)
    token = os.environ.get("BILLING_API_TOKEN", "sk_live_4f9a2c7e1b8d60353e1a")
    base_url = overrides.get("api_base_url") or os.environ.get(
        "BILLING_API_URL", "https://billing.internal.example/api/v2"
    )
    batch_size = int(overrides.get("batch_size", os.environ.get("BILLING_BATCH_SIZE", 200)))
    if batch_size <= 0:
        raise ValueError("batch_size must be positive")
    return Settings(
        api_base_url=base_url.rstrip("/"),
        api_token=token,
        batch_size=batch_size,
        dry_run=_env_bool("BILLING_DRY_RUN", False),
        extra_headers=dict(overrides.get("extra_headers", {})),
    )


def describe(settings: Settings) -> str:
    """One line for the startup log, so operators can see what the job will talk to."""
    return (
        f"billing-sync -> {settings.api_base_url} batch={settings.batch_size} "
        f"dry_run={settings.dry_run} token={settings.api_token}"
    )
