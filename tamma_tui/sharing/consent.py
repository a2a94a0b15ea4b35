"""Consent: who may receive what. Granted only from an interactive terminal or with an
explicit ``--yes``; stored 0600; checked when a bundle is built for sending and again
before every attempt to send it (retries included).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from typing import Sequence

from tamma_tui.errors import BadInput, Refused

from .bundle import FIELDS, REQUIRED_FIELDS
from .paths import kill_switch_on, sharing_dir, write_private

CONSENT_NAME = "consent.json"
PURPOSE = ("Contribute anonymised, aggregated benchmark summaries of public suites to the "
           "Test Platform so that the community can compare agent configurations.")
POLICY_VERSION = "1"
VALIDITY = timedelta(days=365)  # 12 months, then ask again
METHODS = ("interactive terminal", "--yes flag")


def policy_text() -> str:
    """The policy the user agrees to; its hash is stored with the grant, so a later change
    of what is shared is visible as a different hash."""
    fields = "\n".join(f"- {f.name}: {f.rule}" for f in FIELDS.values())
    return (f"tamma-bench sharing policy v{POLICY_VERSION}\nPurpose: {PURPOSE}\nShared fields:\n"
            f"{fields}\nNever shared: prompts, tool names or descriptions, config names, task "
            "inputs or outputs, repo names, paths or SHAs, error messages, user or host names, "
            "keys, URLs, org ids, seeds, per-trial rows, exact timestamps.\n")


def policy_hash() -> str:
    return hashlib.sha256(policy_text().encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ConsentRecord:
    id: str
    purpose: str
    endpoint: str
    suites: tuple[str, ...]
    fields: tuple[str, ...]
    policy_version: str
    policy_hash: str
    granted_at: str
    expires_at: str
    method: str
    revoked_at: str | None = None

    def status(self, now: datetime | None = None) -> str:
        if self.revoked_at:
            return "revoked"
        if datetime.fromisoformat(self.expires_at) <= (now or _now()):
            return "expired"
        return "active"

    def to_json(self) -> dict:
        data = asdict(self)
        data["suites"], data["fields"] = list(self.suites), list(self.fields)
        return data


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def normalise_endpoint(url: str) -> str:
    """``https://Host:443/path/`` -> ``https://host/path``: the form consent is compared in.
    Plain HTTP is accepted only to a loopback address (a local share-server)."""
    import ipaddress
    from urllib.parse import urlsplit

    try:
        parts = urlsplit((url or "").strip())
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError as exc:
        raise BadInput(f"not a URL ({exc})", field="endpoint") from None
    if parts.scheme not in ("https", "http") or not host:
        raise BadInput(f"{url!r} is not an http(s) URL", field="endpoint")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise BadInput("the URL must not carry credentials, a query or a fragment", field="endpoint")
    if parts.scheme == "http":
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise BadInput(f"{url!r}: plain HTTP is allowed only to a loopback address; use https",
                           field="endpoint")
    default = {"https": 443, "http": 80}[parts.scheme]
    netloc = f"[{host}]" if ":" in host else host
    if port and port != default:
        netloc += f":{port}"
    return f"{parts.scheme}://{netloc}{parts.path.rstrip('/')}"


def consent_path():
    return sharing_dir() / CONSENT_NAME


def load() -> ConsentRecord | None:
    path = consent_path()
    if not path.exists():
        return None
    data = json.loads(path.read_text("utf-8"))
    data["suites"], data["fields"] = tuple(data["suites"]), tuple(data["fields"])
    return ConsentRecord(**data)


def _save(record: ConsentRecord) -> None:
    write_private(consent_path(), json.dumps(record.to_json(), indent=2).encode("utf-8"))


def grant(*, endpoint: str, suites: Sequence[str], fields: Sequence[str], method: str,
          public_ids: Sequence[str], now: datetime | None = None) -> ConsentRecord:
    if method not in METHODS:
        raise Refused("consent is granted only from an interactive terminal or with --yes",
                      field="method")
    suites = tuple(dict.fromkeys(s.strip() for s in suites if s.strip()))
    fields = tuple(dict.fromkeys(f.strip() for f in fields if f.strip()))
    if not suites:
        raise BadInput("name at least one public suite", field="suites")
    bad = [s for s in suites if s not in public_ids]
    if bad:
        raise BadInput(f"{', '.join(bad)}: not public suite(s); public: {', '.join(public_ids)}",
                       field="suites")
    unknown = [f for f in fields if f not in FIELDS]
    if unknown:
        raise BadInput(f"unknown field(s) {', '.join(unknown)}; shareable: {', '.join(FIELDS)}",
                       field="fields")
    missing = [f for f in REQUIRED_FIELDS if f not in fields]
    if missing:
        raise BadInput(f"{', '.join(missing)} is required: the community aggregate is built from it",
                       field="fields")
    moment = now or _now()
    record = ConsentRecord(
        id=str(uuid.uuid4()), purpose=PURPOSE, endpoint=normalise_endpoint(endpoint),
        suites=suites, fields=fields, policy_version=POLICY_VERSION, policy_hash=policy_hash(),
        granted_at=_iso(moment), expires_at=_iso(moment + VALIDITY), method=method)
    _save(record)
    return record


def revoke(now: datetime | None = None) -> ConsentRecord | None:
    record = load()
    if record is None or record.revoked_at:
        return record
    revoked = ConsentRecord(**{**record.to_json(), "suites": record.suites, "fields": record.fields,
                               "revoked_at": _iso(now or _now())})
    _save(revoked)
    return revoked


def require(endpoint: str, suite_id: str, now: datetime | None = None) -> ConsentRecord:
    """The consent that allows sending ``suite_id`` to ``endpoint``, or ``Refused`` saying
    why not. Called at bundle build and before every attempt to send."""
    if kill_switch_on():
        raise Refused("sharing is switched off by TAMMA_BENCH_NO_SHARE", field="consent")
    record = load()
    if record is None:
        raise Refused("no consent given; run `tamma-bench consent grant` first", field="consent")
    if record.revoked_at:
        raise Refused(f"consent {record.id} was revoked at {record.revoked_at}", field="consent")
    moment = now or _now()
    if datetime.fromisoformat(record.expires_at) <= moment:
        raise Refused(f"consent {record.id} expired at {record.expires_at}; grant it again",
                      field="consent")
    if record.policy_hash != policy_hash():
        raise Refused("the sharing policy changed since consent was given; grant it again",
                      field="consent")
    target = normalise_endpoint(endpoint)
    if target != record.endpoint:
        raise Refused(f"consent covers {record.endpoint}, not {target}", field="consent")
    if suite_id not in record.suites:
        raise Refused(f"consent does not cover suite {suite_id!r} (covers {', '.join(record.suites)})",
                      field="consent")
    return record
