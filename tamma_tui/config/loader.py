"""Load agent configs and experiments from YAML/JSON with precise, one-line errors."""

from __future__ import annotations

from tamma_tui.vocabulary import PINNED_ARM

import copy
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from .errors import BadInput
from .models import UNHASHED_FIELDS, AgentConfig, ExperimentSpec


def read_mapping(path: str | Path) -> dict[str, Any]:
    """Parse a YAML (or JSON) file that must hold a mapping."""
    p = Path(path)
    if not p.is_file():
        raise BadInput("file not found", file=path)
    try:
        text = p.read_text(encoding="utf-8")
        # JSON files are read as JSON: YAML 1.1 reads an exponent without a dot (3e-06,
        # as JSON writers emit costPerToken) as a string.
        data = json.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"malformed JSON: {exc.msg}", file=path, field=f"line {exc.lineno}, column {exc.colno}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise BadInput(f"malformed YAML: {problem}", file=path, field=where) from None
    except UnicodeDecodeError:
        raise BadInput("not a UTF-8 text file", file=path) from None
    except RecursionError:
        raise BadInput(f"nested deeper than {MAX_NESTING} levels", file=path) from None
    check_nesting(data, path)
    if not isinstance(data, dict):
        raise BadInput(f"expected a mapping at the top level, got {type(data).__name__}", file=path)
    return data


MAX_NESTING = 64  # no real config comes close; deeper input only exhausts the stack


def check_nesting(data: Any, path: str | Path, limit: int = MAX_NESTING) -> None:
    """Refuse data nested deeper than `limit` (walked iteratively: no recursion to exhaust)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            raise BadInput(f"nested deeper than {limit} levels", file=path)
        stack.extend((child, depth + 1) for child in children)


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _reason(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    msg = err.get("msg", "invalid")
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required field is missing"
    msg = msg.removeprefix("Value error, ")
    if kind not in ("value_error", "assertion_error") and "input" in err:
        got = err["input"]
        if not isinstance(got, (dict, list)):
            msg = f"{msg}, got {got!r}"
    return msg


def validate_model(model: type[BaseModel], data: dict[str, Any], path: str | Path) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        # Report the first problem precisely; more than one line would bury it.
        first = exc.errors()[0]
        loc = tuple(p for p in first["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        # Literal / union errors repeat the location with the tag; keep the field path.
        loc = tuple(p for p in loc if p not in ("list[any]", "dict[str,any]"))
        raise BadInput(_reason(first), file=path, field=_loc(loc)) from None


def load_agent_config(path: str | Path) -> AgentConfig:
    return _agent_config(read_mapping(path), path, Path(path))


def _agent_config(data: dict[str, Any], where: str | Path, path: Path) -> AgentConfig:
    """Validate a config (errors name ``where``); relative command paths are resolved from
    the folder of the config file ``path`` (DESIGN §3)."""
    config: AgentConfig = validate_model(AgentConfig, data, where)
    if config.provider != "command" or not config.command:
        return config
    exe = config.command[0]
    if "/" in exe and not Path(exe).is_absolute():
        resolved = str((path.parent / exe).resolve())
        config = config.model_copy(update={"command": [resolved, *config.command[1:]]})
    return config


def deep_merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def canonical_dict(config: AgentConfig) -> dict[str, Any]:
    """Defaults filled, JSON types only; key order is fixed at serialisation time."""
    data = config.model_dump(mode="json")
    for name in UNHASHED_FIELDS:
        data.pop(name, None)
    return data


class _LiteralDumper(yaml.SafeDumper):
    """Multi-line strings (system prompts, grader sources) as literal blocks, so they and
    their diffs read line by line."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_LiteralDumper.add_representer(str, _str_representer)


def literal_yaml(data: Any, *, sort_keys: bool = True) -> str:
    """YAML for people to read: multi-line strings as literal blocks, 100 columns."""
    return yaml.dump(data, Dumper=_LiteralDumper, sort_keys=sort_keys, allow_unicode=True, width=100)


