"""The Tamma Bench terminal app: presentation only, on top of the shared services."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive

from tamma_tui.config.errors import BadInput

from .palette import JumpProvider
from .messages import LaunchExperiment, LoadExperiment, OpenConfig, OpenExperiment, OpenRun, StartRun
from .themes import DEFAULT_THEME, load_themes, resolve_theme_name

log = logging.getLogger("tamma_tui.tui")


def _default_report(engine, run_id: int, **options) -> dict[str, Any]:
    from tamma_tui.services.reports import report_for_run

    return report_for_run(engine, run_id, **options)


def _default_run(path, **kwargs):
    # The engine gets its own process: its CPU work never competes with the app's keys.
    from tamma_tui.services.live import run_in_process

    return run_in_process(path, **kwargs)


def _default_power_line(*args, **kwargs) -> str:
    from tamma_tui.analysis.planning import power_line

    return power_line(*args, **kwargs)


@dataclass
class AppServices:
    """Everything the app reaches outside itself. Tests pass a temp database here."""

    db_engine: Any
    report_for_run: Callable[..., dict[str, Any]] = _default_report
    run_experiment: Callable[..., Any] = _default_run
    power_line: Callable[..., str] = _default_power_line
    workdir: Path = field(default_factory=Path.cwd)  # where the designer saves experiments

    @property
    def db_url(self) -> str:
        return self.db_engine.url.render_as_string(hide_password=False)


def _screen(module: str, cls: str) -> Callable[[], Any]:
    """A mode's screen factory that imports its module only when the mode is first shown."""

    def make():
        from importlib import import_module

        return getattr(import_module(f"{__package__}.screens.{module}"), cls)()

    make.__qualname__ = f"{cls}.factory"
    return make


#: The app's screens: (key, mode, footer label, factory). Adding a screen is one line here.
SCREENS: tuple[tuple[str, str, str, Callable[[], Any]], ...] = (
    ("1", "home", "Home", _screen("home", "HomeScreen")),
    ("2", "configs", "Configs", _screen("configs", "ConfigsScreen")),
    ("3", "designer", "Design", _screen("designer", "DesignerScreen")),
    ("4", "run", "Run", _screen("run", "RunScreen")),
    ("5", "compare", "Compare", _screen("compare", "CompareScreen")),
    ("6", "significance", "Significance", _screen("significance", "SignificanceScreen")),
    ("7", "trends", "Trends", _screen("trends", "TrendsScreen")),
    ("8", "changes", "Changes", _screen("changes", "ChangesScreen")),
    ("0", "community", "Community", _screen("community", "CommunityScreen")),
)


#: Keys the widgets themselves handle, listed in F1 beside the bindings.
WIDGET_KEYS: tuple[tuple[str, str, str], ...] = (
    ("Enter", "Open the highlighted row", "(table)"),
    ("Tab, Shift+Tab", "Next / previous table or field", "(focus)"),
    ("↑↓, PgUp/PgDn", "Move in a table", "(table)"),
)


