"""Experiment designer: a form that becomes an experiment YAML, validated as you type.

The form's paths are relative to the working directory; the saved file's paths are
rewritten relative to the file itself (what the experiment loader expects).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Input, Select, Static, TextArea

from tamma_tui.config import METRICS, BadInput, ExperimentSpec
from tamma_tui.config.loader import load_agent_config, read_mapping, validate_model
from tamma_tui.services import browse, planning

from ..messages import LaunchExperiment, LoadExperiment
from ..widgets.navbar import NavBar
from .base import TammaScreen
from .confirm import ConfirmScreen

FORM_SOURCE = "form"
DEFAULTS: dict[str, str] = {
    "name": "my-experiment",
    "baseline": "sample_configs/agents/baseline.yaml",
    "variants": "- name: terse\n  config: sample_configs/agents/terse.yaml\n",
    "suite": "tamma-core",
    "contexts": "development, code_review, testing",
    "max_tasks": "",
    "trials": "3",
    "concurrency": "16",
    "seed": "7",
    "budget": "5.0",
    "guardrails": "pass_rate:0.02",
    "mde": "",
    "save_path": "experiments/my-experiment.yaml",
}
TEXT_FIELDS = (
    ("name", "Name"), ("baseline", "Baseline file"), ("suite", "Suite"),
    ("contexts", "Contexts"), ("max_tasks", "Max tasks/ctx"), ("trials", "Trials/task"),
    ("concurrency", "Concurrency"), ("seed", "Seed"), ("budget", "Budget USD"),
    ("guardrails", "Guardrails"), ("mde", "Target MDE"), ("save_path", "Save as"),
)
PLACEHOLDERS = {
    "contexts": "development, code_review, testing",
    "max_tasks": "all tasks",
    "budget": "no cap",
    "guardrails": "metric:margin, ... e.g. pass_rate:0.02, cost_usd:0.001",
    "mde": "e.g. 0.10 (smallest change worth finding)",
}


def _number(raw: str, kind, field: str):
    raw = raw.strip()
    if not raw:
        return None
    try:
        return kind(raw)
    except ValueError:
        raise BadInput(f"expected {'an integer' if kind is int else 'a number'}, got {raw!r}",
                       file=FORM_SOURCE, field=field) from None


def _rel(path: str, workdir: Path, start: Path) -> str:
    """A path relative to ``workdir`` as seen from ``start``."""
    absolute = (workdir / path).resolve()
    return os.path.relpath(absolute, start)


def _suite_is_path(suite: str) -> bool:
    """A suite given as a folder or .jsonl file (its path is rewritten), not a built-in id."""
    return "/" in suite or suite.endswith(".jsonl")


def form_to_spec(values: dict[str, str], workdir: Path, save_dir: Path | None = None) -> dict[str, Any]:
    """The experiment mapping for the form; paths relative to ``save_dir`` (default: workdir).

    Raises BadInput naming the form field that is wrong.
    """
    start = (save_dir or workdir).resolve()
    try:
        variants = yaml.safe_load(values.get("variants") or "") or []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise BadInput(f"malformed YAML{where}", file=FORM_SOURCE, field="variants") from None
    if not isinstance(variants, list):
        raise BadInput("expected a YAML list of {name, config | overrides}", file=FORM_SOURCE,
                       field="variants")
    for v in variants:
        if isinstance(v, dict) and isinstance(v.get("config"), str):
            v["config"] = _rel(v["config"], workdir, start)
    guardrails = []
    for part in filter(None, (p.strip() for p in (values.get("guardrails") or "").split(","))):
        metric, _, margin = part.partition(":")
        guardrails.append({"metric": metric.strip(),
                           "margin": _number(margin or "0", float, "guardrails")})
    analysis: dict[str, Any] = {"primary_metric": values.get("primary") or "pass_rate",
                                "guardrails": guardrails}
    mde = _number(values.get("mde", ""), float, "mde")
    if mde is not None:
        analysis["mde"] = mde
    spec: dict[str, Any] = {
        "name": (values.get("name") or "").strip(),
        "suite": (values.get("suite") or "").strip(),
        "contexts": [c.strip() for c in (values.get("contexts") or "").split(",") if c.strip()],
        "trials": _number(values.get("trials", ""), int, "trials"),
        "seed": _number(values.get("seed", ""), int, "seed"),
        "concurrency": _number(values.get("concurrency", ""), int, "concurrency"),
        "budget_usd": _number(values.get("budget", ""), float, "budget"),
        "max_tasks": _number(values.get("max_tasks", ""), int, "max_tasks"),
        "baseline": _rel((values.get("baseline") or "").strip(), workdir, start)
        if (values.get("baseline") or "").strip() else "",
        "variants": variants,
        "analysis": analysis,
    }
    if values.get("mode") == "sequential":
        spec["sequential"] = {"enabled": True}
    spec = {k: v for k, v in spec.items() if v is not None}
    suite = spec.get("suite", "")
    if suite and _suite_is_path(suite):
        spec["suite"] = _rel(suite, workdir, start)
    return spec


def validate_form(values: dict[str, str], workdir: Path) -> ExperimentSpec:
    """The spec the form describes, with its config files checked; raises BadInput."""
    data = form_to_spec(values, workdir)
    spec: ExperimentSpec = validate_model(ExperimentSpec, data, FORM_SOURCE)
    base = workdir / spec.baseline
    if not base.is_file():
        raise BadInput(f"file not found: {spec.baseline}", file=FORM_SOURCE, field="baseline")
    load_agent_config(base)
    problem = planning.suite_problem(spec.suite, workdir)
    if problem is not None:
        raise BadInput(problem, file=FORM_SOURCE, field="suite")
    for i, v in enumerate(spec.variants):
        if v.config is not None:
            path = workdir / v.config
            if not path.is_file():
                raise BadInput(f"file not found: {v.config}", file=FORM_SOURCE, field=f"variants[{i}].config")
            read_mapping(path)
    return spec


def spec_to_form(spec_yaml: str, source_path: str | None, workdir: Path) -> dict[str, str]:
    """A stored experiment back into form values (paths made relative to ``workdir``)."""
    data = yaml.safe_load(spec_yaml) or {}
    base_dir = Path(source_path).parent if source_path else workdir
    start = workdir.resolve()

    def rel(p: str) -> str:
        return _rel(p, base_dir, start)

    variants = []
    for v in data.get("variants") or []:
        v = dict(v)
        if isinstance(v.get("config"), str):
            v["config"] = rel(v["config"])
        variants.append(v)
    analysis = data.get("analysis") or {}
    guards = ", ".join(f"{g['metric']}:{g.get('margin', 0)}" for g in analysis.get("guardrails") or [])
    suite = str(data.get("suite", "tamma-core"))
    return {
        "name": str(data.get("name", "")),
        "baseline": rel(str(data.get("baseline", ""))),
        "variants": yaml.safe_dump(variants, sort_keys=False) if variants else "",
        "suite": rel(suite) if _suite_is_path(suite) else suite,
        "contexts": ", ".join(data.get("contexts") or []),
        "max_tasks": str(data.get("max_tasks") or ""),
        "trials": str(data.get("trials", 1)),
        "concurrency": str(data.get("concurrency", 16)),
        "seed": str(data.get("seed", 0)),
        "budget": "" if data.get("budget_usd") is None else str(data["budget_usd"]),
        "guardrails": guards,
        "mde": "" if analysis.get("mde") is None else str(analysis["mde"]),
        "primary": analysis.get("primary_metric", "pass_rate"),
        "mode": "sequential" if (data.get("sequential") or {}).get("enabled") else "fixed",
        "save_path": os.path.relpath(source_path, workdir) if source_path else DEFAULTS["save_path"],
    }


class DesignerScreen(TammaScreen):
    TITLE = "Experiment designer"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="designer.save", priority=True),
        Binding("ctrl+l", "launch", "Launch", id="designer.launch", priority=True),
        Binding("ctrl+n", "reset", "Reset", id="designer.reset", priority=True),
        Binding("escape", "blur", "Leave field", id="designer.blur", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._spec: ExperimentSpec | None = None
        self._problem = ""
        self._check_timer = None
        self._own_file: Path | None = None  # the file this form was loaded from or saved to

    def compose(self) -> ComposeResult:
        yield NavBar("designer")
        with VerticalScroll(id="designer-form"):
            for key, label in TEXT_FIELDS[:2]:
                yield self._row(key, label)
            with Horizontal(classes="field-row"):
                yield Static("Variants (YAML)", classes="field-label")
                yield TextArea(DEFAULTS["variants"], id="f-variants", language=None, compact=True,
                               soft_wrap=False, show_line_numbers=False)
            for key, label in TEXT_FIELDS[2:9]:
                yield self._row(key, label)
            with Horizontal(classes="field-row"):
                yield Static("Primary metric", classes="field-label")
                yield Select([(m, m) for m in METRICS], value="pass_rate", id="f-primary",
                             allow_blank=False, compact=True)
            for key, label in TEXT_FIELDS[9:11]:
                yield self._row(key, label)
            with Horizontal(classes="field-row"):
                yield Static("Design", classes="field-label")
                yield Select([("fixed sample", "fixed"), ("sequential (stop early)", "sequential")],
                             value="fixed", id="f-mode", allow_blank=False, compact=True)
            yield self._row(*TEXT_FIELDS[11])
        yield Static("", id="validation")
        yield Static("", id="power")
        yield Footer()

    def _row(self, key: str, label: str) -> Horizontal:
        return Horizontal(
            Static(label, classes="field-label"),
            Input(DEFAULTS[key], id=f"f-{key}", placeholder=PLACEHOLDERS.get(key, ""), compact=True),
            classes="field-row",
        )

    def on_mount(self) -> None:
        # Typing goes into the form from the first key: an unfocused form would let the
        # "q" of "my quick test" quit the app.
        self.query_one("#f-name", Input).focus()
        self._schedule_check()

    # --- form values -----------------------------------------------------------------

    def values(self) -> dict[str, str]:
        out = {key: self.query_one(f"#f-{key}", Input).value for key, _ in TEXT_FIELDS}
        out["variants"] = self.query_one("#f-variants", TextArea).text
        out["primary"] = str(self.query_one("#f-primary", Select).value)
        out["mode"] = str(self.query_one("#f-mode", Select).value)
        return out

    def set_values(self, values: dict[str, str]) -> None:
        for key, _ in TEXT_FIELDS:
            self.query_one(f"#f-{key}", Input).value = values.get(key, "")
        self.query_one("#f-variants", TextArea).text = values.get("variants", "")
        if values.get("primary") in METRICS:
            self.query_one("#f-primary", Select).value = values["primary"]
        self.query_one("#f-mode", Select).value = values.get("mode", "fixed")
        self._schedule_check()

    def on_load_experiment(self, message: LoadExperiment) -> None:
        workdir, engine, experiment_id = self.services.workdir, self.engine, message.experiment_id
        self.background(
            lambda: spec_to_form(*browse.experiment_spec_yaml(engine, experiment_id), workdir),
            name="load experiment", on_done=self._loaded,
        )

    def _loaded(self, values: dict[str, str]) -> None:
        self.set_values(values)
        self._own_file = (self.services.workdir / values["save_path"]).resolve()

    # --- validation as you type ------------------------------------------------------

    def on_input_changed(self, _event: Input.Changed) -> None:
        self._schedule_check()

    def on_text_area_changed(self, _event: TextArea.Changed) -> None:
        self._schedule_check()

    def on_select_changed(self, _event: Select.Changed) -> None:
        self._schedule_check()

    def _schedule_check(self) -> None:
        # Wait for a pause in typing: validating on every key of a fast typist is waste.
        if self._check_timer is not None:
            self._check_timer.stop()
        self._check_timer = self.set_timer(0.15, self.check)

    def check(self) -> ExperimentSpec | None:
        validation = self.query_one("#validation", Static)
        try:
            spec = validate_form(self.values(), self.services.workdir)
        except BadInput as exc:
            self._spec = None
            self._problem = f"{exc.field + ': ' if exc.field else ''}{exc.reason}"
            validation.set_classes("-bad")
            validation.update(f"✗ {self._problem}")
            self.query_one("#power", Static).update("")
            return None
        self._spec = spec
        validation.set_classes("-ok")
        arms = 1 + len(spec.variants)
        validation.update(f"✓ valid: {arms} arms, {spec.trials} trial(s) per task.  "
                          "ctrl+s saves, ctrl+l launches.")
        self._power(spec)
        return spec

    def _power(self, spec: ExperimentSpec) -> None:
        workdir, power_line = self.services.workdir, self.services.power_line

        def compute() -> tuple[ExperimentSpec, str]:
            # A suite that cannot be read is a form problem, shown in place, not an error popup.
            try:
                n_tasks = planning.count_tasks(spec, workdir)
            except BadInput as exc:
                return spec, f"✗ suite: {exc.reason}"
            return spec, power_line(spec=spec, n_tasks=n_tasks)

        self.background(compute, name="power", on_done=self._show_power)

    def _show_power(self, result: tuple[ExperimentSpec, str]) -> None:
        spec, line = result
        if spec is self._spec:  # an older answer for a form that has changed since
            self.query_one("#power", Static).update(line)

    # --- save and launch -------------------------------------------------------------

    def _target(self) -> Path | None:
        """Where the form would be saved, when the form is valid; else None (and says why)."""
        spec = self.check()
        if spec is None:
            self.app.notify(f"Fix the form first: {self._problem}", severity="error")
            return None
        save_path = self.values()["save_path"].strip()
        if not save_path.endswith((".yaml", ".yml")):
            self.app.notify("Save as: the file name must end in .yaml", severity="error")
            return None
        return (self.services.workdir / save_path).resolve()

    def _then_save(self, then) -> None:
        """Save the form, asking first before replacing a file this form did not write;
        then call ``then(path)``."""
        target = self._target()
        if target is None:
            return
        if target.exists() and target != self._own_file:
            def answer(yes: bool | None) -> None:
                if yes:
                    then(self._write(target))

            self.app.push_screen(ConfirmScreen(f"{target.name} exists. Overwrite it?"), answer)
            return
        then(self._write(target))

    def _write(self, target: Path) -> Path:
        values = self.values()
        data = form_to_spec(values, self.services.workdir, target.parent)
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)  # all or nothing: never a half-written experiment file
        self._own_file = target
        return target

    def action_save(self) -> None:
        self._then_save(lambda path: self.app.notify(f"Saved {path}"))

    def action_launch(self) -> None:
        self._then_save(lambda path: self.post_message(LaunchExperiment(str(path))))

    def action_reset(self) -> None:
        def answer(yes: bool | None) -> None:
            if yes:
                self.set_values({**DEFAULTS, "primary": "pass_rate", "mode": "fixed"})
                self._own_file = None

        self.app.push_screen(ConfirmScreen("Reset the form to its defaults? Unsaved changes are lost."),
                             answer)

    def action_blur(self) -> None:
        self.set_focus(None)
