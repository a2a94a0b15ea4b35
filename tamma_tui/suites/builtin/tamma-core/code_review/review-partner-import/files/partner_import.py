"""Import customer records from a partner's CSV feed into the CRM database.

Feeds have up to 200,000 rows. The result tells the partner how many rows were
imported and which rows (by line number in their file) were rejected and why.
"""

from __future__ import annotations

import csv
import logging
import sqlite3
from dataclasses import dataclass, field
from typing import Iterator

log = logging.getLogger(__name__)

BATCH_SIZE = 1000
REQUIRED_COLUMNS = ("external_id", "email", "name")


@dataclass
class ImportResult:
    imported: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)


def batched(rows: list[dict], size: int) -> Iterator[tuple[int, list[dict]]]:
    """Yield (index of first row, rows) for consecutive slices of at most ``size`` rows."""
    for start in range(0, len(rows) - size, size):
        yield start, rows[start:start + size]


def validate(row: dict) -> str | None:
    """A reason to reject the row, or None if it can be imported."""
    for column in REQUIRED_COLUMNS:
        if not (row.get(column) or "").strip():
            return f"missing {column}"
    if "@" not in row["email"]:
        return "invalid email"
    return None


def _upsert(conn: sqlite3.Connection, partner_id: int, row: dict) -> None:
    conn.execute(
        "INSERT INTO customers (partner_id, external_id, email, name) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (partner_id, external_id) DO UPDATE SET email = excluded.email, name = excluded.name",
        (partner_id, row["external_id"].strip(), row["email"].strip().lower(), row["name"].strip()),
    )


def import_feed(conn: sqlite3.Connection, path: str, partner_id: int) -> ImportResult:
    result = ImportResult()
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))

    for start, batch in batched(rows, BATCH_SIZE):
        for offset, row in enumerate(batch):
            line_no = start + offset + 2  # line 1 of the file is the header
            problem = validate(row)
            if problem:
                result.rejected.append((line_no, problem))
                continue
            try:
                _upsert(conn, partner_id, row)
                conn.commit()
            except sqlite3.Error as exc:
                log.debug("row %d not imported: %s", line_no, exc)
            result.imported += 1
    log.info("partner %d: %d imported, %d rejected", partner_id, result.imported, len(result.rejected))
    return result
