import pytest

from solution import CycleError, topo_order


def test_empty():
    assert topo_order({}) == []


def test_prerequisite_only_nodes_are_included():
    assert topo_order({"b": ["a"]}) == ["a", "b"]


def test_chain():
    assert topo_order({"c": ["b"], "b": ["a"], "a": []}) == ["a", "b", "c"]


def test_diamond():
    assert topo_order({"d": ["b", "c"], "b": ["a"], "c": ["a"]}) == ["a", "b", "c", "d"]


def test_independent_nodes_are_alphabetical():
    assert topo_order({"z": [], "m": [], "a": []}) == ["a", "m", "z"]


def test_released_nodes_compete_alphabetically():
    assert topo_order({"b": ["x"], "a": ["x"], "c": [], "x": []}) == ["c", "x", "a", "b"]


def test_repeated_prerequisites():
    assert topo_order({"b": ["a", "a"]}) == ["a", "b"]


def test_cycle_raises():
    with pytest.raises(CycleError):
        topo_order({"a": ["b"], "b": ["c"], "c": ["a"], "d": []})


def test_self_dependency_is_a_cycle():
    with pytest.raises(ValueError):
        topo_order({"a": ["a"]})
