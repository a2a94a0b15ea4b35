"""Issue 11 §4-5: a command agent never sees or leaks keys it was not given, and cannot
flood the host's memory."""

from __future__ import annotations

import sys
import textwrap
import time
from pathlib import Path

import pytest

from tamma_tui.config.models import AgentConfig
from tamma_tui.providers.base import AgentRequest, ProviderError
from tamma_tui.providers.command import MAX_STDOUT_BYTES, CommandProvider, agent_environment
from tamma_tui.providers.http_common import redact

REQUEST = AgentRequest(messages=({"role": "user", "content": "hi"},), task_id="t", seed=1)
OTHER_KEY = "sk-other-0123456789abcdefCANARY"  # a key the process holds for another config


def _agent(tmp_path: Path, body: str, **fields) -> CommandProvider:
    script = tmp_path / "agent.py"
    script.write_text(textwrap.dedent(body))
    config = AgentConfig.model_validate({"agentId": "cli", "provider": "command", "model": "m",
                                         "command": [sys.executable, str(script)], "timeout_s": 20,
                                         **fields})
    return CommandProvider(config, workspace_root=tmp_path / "scratch")


async def test_stderr_redacts_keys_of_other_configs(tmp_path, monkeypatch):
    # The config names no api_key_env; the process still knows OTHER_KEY and must redact it.
    monkeypatch.setenv("VENDOR_API_KEY", OTHER_KEY)
    provider = _agent(tmp_path, f"""
        import sys
        sys.stderr.write("boom {OTHER_KEY} and plain-" + "{OTHER_KEY}"[:12] + "\\n")
        sys.exit(3)
    """)
    with pytest.raises(ProviderError) as err:
        await provider.complete(REQUEST)
    assert OTHER_KEY not in str(err.value) and "0123456789abcdef" not in str(err.value)


def test_redact_before_cut_leaves_no_head_of_a_key(monkeypatch):
    monkeypatch.setenv("MY_TOKEN", "tok-ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    text = "x" * 190 + "tok-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = redact(text, None, 200)
    assert "tok-ABCDEF" not in out and len(out) <= 200


def test_redact_strips_url_credentials():
    out = redact("cannot connect to https://alice:pw-9s8d7f@llm.example/v1: refused")
    assert "alice" not in out and "pw-9s8d7f" not in out and "https://llm.example/v1" in out


async def test_agent_gets_allowlisted_environment_plus_its_own_key(tmp_path, monkeypatch):
    monkeypatch.setenv("VENDOR_API_KEY", OTHER_KEY)
    monkeypatch.setenv("MY_AGENT_KEY", "mine-1234567890")
    monkeypatch.setenv("UNRELATED_SETTING", "x")
    provider = _agent(tmp_path, """
        import os
        print(sorted(os.environ))
    """, api_key_env="MY_AGENT_KEY")
    done = await provider.complete(REQUEST)
    assert "MY_AGENT_KEY" in done.text and "PATH" in done.text
    assert "VENDOR_API_KEY" not in done.text and "UNRELATED_SETTING" not in done.text


def test_agent_environment_is_an_allowlist():
    config = AgentConfig.model_validate({"agentId": "c", "provider": "command", "model": "m",
                                         "command": ["x"], "api_key_env": "K"})
    env = agent_environment(config, {"PATH": "/bin", "K": "v", "AWS_SECRET_ACCESS_KEY": "s"})
    assert env == {"PATH": "/bin", "K": "v"}


async def test_flooding_agent_is_stopped_at_the_cap(tmp_path):
    provider = _agent(tmp_path, """
        import sys
        chunk = "y" * 65536
        while True:
            sys.stdout.write(chunk)
    """)
    started = time.monotonic()
    with pytest.raises(ProviderError, match="printed more than"):
        await provider.complete(REQUEST)
    assert time.monotonic() - started < 10
    assert MAX_STDOUT_BYTES <= 64 << 20
