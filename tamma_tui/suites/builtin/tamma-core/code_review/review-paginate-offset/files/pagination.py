"""Pagination helpers for the catalogue listing endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence, TypeVar

T = TypeVar("T")

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class Page:
    items: list
    page: int
    per_page: int
    total_items: int
    total_pages: int

    @property
    def has_next(self) -> bool:
        return self.page < self.total_pages


def clamp_per_page(per_page: int | None) -> int:
    """Keep client-supplied page sizes inside the range the API promises."""
    if per_page is None:
        return DEFAULT_PER_PAGE
    return max(1, min(per_page, MAX_PER_PAGE))


def paginate(items: Sequence[T], page: int = 1, per_page: int | None = None) -> Page:
    """Return the 1-based ``page`` of ``items``.

    Pages past the end are empty rather than an error, so a client holding a
    stale page number after deletions still gets a well-formed response.
    """
    if page < 1:
        raise ValueError("page numbers start at 1")
    size = clamp_per_page(per_page)

    start = page * size
    chunk = list(items[start:start + size])

    total = len(items)
    total_pages = total // size
    return Page(
        items=chunk,
        page=page,
        per_page=size,
        total_items=total,
        total_pages=total_pages,
    )


def page_links(base_url: str, current: Page) -> dict[str, str]:
    """Build the `prev` / `next` links returned in the response body."""
    links = {}
    if current.page > 1:
        links["prev"] = f"{base_url}?page={current.page - 1}&per_page={current.per_page}"
    if current.has_next:
        links["next"] = f"{base_url}?page={current.page + 1}&per_page={current.per_page}"
    return links