def canonical_yaml(config: AgentConfig) -> str:
    return literal_yaml(canonical_dict(config))


def config_sha256(config: AgentConfig) -> str:
    blob = json.dumps(canonical_dict(config), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ArmSpec:
    """One arm of an experiment: its name, its resolved config and where it came from."""

    name: str
    config: AgentConfig
    baseline: bool
    source: str

    @property
    def sha256(self) -> str:
        return config_sha256(self.config)


@dataclass(frozen=True)
class LoadedExperiment:
    spec: ExperimentSpec
    path: Path
    arms: list[ArmSpec] = field(default_factory=list)

    @property
    def baseline(self) -> ArmSpec:
        return self.arms[0]

    def resolve(self, relative: str) -> Path:
        return (self.path.parent / relative).resolve()


def _tamma_role(experiment: Path, tamma_config: str, role: str, field: str) -> tuple[Path, dict[str, Any], str]:
    """(file, AgentConfig fields, source label) of a role of a tamma.config.json."""
    from tamma_tui.integration.tamma_config import resolve_role

    path = (experiment.parent / tamma_config).resolve()
    if not path.is_file():
        raise BadInput(f"tamma config not found: {tamma_config}", file=experiment, field=f"{field}.tamma_config")
    doc = json.loads(path.read_text(encoding="utf-8")) if path.suffix == ".json" else read_mapping(path)
    resolved = resolve_role(doc, role, where=str(path), source=f"tamma-file:{path}")
    return path, resolved.agent, f"{path} (role {role})"


def load_experiment(path: str | Path) -> LoadedExperiment:
    p = Path(path)
    spec: ExperimentSpec = validate_model(ExperimentSpec, read_mapping(p), p)
    if isinstance(spec.baseline, str):
        base_path = (p.parent / spec.baseline).resolve()
        if not base_path.is_file():
            raise BadInput(f"baseline config not found: {spec.baseline}", file=p, field="baseline")
        base_data = read_mapping(base_path)
        baseline = _agent_config(base_data, base_path, base_path)
        base_source = str(base_path)
    else:
        base_path, base_data, base_source = _tamma_role(p, spec.baseline.tamma_config, spec.baseline.role, "baseline")
        baseline = _agent_config(base_data, base_source, base_path)
    arms = [ArmSpec("baseline", baseline, True, base_source)]
    for i, variant in enumerate(spec.variants):
        if variant.tamma_config is not None:
            vpath, data, source = _tamma_role(p, variant.tamma_config, variant.role or "", f"variants[{i}]")
            if variant.overrides:
                data = deep_merge(data, variant.overrides)
            cfg = _agent_config(data, source, vpath)
        elif variant.config is not None:
            vpath = (p.parent / variant.config).resolve()
            if not vpath.is_file():
                raise BadInput(
                    f"config not found: {variant.config}", file=p, field=f"variants[{i}].config"
                )
            data = read_mapping(vpath)
            if variant.overrides:
                data = deep_merge(data, variant.overrides)
            cfg = _agent_config(data, vpath, vpath)
            source = str(vpath)
        else:
            data = deep_merge(base_data, variant.overrides or {})
            where = f"{p} (variants[{i}].overrides)"
            cfg = _agent_config(data, where, base_path)
            source = f"{base_source} + overrides"
        arms.append(ArmSpec(variant.name, cfg, False, source))
    if spec.pinned is not None:
        ppath = (p.parent / spec.pinned).resolve()
        if not ppath.is_file():
            raise BadInput(f"config not found: {spec.pinned}", file=p, field="pinned")
        arms.append(ArmSpec(PINNED_ARM, _agent_config(read_mapping(ppath), ppath, ppath), False, str(ppath)))
    return LoadedExperiment(spec=spec, path=p.resolve(), arms=arms)
