"""Config stores: where Tamma keeps its configuration, behind one protocol.

    dir:PATH          a folder of spec AgentConfig files, one per agentId (<agentId>.json)
    tamma-file:PATH   a tamma.config.json; targets are roles
    tamma-api:URL     Tamma's REST API (GET/PUT /api/config/agents); token from TAMMA_API_TOKEN

Every store reads the live document (``Live``), turns a change in AgentConfig terms into a new
document (``plan``), and writes it with a drift check before and a read-back after (``write``).
The live document's hash is what a change is based on: Tamma's API has no versions or ETags,
so the hash is ours.
"""

from __future__ import annotations

import copy
import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tamma_tui.errors import BadInput, DriftError, Refused, StoreError
from tamma_tui.integration import json_text
from tamma_tui.config.secrets import refuse_inline_secrets
from tamma_tui.config.tamma_roles import CHAIN_PARAMETERS, resolve_role, validate_document

TOKEN_ENV = "TAMMA_API_TOKEN"
#: Our canonical parameter names and Tamma's spelling of them.
TAMMA_NAMES = {ours: theirs for theirs, ours in CHAIN_PARAMETERS.items() if ours != theirs}


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Live:
    """The live document of one target and the agent it resolves to."""

    text: str  # the document as stored (the API's: pretty JSON of what it returned)
    doc: Any
    sha256: str
    agent: dict[str, Any]  # AgentConfig fields
    agent_id: str  # qualified by the store
    meta: dict[str, Any] = field(default_factory=dict)


class ConfigStore(Protocol):
    spec: str

    def read(self, target: str) -> Live: ...
    def plan(self, live: Live, ops: list[dict[str, Any]]) -> str: ...
    def resolve_text(self, target: str, text: str) -> dict[str, Any]: ...
    def write(self, target: str, text: str, *, base: Live) -> Live: ...


