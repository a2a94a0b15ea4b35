"""Page arithmetic for listing endpoints."""
import math


def page_count(total, per_page):
    if per_page < 1:
        raise ValueError("per_page must be >= 1")
    if total < 0:
        raise ValueError("total must be >= 0")
    return math.ceil(total / per_page)


def page_bounds(total, page, per_page):
    """(start, stop) slice indices of 1-based `page`; ValueError for a page out of
    range. An empty listing still has page 1, which is empty."""
    pages = page_count(total, per_page)
    if not 1 <= page <= pages:
        raise ValueError(f"page {page} out of range 1..{pages}")
    start = (page - 1) * per_page
    return start, min(start + per_page, total)


def page_info(total, page, per_page):
    """What a listing footer needs: item numbers are 1-based, 0 when empty."""
    start, stop = page_bounds(total, page, per_page)
    pages = page_count(total, per_page)
    return {"page": page, "pages": pages, "first_item": start + 1 if stop > start else 0,
            "last_item": stop, "has_prev": page > 1, "has_next": page < pages}
