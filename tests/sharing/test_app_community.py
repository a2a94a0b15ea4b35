"""The app's Community screen drives the same path: preview, consent (asked), send, standing."""

from __future__ import annotations

import pytest

pytest.importorskip("opendp", reason="the share-server needs OpenDP (pip install 'tamma-bench[server]')")

from tamma_tui.sharing import consent as consent_mod  # noqa: E402
from tamma_tui.store.db import open_database  # noqa: E402
from tamma_tui.tui.app import AppServices, TammaApp  # noqa: E402
from tests.tui.tui_helpers import settle  # noqa: E402

from .helpers import make_run, share_server  # noqa: E402


async def test_community_screen_preview_consent_send_and_standing(tmp_path):
    engine = open_database(tmp_path / "t.db")
    run_id = make_run(tmp_path / "t.db")
    with share_server(tmp_path / "srv.db", k=0, eps_count=2.0) as server:  # tau = 14
        app = TammaApp(AppServices(db_engine=engine, workdir=tmp_path), run_id=run_id, start_mode="community")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.screen.query_one("#community-endpoint").value = server.url
            await pilot.press("p")
            await settle(pilot)
            preview = app.screen.query_one("#community-preview")
            assert preview.row_count > 20 and server.requests_seen == 0

            await pilot.press("c")
            await pilot.pause()
            await pilot.press("y")
            await settle(pilot)
            for _ in range(50):  # the grant (and its audit event) is written by a worker
                if consent_mod.load() is not None:
                    break
                await pilot.pause(0.1)
            record = consent_mod.load()
            assert record.method == "interactive terminal" and record.endpoint == server.url

            await pilot.press("s")
            await settle(pilot)
            assert len(server.aggregator.store.contributions("tamma-core")) == 3

            await pilot.press("i")
            await settle(pilot)
            standing = app.screen.query_one("#community-standing")
            assert standing.row_count == 6  # two configs x three contexts
            assert "release" in str(app.screen.query_one("#community-release").render())


def test_community_screen_snapshot(snap_compare, tmp_path):
    """80x24 before any action (pseudonyms are per install, so a preview is not snapshotted).
    Regenerate with --snapshot-update after an intended visual change."""
    from tests.tui.test_snapshots import _settled

    app = TammaApp(AppServices(db_engine=open_database(tmp_path / "t.db"), workdir=tmp_path),
                   start_mode="community")
    assert snap_compare(app, terminal_size=(80, 24), run_before=_settled)
