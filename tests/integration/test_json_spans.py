"""JSON edits spliced into the original text: only the changed bytes move."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tamma_tui.errors import BadInput
from tamma_tui.integration.json_text import rewrite
from tamma_tui.integration.stores import open_store

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("text, change, expected", [
    ('{"a": 1, "b": {"c": 2}}\n', lambda d: d["b"].update(c=3), '{"a": 1, "b": {"c": 3}}\n'),
    ('{"a":1,"b":{}}', lambda d: d["b"].update(x="y"), '{"a":1,"b":{"x": "y"}}'),
    ('{\n    "a": 1,\n    "z": true\n}', lambda d: d.pop("a"), '{\n    "z": true\n}'),
    ('{\n    "a": 1,\n    "z": true\n}', lambda d: d.pop("z"), '{\n    "a": 1\n}'),
    ('{\n\t"a": 1\n}\n', lambda d: d.update(b=[1, 2]), '{\n\t"a": 1,\n\t"b": [\n\t\t1,\n\t\t2\n\t]\n}\n'),
    ('{"name": "caf\\u00e9", "n": 1}', lambda d: d.update(n=2), '{"name": "caf\\u00e9", "n": 2}'),
    ('{"s": "x, y: z", "k": [1,  2]}', lambda d: d.update(s="w"), '{"s": "w", "k": [1,  2]}'),
])
def test_splice_touches_only_the_change(text, change, expected):
    data = json.loads(text)
    change(data)
    assert rewrite(text, data) == expected
    assert json.loads(rewrite(text, data)) == data


def test_unchanged_document_is_returned_as_is():
    text = '{ "a" :1 ,"b":[ 1,2 ] }'
    assert rewrite(text, json.loads(text)) is text


def test_an_invalid_result_is_never_written(tmp_path):
    path = tmp_path / "tamma.config.json"
    shutil.copy(ROOT / "sample_configs" / "tamma" / "tamma.config.json", path)
    before = path.read_bytes()
    store = open_store(f"tamma-file:{path}")
    live = store.read("reviewer")
    bad = live.text.replace('"maxBudgetUsd": 5', '"maxBudgetUsd": 500')
    with pytest.raises(BadInput, match="maxBudgetUsd"):
        store.write("reviewer", bad, base=live)
    assert path.read_bytes() == before
    assert not list(tmp_path.glob(".*.tmp"))
