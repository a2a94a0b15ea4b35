from solution import diff_lists


def _sides(ops):
    before = [item for op, item in ops if op != "+"]
    after = [item for op, item in ops if op != "-"]
    return before, after


def test_identical_lists():
    assert diff_lists([1, 2], [1, 2]) == [("=", 1), ("=", 2)]


def test_from_empty_and_to_empty():
    assert diff_lists([], ["a", "b"]) == [("+", "a"), ("+", "b")]
    assert diff_lists(["a", "b"], []) == [("-", "a"), ("-", "b")]


def test_delete_and_append():
    assert diff_lists([1, 2, 3, 4], [1, 3, 4, 5]) == [("=", 1), ("-", 2), ("=", 3), ("=", 4), ("+", 5)]


def test_replacement_deletes_first():
    assert diff_lists(["a", "b", "c"], ["a", "x", "c"]) == [("=", "a"), ("-", "b"), ("+", "x"), ("=", "c")]


def test_kept_items_are_a_longest_common_subsequence():
    old, new = list("ABCBDAB"), list("BDCABA")
    ops = diff_lists(old, new)
    assert _sides(ops) == (old, new)
    assert sum(1 for op, _ in ops if op == "=") == 4


def test_greedy_choice_is_not_enough():
    old, new = list("xaaaa"), list("aaaax")
    ops = diff_lists(old, new)
    assert _sides(ops) == (old, new)
    assert sum(1 for op, _ in ops if op == "=") == 4


def test_no_insert_directly_before_delete():
    ops = diff_lists(list("abcdef"), list("azcyef"))
    pairs = [(a[0], b[0]) for a, b in zip(ops, ops[1:])]
    assert ("+", "-") not in pairs
    assert _sides(ops) == (list("abcdef"), list("azcyef"))


def test_unhashable_items():
    assert diff_lists([[1], [2]], [[2]]) == [("-", [1]), ("=", [2])]
