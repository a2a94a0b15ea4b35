"""On-demand and nightly backups of tenant databases.

Admins can trigger a backup from the admin UI and attach a free-text label to it
("before migrating invoices", ...). Backups are kept for RETENTION_DAYS days.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import subprocess
from pathlib import Path

BACKUP_ROOT = Path("/var/backups/tenants")
PG_HOST = "db-primary.internal"
RETENTION_DAYS = 14
TENANT_RE = re.compile(r"^[a-z][a-z0-9_]{2,30}$")

log = logging.getLogger(__name__)


def backup_path(tenant: str, when: dt.datetime) -> Path:
    return BACKUP_ROOT / tenant / f"{tenant}-{when:%Y%m%d-%H%M%S}.sql.gz"


def backup_tenant(tenant: str, label: str = "") -> Path:
    """Dump one tenant database to a gzip file and return its path."""
    if not TENANT_RE.match(tenant):
        raise ValueError(f"invalid tenant id {tenant!r}")
    now = dt.datetime.now(dt.timezone.utc)
    target = backup_path(tenant, now)
    target.parent.mkdir(parents=True, exist_ok=True)

    command = f"pg_dump -h {PG_HOST} -d tenant_{tenant} | gzip > {target}"
    if label:
        command += f" && echo '{label}' > {target}.label"
    subprocess.run(command, shell=True)

    log.info("backup of %s written to %s", tenant, target)
    return target


def prune_old_backups(tenant: str, now: dt.datetime | None = None) -> int:
    """Delete this tenant's backups older than RETENTION_DAYS; return how many."""
    now = now or dt.datetime.now(dt.timezone.utc)
    cutoff = now - dt.timedelta(days=RETENTION_DAYS)
    removed = 0
    for path in sorted((BACKUP_ROOT / tenant).glob("*.sql.gz")):
        modified = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc)
        if modified > cutoff:
            path.unlink()
            Path(f"{path}.label").unlink(missing_ok=True)
            removed += 1
    return removed
