"""A real PostgreSQL server for the tests.

``TAMMA_TEST_PG_URL`` (set by ``.ci/run``, which installs and starts the distribution's
server) names an admin URL to use. Without it, the test setup starts a throw-away cluster
itself from the distribution's binaries (as the ``postgres`` user when running as root) and
stops it at the end of the session. Without binaries or the driver the tests skip with one
line, unless ``TAMMA_REQUIRE_PG=1`` (CI), where that is a failure.

Each test gets a database of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def _binary(name: str) -> str | None:
    for folder in PG_BIN_DIRS:
        if (folder / name).exists():
            return str(folder / name)
    return shutil.which(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() == 0:  # initdb refuses root: the server runs as its own user
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


class ThrowawayCluster:
    """initdb + pg_ctl in a temporary folder, trust auth, loopback only."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="tamma-pg-"))
        self.port = _free_port()
        self.data = self.dir / "data"

    def start(self) -> str:
        initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        subprocess.run(_as_server_user([initdb, "-D", str(self.data), "--auth=trust", "-U", "postgres",
                                        "--no-sync", "-E", "UTF8"]), check=True, capture_output=True)
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        subprocess.run(_as_server_user([pg_ctl, "-D", str(self.data), "-o", options, "-l",
                                        str(self.dir / "server.log"), "-w", "start"]),
                       check=True, capture_output=True)
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        subprocess.run(_as_server_user([_binary("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def _unavailable(reason: str):
    if os.environ.get("TAMMA_REQUIRE_PG") == "1":
        pytest.fail(f"PostgreSQL required in CI but unavailable: {reason}")
    pytest.skip(f"no PostgreSQL: {reason}")


@pytest.fixture(scope="session")
def pg_admin_url():
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("driver not installed (pip install 'tamma-bench[postgres]')")
    given = os.environ.get("TAMMA_TEST_PG_URL")
    if given:
        yield given
        return
    if not (_binary("initdb") and _binary("pg_ctl")):
        _unavailable("server binaries not installed (the distribution's postgresql package)")
    cluster = ThrowawayCluster()
    try:
        url = cluster.start()
    except (subprocess.CalledProcessError, OSError) as exc:
        cluster.stop()
        _unavailable(f"could not start a throw-away cluster ({exc})")
    yield url
    cluster.stop()


@pytest.fixture
def pg_url(pg_admin_url):
    """A fresh, empty database on the server; dropped after the test."""
    from sqlalchemy import create_engine, text

    name = f"tamma_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = pg_admin_url.rsplit("/", 1)[0] + f"/{name}"
    yield url
    from tamma_tui.store.db import open_engine

    open_engine.cache_clear()  # FORCE below ends the sessions cached engines still hold
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