class TammaApp(App):
    CSS_PATH = "styles/app.tcss"
    TITLE = "Tamma Bench"
    COMMANDS = App.COMMANDS | {JumpProvider}
    COMMAND_PALETTE_BINDING = "ctrl+p"

    MODES = {mode: factory for _key, mode, _label, factory in SCREENS}
    BINDINGS = [
        *(Binding(key, f"go({mode!r})", label, id=f"go.{mode}", show=False)
          for key, mode, label, _factory in SCREENS),
        Binding("f1", "help", "Help", id="app.help"),
        # The table keys docs/tui.md promises, for every DataTable (the virtual trial table
        # has its own). Priority, so DataTable's horizontal Home/End do not win; the action
        # steps aside (SkipAction) when the focus is not on a DataTable, e.g. in a field.
        Binding("j", "table('cursor_down')", "Down", id="tables.down", show=False, priority=True),
        Binding("k", "table('cursor_up')", "Up", id="tables.up", show=False, priority=True),
        Binding("home,g", "table('scroll_top')", "First row", id="tables.first", show=False,
                priority=True),
        Binding("end,G", "table('scroll_bottom')", "Last row", id="tables.last", show=False,
                priority=True),
        Binding("h", "table('scroll_left')", "Scroll left", id="tables.left", show=False, priority=True),
        Binding("l", "table('scroll_right')", "Scroll right", id="tables.right", show=False,
                priority=True),
        Binding("q", "quit", "Quit", id="app.quit", show=False),
    ]

    #: The run the run/compare/significance screens show; the config trends show.
    run_id: reactive[int | None] = reactive(None)
    agent_id: reactive[str | None] = reactive(None)

    def __init__(
        self,
        services: AppServices,
        *,
        theme: str | None = None,
        keymap: dict[str, str] | None = None,
        start_mode: str = "home",
        run_id: int | None = None,
    ) -> None:
        super().__init__()
        self.services = services
        self._themes = load_themes()
        self._requested_theme = theme
        self._initial_keymap = keymap or {}
        self._start_mode = start_mode
        self.set_reactive(TammaApp.run_id, run_id)
        self._reports: dict[int, tuple[tuple, dict[str, Any]]] = {}  # run id -> (stamp, report)
        self._prefetch: tuple[int, Any] | None = None  # (run id, Future of the run screen's data)
        self._executor = None  # one prefetch thread, started on first use

    # --- start -----------------------------------------------------------------------

    def on_mount(self) -> None:
        for theme in self._themes:
            self.register_theme(theme)
        names = {t.name for t in self._themes}
        self.theme = resolve_theme_name(self._requested_theme, names) if names else "textual-dark"
        if self._initial_keymap:
            self.set_keymap(self._initial_keymap)
        self.switch_mode(self._start_mode)

    # --- navigation ------------------------------------------------------------------

    def action_go(self, mode: str) -> None:
        if self.current_mode != mode:
            self.switch_mode(mode)

    def open_run(self, run_id: int, mode: str = "run") -> None:
        if mode == "run":
            self._start_prefetch(run_id)
        self.run_id = run_id
        self.action_go(mode)

    def _start_prefetch(self, run_id: int) -> None:
        """Load a run's rows while its screen is being built (the two take similar time).
        The run screen takes the result, or drops it when it does not need it."""
        from concurrent.futures import ThreadPoolExecutor

        from .screens.run import load_run_view

        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tamma-prefetch")
        self._prefetch = (run_id, self._executor.submit(load_run_view, self.services.db_engine, run_id))

    def take_prefetch(self, run_id: int | None):
        """The prefetched data of ``run_id`` (a Future), if any; the slot is emptied either way."""
        pending, self._prefetch = self._prefetch, None
        return pending[1] if pending is not None and pending[0] == run_id else None

    def open_config(self, agent_id: str) -> None:
        self.agent_id = agent_id
        self.action_go("configs")

    def open_trends(self, agent_id: str) -> None:
        self.agent_id = agent_id
        self.action_go("trends")

    def open_experiment(self, experiment_id: int) -> None:
        self.action_go("designer")
        self.mode_screen().post_message(LoadExperiment(experiment_id))

    def set_theme(self, name: str) -> None:
        self.theme = name

    def launch(self, path: str | None, resume: int | None = None) -> None:
        self.action_go("run")
        self.mode_screen().post_message(StartRun(path, resume))

    def mode_screen(self):
        """The current mode's own screen (under any modal): the one a directed message is for.
        A screen that is not mounted yet queues the message and handles it once it is."""
        return self.screen_stack[0]

    def on_open_run(self, message: OpenRun) -> None:
        self.open_run(message.run_id, message.mode)

    def on_open_config(self, message: OpenConfig) -> None:
        self.open_config(message.agent_id)

    def on_open_experiment(self, message: OpenExperiment) -> None:
        self.open_experiment(message.experiment_id)

    def on_launch_experiment(self, message: LaunchExperiment) -> None:
        self.launch(message.path, message.resume)

    def report(self, run_id: int, stamp: tuple) -> dict[str, Any]:
        """The run's report, computed once per state of the run (``stamp``: its status and
        trial count), so Home, Compare and Significance share one computation.
        Called from worker threads; a dict assignment is atomic, the worst case is one
        duplicate computation."""
        cached = self._reports.get(run_id)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        report = self.services.report_for_run(self.services.db_engine, run_id)
        self._reports[run_id] = (stamp, report)
        return report

    def nav_entries(self) -> list[tuple[str, str, str]]:
        """(mode, binding id, label) of the screen-switching bindings, in order."""
        out = []
        for b in self.BINDINGS:
            if b.id and b.id.startswith("go."):
                out.append((b.id.removeprefix("go."), b.id, b.description))
        return out

    def key_label(self, binding_id: str) -> str:
        """The key(s) a binding answers to now (after the keymap), as the footer shows them."""
        default = next((b.key for b in self.BINDINGS if b.id == binding_id), "")
        keys = self._keymap.get(binding_id, default)
        return "/".join(self.get_key_display(Binding(k, "")) for k in keys.split(","))

    async def action_quit(self) -> None:
        """Quit; with a run in progress, ask first, then cancel it (finished trials are
        kept) and leave once it has stopped."""
        run_screen = self._live_run_screen()
        if run_screen is None:
            self.exit()
            return
        from .screens.confirm import ConfirmScreen

        def answer(yes: bool | None) -> None:
            if yes:
                self.notify("Cancelling the run; finished trials are kept. Quitting when it stops.")
                run_screen.cancel_then(self.exit)

        self.push_screen(ConfirmScreen("A run is in progress. Cancel it and quit? Finished trials "
                                       "are kept; R on the Run screen resumes it later."), answer)

    def _live_run_screen(self):
        stack = self._screen_stacks.get("run")
        screen = stack[0] if stack else None
        return screen if screen is not None and getattr(screen, "live", False) else None

    def action_table(self, action: str) -> None:
        from textual.actions import SkipAction
        from textual.widgets import DataTable

        table = self.focused
        if not isinstance(table, DataTable):
            raise SkipAction()  # the key goes on to the focused widget (a field types it)
        getattr(table, f"action_{action}")()

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.binding_rows()))

    def binding_rows(self) -> list[tuple[str, str, str]]:
        """(keys, description, id) of every binding reachable from the current screen."""
        found: dict[str, tuple[list[str], str]] = {}
        for _key, active in self.screen.active_bindings.items():
            b = active.binding
            if not b.id or b.system:
                continue
            keys, _ = found.setdefault(b.id, ([], b.description or b.action))
            display = self.get_key_display(b)
            if display not in keys:
                keys.append(display)
        rows = [(", ".join(keys), desc, bid) for bid, (keys, desc) in found.items()]
        return rows + [row for row in WIDGET_KEYS if row[2] not in found]

    # --- errors ----------------------------------------------------------------------

    def report_error(self, exc: BaseException | None, where: str) -> None:
        """The one way a failure reaches the user: a notification and a log line."""
        if isinstance(exc, BadInput):
            text = str(exc)
        else:
            text = f"{type(exc).__name__}: {exc}" if exc is not None else "failed"
        log.error("%s: %s", where, text, exc_info=exc if not isinstance(exc, BadInput) else None)
        self.log.error(f"{where}: {text}")
        self.notify(text, title=f"{where} failed", severity="error", timeout=8)


def all_binding_ids() -> set[str]:
    """Every binding id in the app, for validating keymap files."""
    from .screens import community, compare, configs, designer, help, home, run, significance, trends
    from .widgets.vtable import VirtualTable

    classes = [
        TammaApp, VirtualTable, home.HomeScreen, configs.ConfigsScreen, designer.DesignerScreen,
        run.RunScreen, compare.CompareScreen, compare.AnswersScreen,
        significance.SignificanceScreen, trends.TrendsScreen, help.HelpScreen,
        community.CommunityScreen,
    ]
    ids = set()
    for cls in classes:
        for b in cls.BINDINGS:
            if isinstance(b, Binding) and b.id:
                ids.add(b.id)
    return ids


__all__ = ["AppServices", "TammaApp", "all_binding_ids", "DEFAULT_THEME"]
