from solution import deep_merge


def test_flat_override():
    assert deep_merge({"a": 1, "b": 2}, {"b": 3, "c": 4}) == {"a": 1, "b": 3, "c": 4}


def test_nested_dicts_merge():
    base = {"db": {"host": "localhost", "port": 5432}}
    assert deep_merge(base, {"db": {"port": 6543}}) == {"db": {"host": "localhost", "port": 6543}}


def test_lists_are_replaced():
    assert deep_merge({"tags": [1, 2]}, {"tags": [3]}) == {"tags": [3]}


def test_none_removes_key():
    assert deep_merge({"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"c": None}}) == {"a": 1, "b": {"d": 3}}


def test_dict_replaces_scalar():
    assert deep_merge({"a": 1}, {"a": {"x": 1}}) == {"a": {"x": 1}}


def test_inputs_not_modified():
    base = {"db": {"port": 1}}
    override = {"db": {"port": 2}}
    deep_merge(base, override)
    assert base == {"db": {"port": 1}}
    assert override == {"db": {"port": 2}}


def test_result_does_not_share_nested_values():
    base = {"db": {"opts": [1]}}
    result = deep_merge(base, {})
    result["db"]["opts"].append(2)
    assert base == {"db": {"opts": [1]}}
