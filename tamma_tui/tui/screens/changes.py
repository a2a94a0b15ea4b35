"""Changes: the change requests (state, target, evidence), the change side by side, and its
audit events. Approve and reject ask for a reason; apply, verify and roll back ask first.
Every action calls the same service functions as ``tamma-bench changes``.

Also the dialog behind the Significance screen's "propose this winner".
"""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Input, Static

from tamma_tui.services import changes as change_service
from tamma_tui.services.audit import current_actor

from ..widgets.navbar import NavBar
from .base import TammaScreen
from .confirm import ConfirmScreen


def side_by_side(diff_text: str) -> list[tuple[str, str, str]]:
    """(before, after, kind) rows of a unified diff; kind: same | changed | hunk."""
    rows: list[tuple[str, str, str]] = []
    minus: list[str] = []
    plus: list[str] = []

    def flush() -> None:
        for i in range(max(len(minus), len(plus))):
            rows.append((minus[i] if i < len(minus) else "", plus[i] if i < len(plus) else "", "changed"))
        minus.clear()
        plus.clear()

    for line in diff_text.splitlines():
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            flush()
            rows.append((line, "", "hunk"))
        elif line.startswith("-"):
            minus.append(line[1:])
        elif line.startswith("+"):
            plus.append(line[1:])
        else:
            flush()
            rows.append((line[1:], line[1:], "same"))
    flush()
    return rows


def diff_table(diff_text: str) -> Table:
    table = Table(expand=True, show_edge=False, box=None, padding=(0, 1))
    table.add_column("before", ratio=1, overflow="fold")
    table.add_column("after", ratio=1, overflow="fold")
    for before, after, kind in side_by_side(diff_text):
        if kind == "hunk":
            table.add_row(Text(before, style="dim"), "")
        elif kind == "changed":
            table.add_row(Text(before, style="red"), Text(after, style="green"))
        else:
            table.add_row(before, after)
    return table


def evidence_lines(change: dict[str, Any]) -> list[str]:
    evidence = change.get("evidence") or {}
    if change.get("kind") == "rollback":
        return [f"Rollback of change {change.get('rolls_back_id')}.", f"Reason: {change.get('reason') or '–'}"]
    effect = evidence.get("effect") or {}
    lines = [f"Change {change['id']} ({change['state']}) of {change['target']} in {change['store']}"]
    if effect.get("diff") is not None:
        lines.append(f"Evidence: run {evidence.get('run_id')} {evidence.get('variant')} vs {evidence.get('baseline')}: "
                     f"{evidence.get('primary_metric')} {effect['diff']:+.4g} "
                     f"[{effect.get('ci_low') or 0:+.4g}, {effect.get('ci_high') or 0:+.4g}] {effect.get('direction')}")
    guards = evidence.get("guardrails") or []
    if guards:
        lines.append("Guardrails: " + ", ".join(
            f"{g['metric']} {'ok' if g['non_inferior'] else 'NOT shown'}" for g in guards))
    if not evidence.get("measured_on_live", True):
        lines.append("Measured on another config than the live one: approving needs force.")
    if change.get("reason"):
        lines.append(f"Reason: {change['reason']}")
    return lines


