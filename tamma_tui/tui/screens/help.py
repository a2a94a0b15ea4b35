"""F1: every key that works here, with the binding id a keymap file uses to remap it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static



class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close", id="help.close")]

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self._rows = rows

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Static("Keys  (Esc closes; ctrl+p opens the command palette)", classes="title")
            table = DataTable(id="help-table", cursor_type="row", zebra_stripes=True)
            for label, width in (("Key", 14), ("Action", 26), ("Binding id", 24)):
                table.add_column(label, width=width)
            for keys, description, binding_id in self._rows:
                table.add_row(keys, description, binding_id)
            yield table
            yield Static(
                "Remap keys with a YAML keymap (binding id: keys): --keymap FILE, "
                "$TAMMA_BENCH_KEYMAP, or keymap.yaml in the user config folder.",
                classes="muted",
            )

    def action_dismiss(self) -> None:
        self.dismiss(None)
