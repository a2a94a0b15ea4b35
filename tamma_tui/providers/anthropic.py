"""Anthropic Messages API, streaming by default, through the pooled ``HttpSender``.

Stream events used: ``message_start`` (usage.input_tokens, cache reads), each
``content_block_delta`` of type ``text_delta`` (the text; the first one sets ttft),
``message_delta`` (cumulative usage: output tokens, and input tokens where a gateway
reports them only there; stop_reason), ``message_stop`` and ``error``.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import httpx

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
from .jsonfast import dumps, loads

DEFAULT_BASE_URL = "https://api.anthropic.com"
ANTHROPIC_VERSION = "2023-06-01"
DEFAULT_KEY_ENV = "ANTHROPIC_API_KEY"
DEFAULT_MAX_TOKENS = 4096  # the API requires max_tokens
_STOP_REASONS = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls"}
_perf = time.perf_counter


from tamma_tui.providers.tools import tool_definitions  # noqa: E402


def key_env_for(config: AgentConfig) -> str:
    """The variable that holds the key: ``api_key_env``, else ANTHROPIC_API_KEY."""
    return config.api_key_env or DEFAULT_KEY_ENV


def finish_reason_of(stop_reason: str | None) -> str | None:
    if stop_reason is None:
        return None
    return _STOP_REASONS.get(stop_reason, stop_reason)


class AnthropicProvider:
    def __init__(
        self,
        config: AgentConfig,
        *,
        max_connections: int = 64,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        self.config = config
        base = (config.base_url or DEFAULT_BASE_URL).rstrip("/")
        # Accept both "https://api.anthropic.com" and ".../v1" as base_url.
        self.url = base + ("/messages" if base.endswith("/v1") else "/v1/messages")
        self._where = f"anthropic {urlsplit(base).netloc.rpartition('@')[2] or base}"
        self._sender = make_sender(self.url, config.timeout_s, max_connections, transport)
        params = config.parameters.model_dump(exclude_none=True)
        params.setdefault("max_tokens", DEFAULT_MAX_TOKENS)
        for name in ("seed", "frequency_penalty", "presence_penalty"):
            params.pop(name, None)  # not part of the Messages API
        self._base_body: dict[str, Any] = {"model": config.model, **params}
        tools = tool_definitions(config, "anthropic")
        if tools:
            self._base_body["tools"] = tools
        self._stream = config.stream
        self._key_env = key_env_for(config)

    async def aclose(self) -> None:
        await self._sender.aclose()

    def _request_parts(self, request: AgentRequest, key: str | None) -> tuple[list[tuple[bytes, bytes]], bytes]:
        system = "\n\n".join(m["content"] for m in request.messages if m.get("role") == "system")
        turns = [
            {"role": m["role"], "content": m["content"]}
            for m in request.messages
            if m.get("role") in ("user", "assistant")
        ]
        body = dict(self._base_body)
        if system:
            body["system"] = system
        body["messages"] = turns
        if self._stream:
            body["stream"] = True
        headers = [
            (b"Content-Type", b"application/json"),
            (b"Accept-Encoding", b"identity"),
            (b"anthropic-version", ANTHROPIC_VERSION.encode()),
        ]
        if key:
            headers.append((b"x-api-key", key.encode()))
        return headers, dumps(body)

    async def complete(self, request: AgentRequest) -> Completion:
        key = read_api_key(self._key_env)
        headers, body = self._request_parts(request, key)
        t0 = _perf()
        with as_provider_errors(where=self._where, secret=key):
            response = await post_checked(self._sender, headers, body, where=self._where, secret=key)
            try:
                if self._stream:
                    return await self._streamed(response, t0, key)
                return await self._whole(response, t0)
            finally:
                await response.aclose()

    async def _streamed(self, response: HttpResponse, t0: float, key: str | None) -> Completion:
        parts: list[str] = []
        ttft: float | None = None
        stop_reason: str | None = None
        stopped = False
        prompt_tokens = completion_tokens = cached = 0
        sse = SseData()  # "event:" lines repeat the type that the data carries
        while chunk := await response.read_chunk():
            for data in sse.feed(chunk):
                try:
                    event = loads(data)
                except ValueError:
                    raise bad_response(self._where, "malformed JSON in stream event") from None
                if not isinstance(event, dict):
                    raise bad_response(self._where, "stream event is not a JSON object")
                kind = event.get("type")
                if kind == "content_block_delta":
                    delta = event.get("delta") or {}
                    text = delta.get("text") if delta.get("type") == "text_delta" else None
                    if text:
                        if ttft is None:
                            ttft = _perf() - t0
                        parts.append(text)
                elif kind == "message_start":
                    usage = (event.get("message") or {}).get("usage") or {}
                    prompt_tokens = int(usage.get("input_tokens") or 0)
                    cached = int(usage.get("cache_read_input_tokens") or 0)
                    completion_tokens = int(usage.get("output_tokens") or 0)
                elif kind == "message_delta":
                    # Cumulative counts. Gateways (LiteLLM's proxy) send input tokens only
                    # here, with 0 in message_start: read both, keep the larger.
                    usage = event.get("usage") or {}
                    if usage.get("output_tokens") is not None:
                        completion_tokens = int(usage["output_tokens"])
                    if usage.get("input_tokens") is not None:
                        prompt_tokens = max(prompt_tokens, int(usage["input_tokens"]))
                    if usage.get("cache_read_input_tokens") is not None:
                        cached = max(cached, int(usage["cache_read_input_tokens"]))
                    stop_reason = (event.get("delta") or {}).get("stop_reason") or stop_reason
                elif kind == "message_stop":
                    stopped = True
                elif kind == "error":
                    err = event.get("error") or {}
                    detail = redact(str(err.get("message") or err.get("type") or "error"), key, 200)
                    raise ProviderError(SERVER_ERROR, f"{self._where}: error event in stream: {detail}")
        latency = _perf() - t0
        if not stopped and stop_reason is None:
            raise bad_response(self._where, "stream ended before message_stop")
        return Completion(
            text="".join(parts),
            prompt_tokens=prompt_tokens + cached,
            completion_tokens=completion_tokens,
            latency_s=latency,
            ttft_s=ttft,
            finish_reason=finish_reason_of(stop_reason) or "stop",
            cached_prompt_tokens=cached,
        )

    async def _whole(self, response: HttpResponse, t0: float) -> Completion:
        raw = await response.read_all()
        latency = _perf() - t0
        try:
            obj = loads(decompress(raw, response.headers.get("content-encoding")))
            text = "".join(b.get("text", "") for b in obj["content"] if b.get("type") == "text")
            usage = obj.get("usage") or {}
            cached = int(usage.get("cache_read_input_tokens") or 0)
            prompt = int(usage.get("input_tokens") or 0) + cached
            completion = int(usage.get("output_tokens") or 0)
            stop = obj.get("stop_reason")
        except (ValueError, KeyError, TypeError, AttributeError):
            raise bad_response(self._where, "malformed JSON response") from None
        return Completion(text, prompt, completion, latency, None, finish_reason_of(stop) or "stop", cached)
