"""An external CLI agent as a provider (contract: DESIGN §3).

The command (a list of arguments, no shell) gets the prompt on stdin and in the file named
by ``TAMMA_PROMPT_FILE``, runs in a fresh scratch workspace (its working directory, deleted
afterwards) and prints its answer on stdout. An optional last stdout line
``{"tamma_usage": {"prompt_tokens": N, "completion_tokens": M}}`` reports usage; without
it tokens are estimated at ~4 characters each. Non-zero exit -> ``agent_error``; running
past ``timeout_s`` kills the whole process group -> ``timeout``.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import Any, Mapping, Sequence

from tamma_tui.config.models import AgentConfig

from .base import AGENT_ERROR, TIMEOUT, AgentRequest, Completion, ProviderError
from .keys import redact
from .tokens import estimate_tokens

USAGE_KEY = "tamma_usage"
STDERR_TAIL_CHARS = 300
# An agent that prints more than this on stdout is stopped (its answer could not be stored
# anyway, and reading it all would cost the host its memory); stderr keeps only a tail.
MAX_STDOUT_BYTES = 8 << 20
MAX_STDERR_BYTES = 64 << 10
# What a CLI agent inherits from our environment: enough to run a program and find its
# own configuration; never the other keys this process holds. The variable named by the
# config's api_key_env is added on top.
ENV_ALLOWLIST = ("PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LC_ALL", "LC_CTYPE",
                 "TERM", "TZ", "TMPDIR", "SYSTEMROOT", "PYTHONPATH", "VIRTUAL_ENV",
                 "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "SSL_CERT_FILE",
                 "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
                 "http_proxy", "https_proxy", "no_proxy")


def agent_environment(config: AgentConfig, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The allowlisted part of `environ` plus the variable the config names."""
    environ = os.environ if environ is None else environ
    env = {name: environ[name] for name in ENV_ALLOWLIST if name in environ}
    if config.api_key_env and config.api_key_env in environ:
        env[config.api_key_env] = environ[config.api_key_env]
    return env


def render_prompt(messages: Sequence[Mapping[str, Any]]) -> str:
    """The text a CLI agent reads: the system prompt, then the conversation.

    A single user turn is passed as is; several turns are labelled so the agent can tell
    its own earlier answers from the user's messages."""
    system = "\n\n".join(str(m["content"]) for m in messages if m.get("role") == "system")
    turns = [m for m in messages if m.get("role") != "system"]
    if len(turns) == 1:
        body = str(turns[0].get("content") or "")
    else:
        body = "\n\n".join(f"## {m.get('role', 'user')}\n\n{m.get('content') or ''}" for m in turns)
    return f"{system}\n\n{body}" if system else body


def split_usage(stdout: str) -> tuple[str, dict[str, int] | None]:
    """Strip a trailing usage line from the answer; returns (answer, usage or None)."""
    stripped = stdout.rstrip()
    head, _, last = stripped.rpartition("\n")
    candidate = last.strip()
    if USAGE_KEY not in candidate or not candidate.startswith("{"):
        return stdout, None
    try:
        data = json.loads(candidate)
        usage = data[USAGE_KEY]
        parsed = {
            "prompt_tokens": int(usage.get("prompt_tokens") or 0),
            "completion_tokens": int(usage.get("completion_tokens") or 0),
        }
    except (ValueError, KeyError, TypeError, AttributeError):
        return stdout, None
    return (head + "\n" if head else ""), parsed


