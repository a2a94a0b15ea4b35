"""Consent gate, transport and withdrawal against a real share-server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import stat
from datetime import datetime, timedelta, timezone

import pytest

pytest.importorskip("opendp", reason="the share-server needs OpenDP (pip install 'tamma-bench[server]')")

from tamma_tui.errors import BadInput, OperationFailed, Refused  # noqa: E402
from tamma_tui.services import sharing as svc  # noqa: E402
from tamma_tui.sharing import consent as consent_mod  # noqa: E402
from tamma_tui.sharing.audit import read_events  # noqa: E402
from tamma_tui.sharing.paths import sharing_dir  # noqa: E402
from tamma_tui.sharing.queue import enqueue, queued  # noqa: E402
from tamma_tui.store.db import open_database  # noqa: E402

from .helpers import CANARIES, make_run, share_server  # noqa: E402

YES = "--yes flag"


@pytest.fixture
def run(tmp_path):
    db = tmp_path / "t.db"
    return open_database(db), make_run(db)


def grant(url, suites=("tamma-core",), fields=("pass_rate", "score", "latency_s", "tokens"), db=None):
    return svc.grant_consent(endpoint=url, suites=list(suites), fields=list(fields), method=YES, db=db)


def test_send_delivers_only_the_allowlist_and_withdrawal_deletes(tmp_path, run):
    engine, run_id = run
    with share_server(tmp_path / "srv.db") as server:
        record = grant(server.url, db=engine)
        report = svc.send(engine, run_id, server.url)
        assert report.status == 200 and report.records == 3  # 3 contexts x 1 family
        wire = b"".join(server.bodies).decode()
        stored = server.aggregator.store.dump_text()
        raw = b"".join(f.read_bytes() for f in tmp_path.glob("srv.db*"))  # the file, WAL included
        for canary in CANARIES:
            assert canary not in wire and canary not in stored and canary.encode() not in raw
        envelope = json.loads(server.bodies[0])
        assert set(envelope) == {"payload", "key_id", "public_key", "sig"}
        summary = envelope["payload"]["bundle"]["configs"][0]["contexts"]["development"]
        assert set(summary) == {"pass_rate", "score", "latency_s", "prompt_tokens", "completion_tokens"}
        assert len(server.aggregator.store.contributions("tamma-core")) == 3
        assert queued() == []  # sent bundles leave the queue

        enqueue(record.endpoint, {"pending": True})
        revoked = svc.revoke_consent(db=engine)
        assert revoked.purged == 1 and queued() == []
        assert "deleted 3 record(s)" in revoked.deletion
        assert server.aggregator.store.contributions("tamma-core") == []
    actions = [e["action"] for e in read_events()]
    assert actions == ["consent.grant", "share.send", "consent.revoke"]
    assert not any(c in json.dumps(read_events()) for c in CANARIES)
    # The same events are links of the database's hash-chained audit trail, which verifies.
    from tamma_tui.store.audit import export_events, verify_chain

    trail = list(export_events(engine))
    assert [e["action"] for e in trail][-3:] == actions
    assert verify_chain(engine).ok and not any(c in json.dumps(trail) for c in CANARIES)
    for name in ("consent.json", "install-secret", "signing-key.json", "sharing-audit.jsonl"):
        assert stat.S_IMODE(os.stat(sharing_dir() / name).st_mode) == 0o600


def _expire():
    rec = consent_mod.load()
    past = (datetime.now(timezone.utc) - timedelta(days=1)).isoformat()
    data = rec.to_json() | {"expires_at": past}
    consent_mod.consent_path().write_text(json.dumps(data))


@pytest.mark.parametrize("case", ["none", "expired", "revoked", "wrong_endpoint", "wrong_suite", "kill_switch"])
def test_consent_gate_blocks_with_zero_requests(tmp_path, run, case, monkeypatch):
    engine, run_id = run
    with share_server(tmp_path / "srv.db") as server:
        if case != "none":
            grant("http://127.0.0.1:9/" if case == "wrong_endpoint" else server.url,
                  suites=("tamma-match",) if case == "wrong_suite" else ("tamma-core",))
        if case == "expired":
            _expire()
        if case == "revoked":
            consent_mod.revoke()
        if case == "kill_switch":
            monkeypatch.setenv("TAMMA_BENCH_NO_SHARE", "1")
        with pytest.raises(Refused) as exc:
            svc.send(engine, run_id, server.url)
        assert server.requests_seen == 0, str(exc.value)
        assert queued() == []
    expected = {"none": "no consent", "expired": "expired", "revoked": "revoked",
                "wrong_endpoint": "covers http://127.0.0.1:9", "wrong_suite": "does not cover suite",
                "kill_switch": "TAMMA_BENCH_NO_SHARE"}[case]
    assert expected in str(exc.value)


def test_kill_switch_lets_only_the_deletion_request_through(tmp_path, run, monkeypatch):
    engine, run_id = run
    with share_server(tmp_path / "srv.db") as server:
        grant(server.url)
        svc.send(engine, run_id, server.url)
        monkeypatch.setenv("TAMMA_BENCH_NO_SHARE", "1")
        before = server.requests_seen
        report = svc.revoke_consent()
        assert server.requests_seen == before + 1 and "deleted 3" in report.deletion
        assert server.aggregator.store.contributions("tamma-core") == []


def test_consent_is_rechecked_before_each_retry(tmp_path, run):
    """The first attempt meets a 503; consent is revoked before the retry: no second request."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    engine, run_id = run
    hits = []

    class Flaky(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            hits.append(1)
            consent_mod.revoke()  # between this attempt and the next
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        grant(url)
        with pytest.raises(Refused, match="revoked"):
            svc.send(engine, run_id, url, attempts=3, backoff_s=0.01)
        assert len(hits) == 1
    finally:
        server.shutdown()
        server.server_close()


def test_retries_then_reports_the_server_error(tmp_path, run):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    engine, run_id = run
    hits = []

    class Down(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            hits.append(1)
            body = b'{"error": "maintenance"}'
            self.send_response(503)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Down)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        grant(url)
        with pytest.raises(OperationFailed, match="HTTP 503: maintenance"):
            svc.send(engine, run_id, url, attempts=3, backoff_s=0.01)
        assert len(hits) == 3
        assert len(queued()) == 1  # kept for a later send; a revoke purges it
    finally:
        server.shutdown()
        server.server_close()


def test_consent_needs_a_method_public_suites_and_pass_rate():
    with pytest.raises(Refused):
        consent_mod.grant(endpoint="https://x.example", suites=["tamma-core"], fields=["pass_rate"],
                          method="script", public_ids=["tamma-core"])
    with pytest.raises(BadInput, match="not public"):
        grant("https://x.example", suites=("my-suite",))
    with pytest.raises(BadInput, match="pass_rate is required"):
        grant("https://x.example", fields=("score",))
    with pytest.raises(BadInput, match="loopback"):
        grant("http://platform.example.com")
    record = grant("https://Platform.Example.com:443/api/")
    assert record.endpoint == "https://platform.example.com/api"
    assert record.expires_at > record.granted_at and record.policy_hash == consent_mod.policy_hash()
    assert set(record.to_json()) >= {"id", "purpose", "endpoint", "suites", "fields", "policy_version",
                                     "policy_hash", "granted_at", "expires_at", "method"}


def test_a_running_run_is_not_sent(tmp_path, run):
    from tamma_tui.store import repo

    engine, run_id = run
    repo.update_run(engine, run_id, status="running")
    with share_server(tmp_path / "srv.db") as server:
        grant(server.url)
        with pytest.raises(Refused, match="still running"):
            svc.send(engine, run_id, server.url)
        assert server.requests_seen == 0


def test_revoke_with_the_platform_down_is_local_at_once_and_retried_later(tmp_path, run):
    import socket

    engine, run_id = run
    with socket.socket() as s:  # a port with nobody listening
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    grant(dead)
    report = svc.revoke_consent(attempts=1)
    assert not report.delivered and "run `consent revoke` again" in report.deletion
    assert consent_mod.load().revoked_at is not None
    with pytest.raises(Refused, match="revoked"):
        svc.send(engine, run_id, dead)


def _self_signed(tmp_path):
    """A certificate for 127.0.0.1 and its key, written as PEM files."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "share-server test")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=1))
            .not_valid_after(now + timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def test_send_over_https_verifies_the_certificate(tmp_path, run, monkeypatch):
    import ssl

    engine, run_id = run
    cert_file, key_file = _self_signed(tmp_path)
    with share_server(tmp_path / "srv.db") as server:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        url = server.url.replace("http://", "https://")
        grant(url)
        with pytest.raises(OperationFailed, match="no answer"):  # an untrusted certificate
            svc.send(engine, run_id, url, attempts=1)
        monkeypatch.setenv("TAMMA_BENCH_SHARE_CA", str(cert_file))
        report = svc.send(engine, run_id, url)
        assert report.status == 200 and report.records == 3
