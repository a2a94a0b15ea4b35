import pytest


@pytest.fixture(autouse=True)
def _private_sharing_dir(tmp_path, monkeypatch):
    """Each test is its own install: its own secret, key, consent and queue."""
    monkeypatch.setenv("TAMMA_BENCH_SHARING_DIR", str(tmp_path / "install"))
    monkeypatch.delenv("TAMMA_BENCH_NO_SHARE", raising=False)
