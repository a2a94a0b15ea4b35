"""A virtual table for tens of thousands of rows.

Textual's DataTable measures every cell of every row after an update, which costs seconds
at 20,000 trials. This table has fixed column widths and renders only the lines on screen
(the Line API), so opening a run and moving through it cost the same at 100 rows and at
100,000. Rows are addressed by key: appending never rebuilds the table.
"""

from __future__ import annotations

from typing import Hashable, Sequence

from rich.cells import set_cell_size
from rich.segment import Segment
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip


class VirtualTable(ScrollView, can_focus=True):
    """Fixed-width columns, one optional style class per row.

    Rows are stored as given; with a ``formatter`` (raw row -> (cells, style class)) they
    are formatted only when drawn, so loading 20,000 rows costs no formatting at all.
    Without one, a row is its cells and has no style class.
    """

    COMPONENT_CLASSES = {
        "vtable--header",
        "vtable--cursor",
        "vtable--good",
        "vtable--bad",
        "vtable--error",
    }
    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="table.up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="table.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="table.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="table.page_down"),
        Binding("home,g", "jump(0)", "First", show=False, id="table.first"),
        Binding("end,G", "jump(-1)", "Last", show=False, id="table.last"),
        Binding("enter", "select", "Open", show=False, id="table.select"),
        Binding("left,h", "scroll_columns(-8)", "Scroll left", show=False, id="table.left"),
        Binding("right,l", "scroll_columns(8)", "Scroll right", show=False, id="table.right"),
    ]

    cursor_row: reactive[int] = reactive(0, always_update=True)

    class RowHighlighted(Message):
        def __init__(self, table: "VirtualTable", index: int, key: Hashable | None) -> None:
            super().__init__()
            self.table = table
            self.index = index
            self.key = key

    class RowSelected(RowHighlighted):
        pass

    def __init__(
        self,
        columns: Sequence[tuple[str, int]],
        *,
        follow: bool = False,
        formatter=None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.columns = list(columns)
        self.follow = follow  # keep the newest row in view while rows are appended
        self._formatter = formatter
        self._rows: list[tuple] = []
        self._keys: list[Hashable | None] = []
        self._index: dict[Hashable, int] = {}
        self._width = sum(w for _, w in self.columns) + len(self.columns) - 1

    # --- data ------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._rows)

    def row(self, index: int) -> tuple[str, ...]:
        """The cells shown for a row."""
        return self._cells(index)[0]

    def _cells(self, index: int) -> tuple[tuple[str, ...], str | None]:
        raw = self._rows[index]
        return self._formatter(raw) if self._formatter is not None else (raw, None)

    def key_at(self, index: int) -> Hashable | None:
        return self._keys[index] if 0 <= index < len(self._keys) else None

    def index_of(self, key: Hashable) -> int | None:
        return self._index.get(key)

    def clear(self) -> None:
        self._rows, self._keys, self._index = [], [], {}
        self.cursor_row = 0
        self._resize()

    def set_rows(self, rows: list[tuple], keys: list[Hashable] | None = None) -> None:
        """Replace everything (one assignment, no per-row work beyond the key index)."""
        self._rows = rows
        self._keys = keys if keys is not None else [None] * len(rows)
        self._index = {k: i for i, k in enumerate(self._keys) if k is not None}
        self.cursor_row = min(self.cursor_row, max(len(rows) - 1, 0))
        self._resize()

    def append_rows(self, rows: Sequence[tuple], keys: Sequence[Hashable] | None = None) -> None:
        start = len(self._rows)
        at_end = self.cursor_row >= start - 1
        self._rows.extend(rows)
        new_keys = list(keys) if keys is not None else [None] * len(rows)
        self._keys.extend(new_keys)
        for offset, key in enumerate(new_keys):
            if key is not None:
                self._index[key] = start + offset
        self._resize()
        if self.follow and at_end and self._rows:
            self.cursor_row = len(self._rows) - 1

    def _resize(self) -> None:
        self.virtual_size = Size(self._width, len(self._rows) + 1)
        self.refresh()

    # --- cursor ----------------------------------------------------------------------

    @property
    def _visible_rows(self) -> int:
        return max(self.scrollable_content_region.height - 1, 1)

    def watch_cursor_row(self, old: int, new: int) -> None:
        if not self._rows:
            return
        clamped = max(0, min(new, len(self._rows) - 1))
        if clamped != new:
            self.cursor_row = clamped
            return
        top = int(self.scroll_offset.y)
        if new < top:
            self.scroll_to(y=new, animate=False, immediate=True)
        elif new >= top + self._visible_rows:
            self.scroll_to(y=new - self._visible_rows + 1, animate=False, immediate=True)
        self.refresh()
        self.post_message(self.RowHighlighted(self, new, self.key_at(new)))

    def move_to(self, index: int) -> None:
        self.cursor_row = index if index >= 0 else len(self._rows) + index

    def action_cursor(self, delta: int) -> None:
        self.move_to(max(self.cursor_row + delta, 0))

    def action_page(self, direction: int) -> None:
        self.move_to(max(self.cursor_row + direction * self._visible_rows, 0))

    def action_jump(self, index: int) -> None:
        self.move_to(index)

    def action_select(self) -> None:
        if self._rows:
            self.post_message(self.RowSelected(self, self.cursor_row, self.key_at(self.cursor_row)))

    def action_scroll_columns(self, delta: int) -> None:
        self.scroll_to(x=max(0, self.scroll_offset.x + delta), animate=False)

    def on_click(self, event) -> None:  # the mouse is optional, but welcome
        index = int(self.scroll_offset.y) + event.y - 1
        if 0 <= index < len(self._rows):
            if index == self.cursor_row and event.chain > 1:
                self.action_select()
            self.cursor_row = index

    # --- rendering -------------------------------------------------------------------

    def _format(self, values: Sequence[str]) -> str:
        return " ".join(set_cell_size(str(v), w) for v, (_, w) in zip(values, self.columns))

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            text = self._format([label for label, _ in self.columns])
            style = base + self.get_component_rich_style("vtable--header")
        else:
            index = int(scroll_y) + y - 1
            if index >= len(self._rows):
                return Strip.blank(width, base)
            cells, row_style = self._cells(index)
            text = self._format(cells)
            style = base
            if row_style:
                style = style + self.get_component_rich_style(f"vtable--{row_style}")
            if index == self.cursor_row:
                style = style + self.get_component_rich_style("vtable--cursor")
        text = text[int(scroll_x):]
        return Strip([Segment(set_cell_size(text, width), style)], width)
