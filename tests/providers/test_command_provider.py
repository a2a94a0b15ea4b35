"""The command provider runs real subprocesses: usage line, errors, timeouts, workspace."""

from __future__ import annotations

import os
import sys
import textwrap
import time
from pathlib import Path

import pytest
from provider_helpers import CANARY_KEY

from tamma_tui.config.loader import load_agent_config
from tamma_tui.config.models import AgentConfig
from tamma_tui.providers import base as kinds
from tamma_tui.providers.base import AgentRequest, ProviderError
from tamma_tui.providers.command import CommandProvider, render_prompt, split_usage
from tamma_tui.providers.factory import make_provider

REPO = Path(__file__).resolve().parents[2]
REQUEST = AgentRequest(
    messages=({"role": "system", "content": "You are terse."}, {"role": "user", "content": "Write add(a, b)."}),
    task_id="dev-1",
    seed=5,
)


def _agent(tmp_path: Path, body: str, timeout_s: float = 20, **fields) -> CommandProvider:
    script = tmp_path / "agent.py"
    script.write_text(textwrap.dedent(body))
    config = AgentConfig.model_validate(
        {"agentId": "cli", "provider": "command", "model": "m", "command": [sys.executable, str(script)],
         "timeout_s": timeout_s, **fields}
    )
    return CommandProvider(config, workspace_root=tmp_path / "scratch")


async def test_sample_echo_agent_reports_usage():
    config = load_agent_config(REPO / "sample_configs/agents/command-agent.yaml")
    provider = make_provider(config)
    done = await provider.complete(REQUEST)
    assert "```python" in done.text and "tamma_usage" not in done.text
    prompt = render_prompt(REQUEST.messages)
    assert done.prompt_tokens == len(prompt) // 4
    assert done.completion_tokens == len(done.text) // 4
    assert done.finish_reason == "stop" and done.latency_s > 0


async def test_prompt_on_stdin_and_file_in_a_fresh_workspace_that_is_removed(tmp_path):
    provider = _agent(tmp_path, """
        import os, sys, json
        stdin = sys.stdin.read()
        with open(os.environ["TAMMA_PROMPT_FILE"]) as fh:
            from_file = fh.read()
        open("scratch.txt", "w").write("written in the workspace")
        print(json.dumps({"cwd": os.getcwd(), "same": stdin == from_file, "stdin": stdin,
                          "task": os.environ["TAMMA_TASK_ID"], "seed": os.environ["TAMMA_SEED"],
                          "listing": sorted(os.listdir("."))}))
    """)
    done = await provider.complete(REQUEST)
    import json

    seen = json.loads(done.text)
    assert seen["same"] is True
    assert seen["stdin"] == "You are terse.\n\nWrite add(a, b)."
    assert (seen["task"], seen["seed"]) == ("dev-1", "5")
    assert seen["listing"] == ["scratch.txt"]  # the workspace started empty
    assert not Path(seen["cwd"]).exists()  # and is gone afterwards
    assert list((tmp_path / "scratch").iterdir()) == []
    # No usage line: tokens are estimated from the text.
    assert done.completion_tokens == -(-len(done.text) // 4)


async def test_non_zero_exit_is_an_agent_error_with_stderr_tail(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENT_KEY", CANARY_KEY)
    provider = _agent(tmp_path, f"""
        import sys
        sys.stderr.write("x" * 5000 + "\\nboom: model refused with key {CANARY_KEY}\\n")
        sys.exit(3)
    """, api_key_env="AGENT_KEY")
    with pytest.raises(ProviderError) as info:
        await provider.complete(REQUEST)
    err = info.value
    assert err.kind == kinds.AGENT_ERROR and not err.retryable
    assert "status 3" in str(err) and "boom: model refused" in str(err)
    assert len(str(err)) < 420 and CANARY_KEY not in str(err)


async def test_timeout_kills_the_whole_process_group(tmp_path):
    pid_file = tmp_path / "child.pid"
    provider = _agent(tmp_path, f"""
        import subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        open({str(pid_file)!r}, "w").write(str(child.pid))
        time.sleep(60)
    """, timeout_s=1.0)
    t0 = time.perf_counter()
    with pytest.raises(ProviderError) as info:
        await provider.complete(REQUEST)
    assert info.value.kind == kinds.TIMEOUT
    assert time.perf_counter() - t0 < 8
    child = int(pid_file.read_text())
    for _ in range(50):  # the grandchild was in the group: it must be gone (or a zombie)
        try:
            state = Path(f"/proc/{child}/stat").read_text().split(")")[1].split()[0]
        except FileNotFoundError:
            break
        if state == "Z":
            break
        time.sleep(0.05)
    else:
        os.kill(child, 9)
        pytest.fail("the agent's child process survived the timeout")


async def test_missing_executable_is_an_agent_error(tmp_path):
    config = AgentConfig.model_validate(
        {"agentId": "cli", "provider": "command", "model": "m", "command": [str(tmp_path / "nope")]})
    with pytest.raises(ProviderError) as info:
        await CommandProvider(config).complete(REQUEST)
    assert info.value.kind == kinds.AGENT_ERROR


@pytest.mark.parametrize(
    "stdout,answer,usage",
    [
        ('hi\n{"tamma_usage": {"prompt_tokens": 10, "completion_tokens": 2}}\n', "hi\n", {"prompt_tokens": 10, "completion_tokens": 2}),
        ('hi\n{"tamma_usage": {"prompt_tokens": 10, "completion_tokens": 2}}', "hi\n", {"prompt_tokens": 10, "completion_tokens": 2}),
        ('{"tamma_usage": {"prompt_tokens": 1}}', "", {"prompt_tokens": 1, "completion_tokens": 0}),
        ('hi\n{"tamma_usage": broken}\n', 'hi\n{"tamma_usage": broken}\n', None),
        ('{"tamma_usage": {"prompt_tokens": 1, "completion_tokens": 1}}\nlast words\n', '{"tamma_usage": {"prompt_tokens": 1, "completion_tokens": 1}}\nlast words\n', None),
    ],
)
def test_split_usage(stdout, answer, usage):
    assert split_usage(stdout) == (answer, usage)


def test_render_prompt_labels_multi_turn_conversations():
    msgs = ({"role": "system", "content": "S"}, {"role": "user", "content": "Q1"},
            {"role": "assistant", "content": "A1"}, {"role": "user", "content": "Q2"})
    assert render_prompt(msgs) == "S\n\n## user\n\nQ1\n\n## assistant\n\nA1\n\n## user\n\nQ2"
