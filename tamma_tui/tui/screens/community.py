"""Community: preview what a run would share, consent, send, and read where your configs
stand in the published (differentially private) aggregate. Every action calls the same
service the CLI calls (``services.sharing``)."""

from __future__ import annotations

import json

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Input, Label, Static

from tamma_tui.services import sharing as sharing_service

from ..widgets.navbar import NavBar
from .base import TammaScreen
from .confirm import ConfirmScreen

DEFAULT_ENDPOINT = "http://127.0.0.1:8765"


class CommunityScreen(TammaScreen):
    TITLE = "Community"
    BINDINGS = [
        Binding("p", "preview", "Preview", id="community.preview"),
        Binding("c", "grant", "Consent", id="community.grant"),  # g is every table's first row
        Binding("s", "send", "Send", id="community.send"),
        Binding("i", "insights", "Insights", id="community.insights"),
        Binding("v", "revoke", "Revoke", id="community.revoke"),
    ]
    DEFAULT_CSS = """
    CommunityScreen #community-form { height: 3; }
    CommunityScreen #community-form Input { width: 1fr; }
    CommunityScreen #community-form Label { padding: 1 1 0 1; }
    CommunityScreen #community-preview { height: 1fr; }
    CommunityScreen #community-standing { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield NavBar("community")
        with Vertical():
            yield Static("", id="community-consent", classes="section")
            with Horizontal(id="community-form"):
                yield Label("Suite")
                yield Input("tamma-core", id="community-suite")
                yield Label("Endpoint")
                yield Input(DEFAULT_ENDPOINT, id="community-endpoint")
            yield Static("What would leave (p): nothing is sent by a preview", classes="section")
            preview = DataTable(id="community-preview", cursor_type="row")
            for label, key, width in (("Field", "field", 44), ("Value", "value", 18), ("Rule", "rule", 60)):
                preview.add_column(label, key=key, width=width)
            yield preview
            yield Static("Your standing (i)", id="community-release", classes="section")
            standing = DataTable(id="community-standing", cursor_type="row")
            for label, key, width in (("Arm", "arm", 12), ("Run", "run", 5), ("Context", "context", 12),
                                      ("Family", "family", 10), ("Pass", "pass", 5), ("Pct", "pct", 5),
                                      ("95% interval", "interval", 13), ("Cohort~", "cohort", 8)):
                standing.add_column(label, key=key, width=width)
            yield standing
        yield Footer()

    def on_mount(self) -> None:
        # The keys act from the tables; Tab reaches the two inputs.
        self.query_one("#community-preview", DataTable).focus()

    def on_screen_resume(self) -> None:
        self.background(sharing_service.show_consent, name="load consent", on_done=self._show_consent)

    # --- inputs ------------------------------------------------------------------------
    @property
    def suite(self) -> str:
        return self.query_one("#community-suite", Input).value.strip()

    @property
    def endpoint(self) -> str:
        return self.query_one("#community-endpoint", Input).value.strip()

    def _show_consent(self, record) -> None:
        box = self.query_one("#community-consent", Static)
        if record is None:
            box.update("No consent given: previews work, nothing can be sent (g to grant).")
            return
        state = f"revoked {record.revoked_at}" if record.revoked_at else f"until {record.expires_at}"
        box.update(f"Consent {record.id[:8]} to {record.endpoint} for {', '.join(record.suites)}: "
                   f"{state} ({record.method})")
        if not record.revoked_at and self.endpoint == DEFAULT_ENDPOINT:
            self.query_one("#community-endpoint", Input).value = record.endpoint

    # --- actions -----------------------------------------------------------------------
    def action_preview(self) -> None:
        run_id = self.app.run_id
        if run_id is None:
            self.notify("Open a run first (Home or the command palette).", severity="warning")
            return
        self.background(sharing_service.preview, self.engine, run_id, name="share preview",
                        on_done=self._show_preview)

    def _show_preview(self, result) -> None:
        table = self.query_one("#community-preview", DataTable)
        table.clear()
        for path, value, rule in result.rows:
            table.add_row(path, json.dumps(value), rule, key=path)

    def action_grant(self) -> None:
        from tamma_tui.sharing.consent import normalise_endpoint

        try:
            endpoint = normalise_endpoint(self.endpoint)
        except Exception as exc:  # noqa: BLE001 - shown, not raised
            self.app.report_error(exc, "consent")
            return
        suite = self.suite
        question = (f"Consent for 12 months to send anonymised summaries of {suite} to {endpoint}? "
                    "Only the fields a preview shows ever leave.")

        def answered(yes: bool | None) -> None:
            if yes:
                self.background(sharing_service.grant_consent, endpoint=endpoint, suites=[suite],
                                fields=["pass_rate", "score", "error_rate", "latency_s", "cost_usd",
                                        "tokens", "temperature", "tool_count", "trial_count"],
                                db=self.app.services.db_engine, method="interactive terminal", name="consent", on_done=self._show_consent)

        self.app.push_screen(ConfirmScreen(question), answered)

    def action_send(self) -> None:
        run_id = self.app.run_id
        if run_id is None:
            self.notify("Open a run first.", severity="warning")
            return
        self.background(sharing_service.send, self.engine, run_id, self.endpoint, name="share send",
                        on_done=lambda r: self.notify(
                            f"Sent run {r.run_id}: {r.records} record(s), envelope {r.envelope_id[:8]}"))

    def action_insights(self) -> None:
        self.background(sharing_service.insights, self.engine, self.suite, self.endpoint,
                        name="insights", on_done=self._show_standing)

    def _show_standing(self, result) -> None:
        release, rows = result
        self.query_one("#community-release", Static).update(
            f"Your standing in {release['suite']} (release {str(release['release_id'])[:8]}: "
            f"{len(release['cohorts'])} cohort(s) published at tau {release['tau']}, epsilon "
            f"{release['epsilon']['histogram']} per histogram{', from cache' if release.get('cached') else ''})")
        table = self.query_one("#community-standing", DataTable)
        table.clear()
        for r in rows:
            if r.percentile is None:
                cells = ("–", "not published", "–")
            else:
                cells = (f"{r.percentile:.0f}", f"{r.low:.0f}–{r.high:.0f}", str(r.cohort_size))
            table.add_row(r.arm, str(r.run_id), r.context, r.model_family, f"{r.pass_rate:.2f}", *cells,
                          key=f"{r.config}/{r.context}")

    def action_revoke(self) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.background(sharing_service.revoke_consent, db=self.app.services.db_engine, name="revoke",
                                on_done=lambda r: (self.notify(f"Consent revoked; {r.deletion}"),
                                                   self.on_screen_resume()))

        self.app.push_screen(ConfirmScreen("Revoke consent, purge queued bundles and ask the "
                                           "platform to delete your records?"), answered)
