"""Shared helpers for the app's Pilot tests."""

from __future__ import annotations


async def settle(pilot, rounds: int = 3) -> None:
    """Let workers finish and their results reach the widgets."""
    for _ in range(rounds):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def table_column(table, column_key: str) -> list[str]:
    return [str(table.get_cell(row_key, column_key)) for row_key in table.rows]


def static_text(widget) -> str:
    """The plain text a Static shows."""
    return str(widget.render())


async def run_palette_command(pilot, text: str) -> None:
    """Open the command palette (ctrl+p), type ``text`` and run the best hit."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*text)
    await pilot.pause(0.5)  # the palette searches in the background
    await pilot.press("enter")