def _set(doc: dict[str, Any], path: list[str], value: Any) -> None:
    node = doc
    for key in path[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    if value is None:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value


def _drift(base: Live, live: Live, where: str) -> DriftError:
    moved = json_text.leaf_paths(base.doc, live.doc) or ["(formatting)"]
    shown = ", ".join(moved[:8]) + (f" and {len(moved) - 8} more" if len(moved) > 8 else "")
    return DriftError(f"the live configuration changed since the change was based on it; fields that moved: {shown}",
                      file=where, field="drift")


class _FileBacked:
    """Atomic writes (temp file + rename, mode kept) and read-back for file stores."""

    spec: str

    def _path_for(self, target: str) -> Path:  # pragma: no cover - overridden
        raise NotImplementedError

    def write(self, target: str, text: str, *, base: Live) -> Live:
        path = self._path_for(target)
        live = self.read(target)
        if live.sha256 != base.sha256:
            raise _drift(base, live, str(path))
        self.resolve_text(target, text)  # never write a document Tamma (or we) would refuse
        mode = path.stat().st_mode & 0o7777
        try:
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
                out.write(text)
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except OSError as exc:
            raise StoreError(f"cannot write: {exc.strerror or exc}", file=str(path)) from None
        after = self.read(target)
        if after.text != text:
            path.write_text(live.text, encoding="utf-8")
            raise StoreError("read-back differs from what was written; the previous document was restored",
                             file=str(path))
        return after


class DirStore(_FileBacked):
    """A folder of spec AgentConfig files (Tamma's ~/.tamma/agents/), JSON, one per agentId."""

    def __init__(self, path: str):
        self.root = Path(path).expanduser().resolve()
        self.spec = f"dir:{self.root}"
        if not self.root.is_dir():
            raise BadInput("not a folder", file=str(self.root), field="store")

    def _path_for(self, target: str) -> Path:
        for suffix in (".json",):
            path = self.root / f"{target}{suffix}"
            if path.is_file():
                return path
        for path in sorted(self.root.glob("*.json")):
            try:
                if json_text.parse(path.read_text("utf-8"), str(path)).get("agentId") == target:
                    return path
            except (BadInput, AttributeError):
                continue
        raise BadInput(f"no agent {target!r} in this folder (expected {target}.json)", file=str(self.root), field="target")

    def resolve_text(self, target: str, text: str) -> dict[str, Any]:
        from tamma_tui.config.loader import canonical_dict, validate_model
        from tamma_tui.config.models import AgentConfig

        where = str(self._path_for(target))
        doc = json_text.parse(text, where)
        refuse_inline_secrets(doc, where)
        return canonical_dict(validate_model(AgentConfig, doc, where))

    def read(self, target: str) -> Live:
        path = self._path_for(target)
        text = path.read_text(encoding="utf-8")
        doc = json_text.parse(text, str(path))
        agent = self.resolve_text(target, text)
        return Live(text, doc, sha256_text(text), agent, f"{agent['agentId']}@{self.spec}", {"path": str(path)})

    def plan(self, live: Live, ops: list[dict[str, Any]]) -> str:
        doc = copy.deepcopy(live.doc)
        params = doc.get("parameters") if isinstance(doc.get("parameters"), dict) else {}
        camel = any(k in params for k in CHAIN_PARAMETERS if k not in TAMMA_NAMES.values()) or "createdAt" in doc
        for op in ops:
            path = op["path"].split(".")
            if path[0] == "parameters" and len(path) == 2 and path[1] in TAMMA_NAMES:
                ours, theirs = path[1], TAMMA_NAMES[path[1]]
                use = theirs if theirs in params or (ours not in params and camel) else ours
                _set(doc, ["parameters", use], op["value"])
            elif path == ["context", "window_tokens"] and "context" not in doc and \
                    isinstance(doc.get("capabilities"), dict) and "contextWindowTokens" in doc["capabilities"]:
                _set(doc, ["capabilities", "contextWindowTokens"], op["value"])
            else:
                _set(doc, path, op["value"])
        return json_text.rewrite(live.text, doc)


class _TammaDocument:
    """Shared by the file and the API: a tamma.config.json whose targets are roles."""

    spec: str

    def _where(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def _live_from_text(self, role: str, text: str) -> Live:
        doc = json_text.parse(text, self._where())
        resolved = resolve_role(doc, role, where=self._where(), source=self.spec)
        meta = {"prompt_path": list(resolved.prompt_path), "provider": resolved.provider,
                "chain_owner": resolved.chain_owner}
        return Live(text, doc, self._hash(text, doc), resolved.agent, resolved.agent["agentId"], meta)

    def _hash(self, text: str, doc: Any) -> str:
        return sha256_text(text)

    def resolve_text(self, role: str, text: str) -> dict[str, Any]:
        from tamma_tui.config.loader import canonical_dict, validate_model
        from tamma_tui.config.models import AgentConfig

        live = self._live_from_text(role, text)
        return canonical_dict(validate_model(AgentConfig, live.agent, self._where()))

    def plan(self, live: Live, ops: list[dict[str, Any]]) -> str:
        doc = copy.deepcopy(live.doc)
        role = live.agent["name"]
        roles = doc.setdefault("roles", {})
        own = roles.setdefault(role, {})
        owns_chain = live.meta["chain_owner"] != "defaults"
        for op in ops:
            path, value = op["path"], op["value"]
            if path == "systemPrompt":
                source = live.meta["prompt_path"]
                if len(source) == 4 and source[0] == "roles":
                    _set(doc, source, value)  # roles.<r>.providerPrompts.<p>
                elif len(source) == 3 and source[1] == "providerPrompts":
                    _set(own, ["providerPrompts", source[2]], value)  # defaults' provider prompt, overridden per role
                else:
                    own["systemPrompt"] = value
                continue
            if path == "tools":
                own["allowedTools"] = [t if isinstance(t, str) else t.get("name") for t in (value or [])]
                continue
            chain_field = None
            if path.startswith("parameters.") and path.split(".", 1)[1] in CHAIN_PARAMETERS.values():
                ours = path.split(".", 1)[1]
                chain_field = ["config", TAMMA_NAMES.get(ours, ours)]
            elif path == "model":
                chain_field = ["model"]
            elif path == "timeout_s":
                chain_field, value = ["config", "timeout"], None if value is None else int(round(value * 1000))
            if chain_field is None:
                raise Refused(f"a Tamma role cannot hold {path!r} (roles hold providerChain, allowedTools, "
                              "maxBudgetUsd, permissionMode, systemPrompt, providerPrompts)",
                              file=self._where(), field=f"roles.{role}")
            if not owns_chain:
                raise Refused(f"{path!r} lives in providerChain[0], which {role} inherits from defaults; "
                              f"writing it there would change every role. Give roles.{role} its own "
                              "providerChain first", file=self._where(), field=f"roles.{role}.providerChain")
            _set(own["providerChain"][0], chain_field, value)
        return json_text.rewrite(live.text, doc)


class TammaFileStore(_TammaDocument, _FileBacked):
    def __init__(self, path: str):
        self.path = Path(path).expanduser().resolve()
        self.spec = f"tamma-file:{self.path}"
        if not self.path.is_file():
            raise BadInput("file not found", file=str(self.path), field="store")

    def _where(self) -> str:
        return str(self.path)

    def _path_for(self, target: str) -> Path:
        return self.path

    def read(self, target: str) -> Live:
        return self._live_from_text(target, self.path.read_text(encoding="utf-8"))


class TammaApiStore(_TammaDocument):
    """Tamma's config REST API. The document's hash is over its canonical JSON (the API
    re-serialises what it stores, so bytes are not ours to keep)."""

    PATH = "/api/config/agents"

    def __init__(self, url: str, *, timeout: float = 10.0, transport: Any = None):
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise BadInput(f"not an http(s) URL: {url!r}", field="store")
        if "@" in parts.netloc:
            raise BadInput("refused: a URL with credentials (use TAMMA_API_TOKEN)", field="store")
        self.url = url.rstrip("/")
        self.spec = f"tamma-api:{self.url}"
        self._timeout, self._transport = timeout, transport

    def _where(self) -> str:
        return self.url + self.PATH

    def _hash(self, text: str, doc: Any) -> str:
        return sha256_text(json_text.canonical(doc))

    def _client(self):
        import httpx

        headers = {"Accept": "application/json"}
        token = os.environ.get(TOKEN_ENV)  # read at call time; never stored, logged or shown
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return httpx.Client(timeout=self._timeout, headers=headers, transport=self._transport)

    def _request(self, method: str, body: Any = None) -> Any:
        import httpx

        try:
            with self._client() as client:
                response = client.request(method, self._where(), json=body)
        except httpx.HTTPError as exc:
            raise StoreError(f"{method} failed: {type(exc).__name__}", file=self._where()) from None
        if response.status_code >= 400:
            try:
                reason = str(response.json().get("error") or response.reason_phrase)
            except Exception:
                reason = response.reason_phrase
            from tamma_tui.store.audit import scrub

            cls = BadInput if response.status_code == 400 else StoreError
            raise cls(f"{method} answered {response.status_code}: {scrub(reason)}", file=self._where())
        try:
            return response.json() if response.content else None
        except ValueError:
            raise StoreError(f"{method} answered with something that is not JSON", file=self._where()) from None

    def read(self, target: str) -> Live:
        doc = self._request("GET")
        return self._live_from_text(target, json_text.JsonStyle("  ", False, "\n").dump(doc))

    def write(self, target: str, text: str, *, base: Live) -> Live:
        live = self.read(target)
        if live.sha256 != base.sha256:
            raise _drift(base, live, self._where())
        self.resolve_text(target, text)
        doc = json_text.parse(text, self._where())
        validate_document(doc, self._where())
        self._request("PUT", doc)
        after = self.read(target)
        if json_text.canonical(after.doc) != json_text.canonical(doc):
            self._request("PUT", live.doc)
            raise StoreError("read-back differs from what was written; the previous document was restored",
                             file=self._where())
        return after


def open_store(spec: str) -> ConfigStore:
    kind, _, rest = spec.partition(":")
    if not rest:
        raise BadInput(f"expected dir:PATH, tamma-file:PATH or tamma-api:URL, got {spec!r}", field="--store")
    if kind == "dir":
        return DirStore(rest)
    if kind == "tamma-file":
        return TammaFileStore(rest)
    if kind == "tamma-api":
        return TammaApiStore(rest)
    raise BadInput(f"unknown store kind {kind!r}; expected dir, tamma-file or tamma-api", field="--store")
