"""The sim-server's wire format, checked raw (what any OpenAI client would see)."""

from __future__ import annotations

import json

import httpx
import pytest

BODY = {"model": "sim-small", "messages": [{"role": "user", "content": "Task number 001. Implement `clamp(x, lo, hi)`."}],
        "seed": 3, "temperature": 0.1}


def _events(text: str) -> list[str]:
    return [line[len("data: "):] for line in text.split("\n") if line.startswith("data: ")]


@pytest.mark.parametrize("include_usage", [True, False])
async def test_stream_format(quick_server, include_usage):
    body = {**BODY, "stream": True}
    if include_usage:
        body["stream_options"] = {"include_usage": True}
    async with httpx.AsyncClient() as client:
        r = await client.post(quick_server + "/chat/completions", json=body, headers={"X-Tamma-Task": "development-001"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = _events(r.text)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" and c["model"] == "sim-small" for c in chunks)
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text.startswith("```python\n# task 1")
    finishes = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
    assert finishes[-1] == "stop" and all(f is None for f in finishes[:-1])
    usage_chunks = [c for c in chunks if c.get("usage")]
    if include_usage:
        assert len(usage_chunks) == 1 and usage_chunks[0] is chunks[-1] and usage_chunks[0]["choices"] == []
        usage = usage_chunks[0]["usage"]
        assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0
    else:
        assert usage_chunks == []


async def test_non_streaming_format(quick_server):
    async with httpx.AsyncClient() as client:
        r = await client.post(quick_server + "/chat/completions", json=BODY, headers={"X-Tamma-Task": "development-001"})
    data = r.json()
    assert data["object"] == "chat.completion" and data["model"] == "sim-small"
    choice = data["choices"][0]
    assert choice["message"]["role"] == "assistant" and choice["finish_reason"] == "stop"
    assert choice["message"]["content"].startswith("```python\n# task 1")
    assert data["usage"]["completion_tokens"] == -(-len(choice["message"]["content"]) // 4)


async def test_models_unknown_paths_and_bad_requests(quick_server):
    async with httpx.AsyncClient() as client:
        models = (await client.get(quick_server + "/models")).json()
        missing = await client.get(quick_server + "/nothing-here")
        bad_json = await client.post(quick_server + "/chat/completions", content=b"{not json")
        no_messages = await client.post(quick_server + "/chat/completions", json={"model": "sim-small", "messages": []})
    assert [m["id"] for m in models["data"]] == ["sim-small", "sim-medium", "sim-large"]
    assert missing.status_code == 404
    assert bad_json.status_code == 400 and "invalid request" in bad_json.json()["error"]["message"]
    assert no_messages.status_code == 400
