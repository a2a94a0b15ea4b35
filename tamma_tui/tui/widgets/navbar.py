"""The bar above the footer: every screen's key, the current screen highlighted.

Footer space at 80 columns goes to the current screen's own keys; this bar always shows
how to reach every other screen, with the keys the keymap assigns.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class NavBar(Static):
    def __init__(self, active: str) -> None:
        super().__init__("", id="navbar")
        self.active = active

    def on_mount(self) -> None:
        self.refresh_keys()

    def refresh_keys(self) -> None:
        text = Text(no_wrap=True, overflow="crop")
        for mode, binding_id, label in self.app.nav_entries():
            keys = self.app.key_label(binding_id)
            style = "reverse bold" if mode == self.active else ""
            text.append(f" {keys} ", style=f"bold {style}".strip())
            text.append(f"{label} ", style=style)
        self.update(text)
