"""Error bodies as servers really send them, reduced to the server's own message."""

from __future__ import annotations

from tamma_tui.providers.base import RATE_LIMITED, SERVER_ERROR
from tamma_tui.providers.http import error_for_status, unwrap_sse_body


def test_an_sse_framed_error_body_is_unwrapped_before_it_is_stored():
    body = (b'event: error\ndata: {"type":"error","error":{"type":"overloaded_error",'
            b'"message":"Overloaded, try later"}}\n\n')
    err = error_for_status(529, {}, body, where="anthropic gw", secret=None)
    assert err.kind == SERVER_ERROR
    assert str(err) == "anthropic gw: HTTP 529: Overloaded, try later"
    assert "data:" not in str(err) and "event:" not in str(err)


def test_data_only_framing_and_plain_bodies():
    body = b'data: {"error": {"message": "slow down"}}\n\n'
    assert unwrap_sse_body(body) == b'{"error": {"message": "slow down"}}'
    assert str(error_for_status(429, {"retry-after": "2"}, body, where="w", secret=None)).endswith("slow down")
    assert error_for_status(429, {}, body, where="w", secret=None).kind == RATE_LIMITED
    assert unwrap_sse_body(b'{"error": "x"}') == b'{"error": "x"}'
    assert unwrap_sse_body(b"upstream said no") == b"upstream said no"
