"""Keep a DataTable in step with fresh rows by key, instead of clearing and rebuilding."""

from __future__ import annotations

from typing import Any, Sequence

from textual.widgets import DataTable


def sync_rows(table: DataTable, rows: Sequence[tuple[str, Sequence[Any]]]) -> None:
    """Make ``table`` hold exactly ``rows`` ((key, cells), in order).

    Same keys in the same order: only the cells that changed are updated, so the cursor
    and scroll position stay put. Otherwise the rows are rebuilt and the cursor follows
    its row's key when that row is still there.
    """
    current = [k.value for k in table.rows]
    wanted = [key for key, _ in rows]
    if current == wanted:
        columns = list(table.columns)
        for key, cells in rows:
            for column, new, old in zip(columns, cells, table.get_row(key)):
                if str(new) != str(old):
                    table.update_cell(key, column, new)
        return
    cursor_key = current[table.cursor_row] if 0 <= table.cursor_row < len(current) else None
    table.clear()
    for key, cells in rows:
        table.add_row(*cells, key=key)
    if cursor_key in wanted:
        table.move_cursor(row=wanted.index(cursor_key))
