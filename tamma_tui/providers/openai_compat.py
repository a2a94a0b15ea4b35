"""OpenAI-compatible chat completions (OpenAI, vLLM, Ollama, llama.cpp, the sim-server).

Streaming (SSE) by default: time to first token is measured at the first content delta
and usage comes from the final chunk (``stream_options.include_usage``). This path runs
once per trial at high concurrency, so SSE lines are parsed by hand with ``json.loads``
(no per-chunk models) and the request body is serialised once.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

from tamma_tui.config.models import AgentConfig

from .base import SERVER_ERROR, AgentRequest, Completion, ProviderError
from .http_common import (
    bad_response,
    error_for_exception,
    error_for_status,
    estimate_tokens,
    make_client,
    read_api_key,
    redact,
)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_loads = json.loads
_perf = time.perf_counter


class OpenAICompatProvider:
    """``Provider`` for any server that speaks ``POST {base_url}/chat/completions``."""

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
        self._where = f"{config.provider} {urlsplit(base).netloc or base}"
        self._client = make_client(config.timeout_s, max_connections, transport)
        params = config.parameters.model_dump(exclude_none=True)
        self._base_body: dict[str, Any] = {"model": config.model, **params}
        self._stream = config.stream
        self._key_env = config.api_key_env
        self._timeout_s = config.timeout_s

    async def aclose(self) -> None:
        await self._client.aclose()

    def _request_parts(self, request: AgentRequest, key: str | None) -> tuple[bytes, dict[str, str]]:
        body = dict(self._base_body)
        body["messages"] = list(request.messages)
        body["seed"] = request.seed
        if self._stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        headers = {"content-type": "application/json", "accept": "text/event-stream" if self._stream else "application/json"}
        if key:
            headers["authorization"] = "Bearer " + key
        if request.task_id:
            headers["x-tamma-task"] = request.task_id
        return _dumps(body).encode(), headers

    async def complete(self, request: AgentRequest) -> Completion:
        key = read_api_key(self._key_env)
        content, headers = self._request_parts(request, key)
        t0 = _perf()
        try:
            async with asyncio.timeout(self._timeout_s):
                if self._stream:
                    return await self._streamed(content, headers, request, t0, key)
                return await self._whole(content, headers, request, t0, key)
        except ProviderError:
            raise
        except (httpx.HTTPError, OSError, TimeoutError) as exc:
            # ``from None``: httpx exceptions carry the request (and its headers).
            raise error_for_exception(exc, where=self._where, secret=key) from None

    async def _streamed(
        self, content: bytes, headers: dict[str, str], request: AgentRequest, t0: float, key: str | None
    ) -> Completion:
        parts: list[str] = []
        ttft: float | None = None
        finish: str | None = None
        usage: dict[str, Any] | None = None
        done = False
        async with self._client.stream("POST", self.url, content=content, headers=headers) as resp:
            if resp.status_code >= 400:
                raise error_for_status(
                    resp.status_code, resp.headers, await resp.aread(), where=self._where, secret=key
                )
            # Read to the very end (not just [DONE]) so the connection goes back to the pool.
            async for line in resp.aiter_lines():
                if done or not line.startswith("data:"):
                    continue  # blank separators, ": keep-alive" comments, "event:" lines
                data = line[5:].strip()
                if data == "[DONE]":
                    done = True
                    continue
                try:
                    obj = _loads(data)
                except ValueError:
                    raise bad_response(self._where, "malformed JSON in stream chunk") from None
                if not isinstance(obj, dict):
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
                    raise ProviderError(SERVER_ERROR, f"{self._where}: error event in stream: "
                                        + redact(str(obj["error"])[:200], key))
        latency = _perf() - t0
        if finish is None:
            raise bad_response(self._where, "stream ended without a finish reason")
        return _completion("".join(parts), usage, request, latency, ttft, finish)

    async def _whole(
        self, content: bytes, headers: dict[str, str], request: AgentRequest, t0: float, key: str | None
    ) -> Completion:
        resp = await self._client.post(self.url, content=content, headers=headers)
        if resp.status_code >= 400:
            raise error_for_status(resp.status_code, resp.headers, resp.content, where=self._where, secret=key)
        latency = _perf() - t0
        try:
            obj = _loads(resp.content)
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