class ReasonScreen(ModalScreen[str | None]):
    """A question and a reason: Enter confirms with the reason typed, Escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="reason.cancel")]

    def __init__(self, question: str, placeholder: str = "reason") -> None:
        super().__init__()
        self._question = question
        self._placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(self._question, classes="title")
            yield Input(placeholder=self._placeholder, id="reason-input")
            yield Static("Enter: confirm   Esc: cancel", classes="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())
        else:
            self.app.notify("a reason is required", severity="warning")

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChangesScreen(TammaScreen):
    TITLE = "Changes"
    BINDINGS = [
        Binding("a", "approve", "Approve", id="changes.approve"),
        Binding("x", "reject", "Reject", id="changes.reject"),
        Binding("p", "apply", "Apply", id="changes.apply"),
        Binding("v", "verify", "Verify", id="changes.verify"),
        Binding("b", "rollback", "Roll back", id="changes.rollback"),
        Binding("r", "refresh", "Refresh", id="changes.refresh", show=False),
    ]
    DEFAULT_CSS = """
    ChangesScreen #change-list { width: 30; }
    ChangesScreen #change-evidence { height: auto; max-height: 5; }
    ChangesScreen #change-diff { height: 1fr; }
    ChangesScreen #change-events { height: 5; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._changes: list[dict[str, Any]] = []
        self._current: dict[str, Any] | None = None

    def compose(self) -> ComposeResult:
        yield NavBar("changes")
        with Horizontal():
            table = DataTable(id="change-list", cursor_type="row")
            table.add_column("#", key="id", width=3)
            table.add_column("State", key="state", width=11)
            table.add_column("Target", key="target", width=11)
            yield table
            with Vertical():
                yield Static("", id="change-evidence")
                with VerticalScroll(id="change-diff"):
                    yield Static("", id="change-diff-text")
                yield Static("", id="change-events")
        yield Footer()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    # -- loading -------------------------------------------------------------------------

    def action_refresh(self) -> None:
        self.background(change_service.list_changes, self.engine, name="load changes", on_done=self._show_list)

    def _show_list(self, changes: list[dict[str, Any]]) -> None:
        self._changes = changes
        table = self.query_one("#change-list", DataTable)
        keep = self._current["id"] if self._current else None
        table.clear()
        for change in changes:
            table.add_row(str(change["id"]), change["state"], change["target"], key=str(change["id"]))
        if not changes:
            self._current = None
            self.query_one("#change-evidence", Static).update(
                "No change requests yet. Propose a winner from the Significance screen (w) or with "
                "`tamma-bench changes propose RUN --variant NAME --store STORE`.")
            self.query_one("#change-diff-text", Static).update("")
            self.query_one("#change-events", Static).update("")
            return
        ids = [c["id"] for c in changes]
        wanted = keep if keep in ids else ids[-1]
        table.move_cursor(row=ids.index(wanted))
        self._load(wanted)

    def _load(self, change_id: int) -> None:
        self.background(change_service.show, self.engine, change_id, name="load change", on_done=self._show_change)

    def _show_change(self, change: dict[str, Any]) -> None:
        self._current = change
        self.query_one("#change-evidence", Static).update(Text("\n".join(evidence_lines(change))))
        self.query_one("#change-diff-text", Static).update(
            diff_table(change["diff"]) if change["diff"] else Text("(no difference)"))
        events = [f"#{e['seq']} {e['at'][5:16]} {e['actor']} {e['action'].removeprefix('change.')}"
                  + (f": {e['reason']}" if e["reason"] else "") for e in change["events"]]
        self.query_one("#change-events", Static).update(Text("\n".join(events[-5:]) or "no events"))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "change-list" and event.row_key.value is not None:
            change_id = int(event.row_key.value)
            if not self._current or self._current["id"] != change_id:
                self._load(change_id)

    # -- actions -------------------------------------------------------------------------

    def _act(self, fn, name: str, **kwargs) -> None:
        change_id = self._current["id"]

        def done(result: dict[str, Any]) -> None:
            verdict = result.get("verdict")
            self.app.notify(f"change {result['id']}: {result['state']}" + (f" ({verdict})" if verdict else ""))
            self._current = {"id": change_id}
            self.action_refresh()

        self.background(fn, self.engine, change_id, actor=current_actor(), name=name, on_done=done, **kwargs)

    def _with_reason(self, question: str, fn, name: str, **kwargs) -> None:
        if not self._current:
            return

        def answered(reason: str | None) -> None:
            if reason:
                self._act(fn, name, reason=reason, **kwargs)

        self.app.push_screen(ReasonScreen(question), answered)

    def _confirmed(self, question: str, fn, name: str, **kwargs) -> None:
        if not self._current:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._act(fn, name, **kwargs)

        self.app.push_screen(ConfirmScreen(question), answered)

    def action_approve(self) -> None:
        if self._current:
            self._with_reason(f"Approve change {self._current['id']}? Give a reason.", change_service.approve, "approve")

    def action_reject(self) -> None:
        if self._current:
            self._with_reason(f"Reject change {self._current['id']}? Give a reason.", change_service.reject, "reject")

    def action_rollback(self) -> None:
        if self._current:
            self._with_reason(f"Roll back change {self._current['id']}? Give a reason.", change_service.rollback,
                              "rollback")

    def action_apply(self) -> None:
        if self._current:
            self._confirmed(f"Apply change {self._current['id']} to {self._current['store']}?",
                            change_service.apply, "apply")

    def action_verify(self) -> None:
        if self._current:
            self._confirmed(f"Verify change {self._current['id']} with a canary run? It rolls back by itself "
                            "if the primary metric or a guardrail fails.", change_service.verify, "verify")


class ProposeWinnerScreen(ModalScreen[str | None]):
    """Significance's "propose this winner": asks for the store and proposes the change."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="propose.cancel")]

    def __init__(self, run_id: int, variant: str, store_hint: str) -> None:
        super().__init__()
        self.run_id, self.variant, self.store_hint = run_id, variant, store_hint

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(f"Propose {self.variant} (run {self.run_id}) as a change. Store:", classes="title")
            yield Input(value=self.store_hint, placeholder="tamma-file:PATH, tamma-api:URL or dir:PATH",
                        id="store-input")
            yield Static("Enter: propose   Esc: cancel", classes="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


def propose_winner(screen: TammaScreen, run_id: int, variant: str) -> None:
    """Ask for the store, propose, and open the Changes screen on the new change."""

    def proposed(result: dict[str, Any]) -> None:
        screen.app.notify(f"change {result['id']} proposed")
        screen.app.action_go("changes")

    def answered(store: str | None) -> None:
        if store:
            screen.background(change_service.propose, screen.engine, run_id, variant, store,
                              actor=current_actor(), name="propose", on_done=proposed)

    hint = change_service.suggested_store(screen.engine, run_id)
    screen.app.push_screen(ProposeWinnerScreen(run_id, variant, hint), answered)