class CommandProvider:
    def __init__(self, config: AgentConfig, *, workspace_root: str | Path | None = None):
        if not config.command:
            raise ValueError("a command provider needs config.command")
        self.config = config
        self.argv = list(config.command)
        self._root = None
        if workspace_root is not None:
            Path(workspace_root).mkdir(parents=True, exist_ok=True)
            self._root = str(workspace_root)

    async def aclose(self) -> None:
        return None

    async def complete(self, request: AgentRequest) -> Completion:
        prompt = render_prompt(request.messages)
        scratch = Path(tempfile.mkdtemp(prefix="tamma-agent-", dir=self._root))
        try:
            workspace = scratch / "workspace"
            workspace.mkdir()
            prompt_file = scratch / "prompt.md"
            prompt_file.write_text(prompt, encoding="utf-8")
            env = agent_environment(self.config)
            env.update(
                TAMMA_PROMPT_FILE=str(prompt_file),
                TAMMA_WORKSPACE=str(workspace),
                TAMMA_TASK_ID=request.task_id,
                TAMMA_SEED=str(request.seed),
                TAMMA_MODEL=self.config.model,
            )
            t0 = time.perf_counter()
            stdout, stderr, code = await self._run(prompt.encode("utf-8"), workspace, env)
            latency = time.perf_counter() - t0
        finally:
            # Off the event loop: an agent may leave a large workspace behind.
            await asyncio.to_thread(shutil.rmtree, scratch, ignore_errors=True)

        if code != 0:
            # Redact the whole captured tail first (every key this process knows), then cut:
            # a cut through a key would leave part of it in place.
            secret = os.environ.get(self.config.api_key_env) if self.config.api_key_env else None
            tail = redact(stderr.decode("utf-8", "replace").strip(), secret)[-STDERR_TAIL_CHARS:]
            raise ProviderError(
                AGENT_ERROR, f"agent {Path(self.argv[0]).name} exited with status {code}" + (f": {tail}" if tail else "")
            )
        answer, usage = split_usage(stdout.decode("utf-8", "replace"))
        if usage is None:
            usage = {"prompt_tokens": estimate_tokens(prompt), "completion_tokens": estimate_tokens(answer)}
        return Completion(
            text=answer,
            prompt_tokens=usage["prompt_tokens"],
            completion_tokens=usage["completion_tokens"],
            latency_s=latency,
            ttft_s=None,
            finish_reason="stop",
        )

    async def _run(self, stdin: bytes, cwd: Path, env: dict[str, str]) -> tuple[bytes, bytes, int]:
        try:
            proc = await asyncio.create_subprocess_exec(
                *self.argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                cwd=str(cwd),
                env=env,
                start_new_session=True,  # its own process group, so a timeout kills children too
            )
        except OSError as exc:
            raise ProviderError(AGENT_ERROR, f"cannot start agent {self.argv[0]}: {exc.strerror or exc}") from None
        try:
            stdout, stderr = await asyncio.wait_for(self._collect(proc, stdin), self.config.timeout_s)
        except TimeoutError:
            await _kill_group(proc)
            raise ProviderError(TIMEOUT, f"agent {Path(self.argv[0]).name} ran past {self.config.timeout_s:g} s") from None
        except BaseException:  # cancelled: leave no agent behind
            await _kill_group(proc)
            raise
        return stdout, stderr, proc.returncode or 0

    async def _collect(self, proc: asyncio.subprocess.Process, stdin: bytes) -> tuple[bytes, bytes]:
        """Feed stdin and read both streams, stopping the agent once stdout passes
        MAX_STDOUT_BYTES (memory stays bounded however much it prints)."""

        async def feed() -> None:
            try:
                proc.stdin.write(stdin)
                await proc.stdin.drain()
            except (BrokenPipeError, ConnectionResetError):
                pass
            finally:
                proc.stdin.close()

        async def read_stdout() -> bytes:
            buf = bytearray()
            while chunk := await proc.stdout.read(65536):
                buf += chunk
                if len(buf) > MAX_STDOUT_BYTES:
                    await _kill_group(proc)
                    raise ProviderError(
                        AGENT_ERROR, f"agent {Path(self.argv[0]).name} printed more than "
                                     f"{MAX_STDOUT_BYTES >> 20} MiB on stdout; stopped")
            return bytes(buf)

        async def read_stderr_tail() -> bytes:
            buf = bytearray()
            while chunk := await proc.stderr.read(65536):
                buf += chunk
                del buf[:-MAX_STDERR_BYTES]
            return bytes(buf)

        results = await asyncio.gather(feed(), read_stdout(), read_stderr_tail(),
                                       return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                await _kill_group(proc)
                raise result
        await proc.wait()
        return results[1], results[2]


async def _kill_group(proc: asyncio.subprocess.Process) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        await asyncio.wait_for(proc.wait(), 5)
    except TimeoutError:
        pass
