"""Configs: agents, each agent's version history, a version's canonical YAML, diffs."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Footer, Static

from tamma_tui.services import browse

from ..format import rich_color
from ..widgets.navbar import NavBar
from .base import AgentListScreen


def version_key(label: str) -> tuple:
    """A version label as something that sorts like a version: "1.10" after "1.9"."""
    import re

    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"[.\-+_]", label.lstrip("vV")))


def previous_version(versions: list, current):
    """The version before ``current`` by its version label (the newest stored copy of the
    highest lower label); versions without a lower label fall back to the one stored before.
    Storage order alone is not version order: an older file can be stored after a newer one."""
    below = [v for v in versions if version_key(v.version) < version_key(current.version)]
    if below:
        top = max(version_key(v.version) for v in below)
        return [v for v in below if version_key(v.version) == top][-1]
    same = [v for v in versions if v.version == current.version]
    index = next(i for i, v in enumerate(same) if v is current)
    return same[index - 1] if index > 0 else None


class ConfigsScreen(AgentListScreen):
    TITLE = "Configurations"
    NO_AGENTS = "No configurations stored yet. Running an experiment stores its configs."
    BINDINGS = [
        Binding("m", "mark", "Mark for diff", id="configs.mark"),
        Binding("d", "diff", "Diff", id="configs.diff"),
        Binding("y", "yaml", "YAML", id="configs.yaml"),
        Binding("t", "trends", "Trends", id="configs.trends"),
        Binding("r", "refresh", "Refresh", id="configs.refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._versions: list[browse.ConfigVersionView] = []
        self._marked: str | None = None

    def compose(self) -> ComposeResult:
        yield NavBar("configs")
        with Horizontal():
            with Vertical(id="configs-left"):
                yield Static("Agents", classes="section")
                agents = DataTable(id=self.AGENTS_TABLE, cursor_type="row")
                agents.add_column("Agent", key="agent", width=14)
                agents.add_column("Vers", key="n", width=4)
                agents.add_column("Model", key="model", width=16)
                yield agents
                yield Static("Versions  (m mark, d diff)", classes="section")
                versions = DataTable(id="versions", cursor_type="row")
                versions.add_column("", key="mark", width=1)
                versions.add_column("v", key="version", width=3)
                versions.add_column("sha256", key="sha", width=10)
                versions.add_column("Runs", key="runs", width=4)
                versions.add_column("Stored", key="created", width=11)
                yield versions
            with VerticalScroll(id="config-view"):
                yield Static("", id="config-text", markup=False)
        yield Footer()

    def agent_row(self, config: browse.ConfigSummary) -> tuple[str, ...]:
        return config.agent_id, str(config.n_versions), config.model

    def show_message(self, text: str) -> None:
        self._text(text)

    def load_agent(self, agent_id: str) -> None:
        self.background(browse.config_history, self.engine, agent_id, name="load versions",
                        on_done=self._show_versions)

    def _show_versions(self, versions: list[browse.ConfigVersionView]) -> None:
        self._versions = versions
        self._marked = None
        table = self.query_one("#versions", DataTable)
        table.clear()
        for v in versions:
            table.add_row("", v.version, v.sha256[:10], str(v.n_runs), v.created[5:], key=v.sha256)
        if versions:
            table.move_cursor(row=len(versions) - 1)
            self._show_yaml(versions[-1])

    def _current(self) -> browse.ConfigVersionView | None:
        table = self.query_one("#versions", DataTable)
        if not self._versions or table.cursor_row >= len(self._versions):
            return None
        return self._versions[table.cursor_row]

    def _text(self, text: str) -> None:
        self.query_one("#config-text", Static).update(text)

    def _show_yaml(self, version: browse.ConfigVersionView) -> None:
        head = (f"# {version.agent_id} v{version.version}  sha256 {version.sha256[:16]}…\n"
                f"# stored {version.created}" + (f" from {version.source_path}" if version.source_path else "")
                + f"; used by {version.n_runs} run(s)\n")
        self._text(head + version.canonical_yaml)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "versions":
            current = self._current()
            if current is not None:
                self._show_yaml(current)

    def action_yaml(self) -> None:
        current = self._current()
        if current is not None:
            self._show_yaml(current)

    def action_mark(self) -> None:
        current = self._current()
        if current is None:
            return
        table = self.query_one("#versions", DataTable)
        if self._marked:
            table.update_cell(self._marked, "mark", "")
        self._marked = None if self._marked == current.sha256 else current.sha256
        if self._marked:
            table.update_cell(self._marked, "mark", "*")
            self.notify(f"marked v{current.version}; move to another version and press d")

    def action_diff(self) -> None:
        current = self._current()
        if current is None:
            return
        if self._marked and self._marked != current.sha256:
            other = next(v for v in self._versions if v.sha256 == self._marked)
        else:
            other = previous_version(self._versions, current)
            if other is None:
                self.notify("the first version has nothing before it; mark one with m", severity="warning")
                return
        old, new = sorted((other, current), key=self._versions.index)
        diff = browse.diff_versions(old, new)
        if not diff:
            self._text("The two versions have the same canonical form.")
            return
        added, removed = rich_color(self.app, "success"), rich_color(self.app, "error")
        text = Text()
        for line in diff.splitlines(keepends=True):
            if line.startswith("+") and not line.startswith("+++"):
                text.append(line, style=added)
            elif line.startswith("-") and not line.startswith("---"):
                text.append(line, style=removed)
            else:
                text.append(line, style="bold" if line.startswith("@@") else "")
        self.query_one("#config-text", Static).update(text)

    def action_trends(self) -> None:
        if self._shown_agent:
            self.app.open_trends(self._shown_agent)
