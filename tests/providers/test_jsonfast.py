"""orjson and the standard-library fallback agree: same bytes for request bodies, same
values back, same errors."""

from __future__ import annotations

import json

import pytest

from tamma_tui.providers import jsonfast

VALUES = [
    {"model": "sim-medium", "temperature": 0.2, "top_p": 1.0, "max_tokens": 64, "seed": 4294967295,
     "messages": [{"role": "user", "content": "Grüße, 日本語, \"quotes\", \\ and\nnew lines\t😀"}],
     "stream": True, "stream_options": {"include_usage": True}, "stop": None},
    [1, -2.5, 1e-7, 123456789.125, True, False, None, "", [], {}],
    "plain",
]


def _stdlib_dumps(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def test_a_request_body_is_the_same_bytes_either_way():
    assert jsonfast.dumps(VALUES[0]) == jsonfast._stdlib_dumps(VALUES[0]) == _stdlib_dumps(VALUES[0])


@pytest.mark.parametrize("value", VALUES)
def test_both_back_ends_read_back_what_either_wrote(value):
    # Byte forms may differ only in float spelling (orjson writes 1e-7, json 1e-07).
    for written in (jsonfast.dumps(value), _stdlib_dumps(value)):
        assert jsonfast.loads(written) == value == jsonfast.stdlib_loads(written)


@pytest.mark.parametrize("loads", [jsonfast.loads, jsonfast.stdlib_loads])
@pytest.mark.parametrize("bad", [b"{", b'{"a": }', b"", b"[1,]", b"\xff\xfe{"])
def test_malformed_input_is_a_value_error(loads, bad):
    with pytest.raises(ValueError):
        loads(bad)


@pytest.mark.parametrize("dumps", [jsonfast.dumps, jsonfast._stdlib_dumps])
def test_values_json_cannot_hold_are_a_type_error(dumps):
    with pytest.raises(TypeError):
        dumps({"when": object()})


def test_orjson_is_used_when_installed():
    pytest.importorskip("orjson")
    assert jsonfast.BACKEND == "orjson"
