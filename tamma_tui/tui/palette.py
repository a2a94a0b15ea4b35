"""Command palette: jump to runs, configurations and experiments, switch themes."""

from __future__ import annotations

import asyncio
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tamma_tui.services import browse


class JumpProvider(Provider):
    async def startup(self) -> None:
        app = self.app
        try:
            self._index = await asyncio.to_thread(browse.palette_index, app.services.db_engine)
        except Exception as exc:  # the palette must open even when the DB is unhappy
            app.report_error(exc, "command palette")
            self._index = browse.PaletteIndex((), (), ())

    def _commands(self):
        app = self.app
        for run in self._index.runs:
            yield (f"Run {run.id}: {run.name} ({run.status})", partial(app.open_run, run.id, "run"),
                   "open its trials and progress")
            yield (f"Significance of run {run.id}: {run.name}",
                   partial(app.open_run, run.id, "significance"), "comparisons and decision")
            yield (f"Compare run {run.id}: {run.name}", partial(app.open_run, run.id, "compare"),
                   "arm x context matrices")
        for cfg in self._index.configs:
            yield (f"Config {cfg.agent_id} ({cfg.n_versions} versions)",
                   partial(app.open_config, cfg.agent_id), "versions, YAML and diffs")
            yield (f"Trends of {cfg.agent_id}", partial(app.open_trends, cfg.agent_id),
                   "metrics across runs")
        for exp in self._index.experiments:
            yield (f"Experiment {exp.name} (#{exp.id})", partial(app.open_experiment, exp.id),
                   "load it into the designer")
        yield ("Community insights: preview, consent, send, standing",
               partial(app.action_go, "community"), "share a run's anonymised summary; your percentile")
        for name in sorted(app.available_themes):
            if name.startswith("tamma-"):
                yield (f"Theme: {name.removeprefix('tamma-')}", partial(app.set_theme, name),
                       "switch colours")

    async def discover(self) -> Hits:
        for text, command, help_text in self._commands():
            yield DiscoveryHit(text, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, command, help_text in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), command, help=help_text)
