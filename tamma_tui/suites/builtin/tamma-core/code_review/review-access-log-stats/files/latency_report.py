"""Per-endpoint latency report for the ops dashboard, built from access logs.

Log lines look like:
10.0.4.7 - - [12/Mar/2025:10:15:32 +0000] "GET /api/orders?page=2 HTTP/1.1" 200 5123 0.084
The last field is the response time in seconds. A day of logs is several GB, and
lines written during a crash or log rotation are sometimes truncated.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from pathlib import Path

LINE_RE = re.compile(
    r'^(?P<ip>\S+) \S+ \S+ \[(?P<ts>[^\]]+)\] "(?P<method>[A-Z]+) (?P<target>\S+) [^"]*" '
    r"(?P<status>\d{3}) (?P<size>\d+|-) (?P<seconds>\d+\.\d+)$"
)


def parse_line(line: str) -> dict | None:
    """Parse one log line; None for lines that do not match the format."""
    match = LINE_RE.match(line.rstrip("\n"))
    if match is None:
        return None
    return {
        "method": match["method"],
        "path": match["target"].split("?", 1)[0],
        "status": int(match["status"]),
        "seconds": float(match["seconds"]),
    }


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted, non-empty list."""
    index = max(0, min(len(sorted_values) - 1, math.ceil(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def endpoint_report(log_files: list[Path]) -> list[dict]:
    """Count, p50, p95 and server-error rate per (method, path), slowest p95 first."""
    durations: dict[tuple[str, str], list[float]] = defaultdict(list)
    server_errors: dict[tuple[str, str], int] = defaultdict(int)
    for log_file in log_files:
        for line in log_file.read_text(encoding="utf-8").splitlines():
            record = parse_line(line)
            key = (record["method"], record["path"])
            durations[key].append(record["seconds"])
            if record["status"] > 500:
                server_errors[key] += 1

    report = []
    for (method, path), values in durations.items():
        values.sort()
        report.append(
            {
                "method": method,
                "path": path,
                "count": len(values),
                "p50": percentile(values, 0.50),
                "p95": percentile(values, 0.95),
                "error_rate": server_errors[(method, path)] / len(values),
            }
        )
    report.sort(key=lambda row: row["p95"], reverse=True)
    return report
