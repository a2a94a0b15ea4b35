"""Which suites may be shared: the built-in public suites and a documented list matched by
content hash. Anything else is refused, with the reason.

A suite's content hash is SHA-256 over the canonical JSON of its tasks (id, context,
prompt, grader), sorted by id: renaming a file or folder does not change it, editing a task
does. A custom suite is never shared, because its tasks are the user's own material and a
cohort of one team's suite would single that team out.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from tamma_tui.errors import Refused

from .wire import canonical_json

#: Built-in suites that are public by id.
PUBLIC_BUILTIN_IDS = ("tamma-core", "tamma-match")
DOCUMENTED_LIST = Path(__file__).with_name("public_suites.json")


@dataclass(frozen=True)
class PublicSuite:
    id: str
    version: str  # the first 16 hex digits of the content hash


def suite_content_hash(tasks: Iterable[Any]) -> str:
    rows = sorted(({"id": t.id, "context": t.context, "prompt": t.prompt, "grader": dict(t.grader)}
                   for t in tasks), key=lambda r: r["id"])
    return hashlib.sha256(canonical_json(rows)).hexdigest()


def documented_suites() -> dict[str, str]:
    """content sha256 -> public id, from the documented list shipped with the package."""
    data = json.loads(DOCUMENTED_LIST.read_text("utf-8"))
    return {entry["content_sha256"]: entry["id"] for entry in data["suites"]}


def resolve_public_suite(suite_ref: str, *, extra: dict[str, str] | None = None) -> PublicSuite:
    """The public identity of a run's suite, or ``Refused`` saying why it cannot be shared."""
    from tamma_tui.suites.registry import builtin_ids, load_suite

    ref = (suite_ref or "").strip()
    if not ref:
        raise Refused("the run names no suite; only public suites can be shared", field="suite")
    try:
        suite = load_suite(ref)
    except Exception as exc:  # noqa: BLE001 - any failure to load means "cannot vouch for it"
        raise Refused(f"suite {ref!r} cannot be loaded here, so it cannot be checked against "
                      f"the public list ({exc})", field="suite") from None
    digest = suite_content_hash(suite.tasks)
    if ref in PUBLIC_BUILTIN_IDS and ref in builtin_ids():
        return PublicSuite(ref, digest[:16])
    known = dict(documented_suites())
    known.update(extra or {})
    if digest in known:
        return PublicSuite(known[digest], digest[:16])
    allowed = ", ".join(PUBLIC_BUILTIN_IDS + tuple(sorted(set(documented_suites().values()))))
    raise Refused(f"suite {ref!r} is a custom suite (content sha256 {digest[:16]}...), not on the "
                  f"public list ({allowed}); custom suites are never shared because their tasks "
                  "are your own material", field="suite")
