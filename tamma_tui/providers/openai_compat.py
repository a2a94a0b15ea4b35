"""OpenAI-compatible chat completions (OpenAI, vLLM, Ollama, llama.cpp, the sim-server).

Streaming (SSE) by default: time to first token is measured at the first content delta
and usage comes from the final chunk (``stream_options.include_usage``). Non-streaming
when ``config.stream`` is false.

This path runs once per trial at high concurrency (a benchmarked budget of ~0.5 ms CPU
per trial), so it is kept lean: the request body is serialised once and posted through
the provider's pooled ``HttpSender`` (the lean client for plain http, httpx otherwise);
SSE is split into lines and parsed from bytes (orjson when installed), with no
per-chunk models. No deadline of its own: the engine bounds each attempt.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import httpx

from tamma_tui import __version__
from tamma_tui.config.models import AgentConfig

from .base import SERVER_ERROR, AgentRequest, Completion, ProviderError
from .http import (
    HttpResponse,
    SseData,
    as_provider_errors,
    bad_response,
    decompress,
    make_sender,
    post_checked,
)
from .keys import read_api_key, redact
from .tokens import estimate_tokens
from .jsonfast import dumps, loads

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_KEY_ENV = "OPENAI_API_KEY"  # only when base_url is left at the OpenAI default


from tamma_tui.providers.tools import tool_definitions  # noqa: E402


def key_env_for(config: AgentConfig) -> str | None:
    """The variable that holds the key. Local servers (a base_url) may need none; the
    OpenAI API itself always does, so it defaults to OPENAI_API_KEY."""
    if config.api_key_env:
        return config.api_key_env
    return DEFAULT_KEY_ENV if config.base_url is None and config.provider == "openai" else None


_perf = time.perf_counter
_USER_AGENT = f"tamma-bench/{__version__}"


class OpenAICompatProvider:
    """``Provider`` for any server that speaks ``POST {base_url}/chat/completions``.

    One provider owns one connection pool (``max_connections``); ``transport`` (an httpx
    transport) replaces it: the simulated provider passes its in-process one.
    """

    def __init__(
        self,
        config: AgentConfig,
        *,
        max_connections: int = 64,
        transport: httpx.AsyncBaseTransport | None = None,
        base_url: str | None = None,
    ):
        self.config = config
        base = (base_url or config.base_url or DEFAULT_BASE_URL).rstrip("/")
        self.url = base + "/chat/completions"
        self._where = f"{config.provider} {urlsplit(base).netloc.rpartition('@')[2] or base}"
        self._sender = make_sender(self.url, config.timeout_s, max_connections, transport)
        params = config.parameters.model_dump(exclude_none=True)
        self._base_body: dict[str, Any] = {"model": config.model, **params}
        tools = tool_definitions(config, "openai")
        if tools:
            self._base_body["tools"] = tools
        self._stream = config.stream
        self._key_env = key_env_for(config) if base_url is None else config.api_key_env
        self._base_headers = [
            (b"User-Agent", _USER_AGENT.encode()),
            (b"Accept-Encoding", b"identity"),
            (b"Content-Type", b"application/json"),
        ]

    async def aclose(self) -> None:
        await self._sender.aclose()

    def request_parts(self, request: AgentRequest, key: str | None) -> tuple[list[tuple[bytes, bytes]], bytes]:
        body = dict(self._base_body)
        body["messages"] = list(request.messages)
        body["seed"] = request.seed
        if self._stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        headers = self._base_headers.copy()
        if key:
            headers.append((b"Authorization", b"Bearer " + key.encode()))
        if request.task_id:
            headers.append((b"X-Tamma-Task", request.task_id.encode()))
        return headers, dumps(body)

    async def complete(self, request: AgentRequest) -> Completion:
        key = read_api_key(self._key_env)
        headers, body = self.request_parts(request, key)
        t0 = _perf()
        with as_provider_errors(where=self._where, secret=key):
            response = await post_checked(self._sender, headers, body, where=self._where, secret=key)
            try:
                if self._stream:
                    return await self._streamed(response, request, t0, key)
                return await self._whole(response, request, t0)
            finally:
                await response.aclose()

    async def _streamed(self, response: HttpResponse, request: AgentRequest, t0: float, key: str | None) -> Completion:
        parts: list[str] = []
        ttft: float | None = None
        finish: str | None = None
        usage: dict[str, Any] | None = None
        done = False
        sse = SseData()
        # Read to the very end (past [DONE]) so the connection goes back to the pool.
        while chunk := await response.read_chunk():
            for data in sse.feed(chunk):
                if done:
                    continue
                if data == b"[DONE]":
                    done = True
                    continue
                try:
                    obj = loads(data)
                except ValueError:
                    raise bad_response(self._where, "malformed JSON in stream chunk") from None
                if type(obj) is not dict:
                    raise bad_response(self._where, "stream chunk is not a JSON object")
                choices = obj.get("choices")
                if choices:
                    choice = choices[0]
                    delta = choice.get("delta")
                    if delta:
                        text = delta.get("content")
                        if text:
                            if ttft is None:
                                ttft = _perf() - t0
                            parts.append(text)
                    reason = choice.get("finish_reason")
                    if reason:
                        finish = reason
                u = obj.get("usage")
                if u:
                    usage = u
                elif "error" in obj:
                    detail = redact(str(obj["error"]), key, 200)
                    raise ProviderError(SERVER_ERROR, f"{self._where}: error event in stream: {detail}")
        latency = _perf() - t0
        if sse.cut_short and not done:
            raise bad_response(self._where, "stream ended in the middle of an event")
        if finish is None:
            raise bad_response(self._where, "stream ended without a finish reason")
        return _completion("".join(parts), usage, request, latency, ttft, finish)

    async def _whole(self, response: HttpResponse, request: AgentRequest, t0: float) -> Completion:
        raw = await response.read_all()
        latency = _perf() - t0
        try:
            obj = loads(decompress(raw, response.headers.get("content-encoding")))
            choice = obj["choices"][0]
            text = choice["message"].get("content") or ""
            finish = choice.get("finish_reason")
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise bad_response(self._where, "malformed JSON response") from None
        return _completion(text, obj.get("usage"), request, latency, None, finish)


def _completion(
    text: str,
    usage: dict[str, Any] | None,
    request: AgentRequest,
    latency: float,
    ttft: float | None,
    finish: str | None,
) -> Completion:
    if usage:
        prompt = int(usage.get("prompt_tokens") or 0)
        completion = int(usage.get("completion_tokens") or 0)
        details = usage.get("prompt_tokens_details") or {}
        cached = int(details.get("cached_tokens") or 0) if isinstance(details, dict) else 0
    else:  # servers without usage reporting: estimate ~4 characters per token
        prompt = sum(estimate_tokens(str(m.get("content") or "")) for m in request.messages)
        completion = estimate_tokens(text)
        cached = 0
    return Completion(
        text=text,
        prompt_tokens=prompt,
        completion_tokens=completion,
        latency_s=latency,
        ttft_s=ttft,
        finish_reason=finish,
        cached_prompt_tokens=cached,
    )
