from solution import top_words, word_counts


def test_counts_are_case_insensitive():
    assert word_counts("The cat and the hat") == {"the": 2, "cat": 1, "and": 1, "hat": 1}


def test_apostrophes_stay_inside_words():
    assert word_counts("Don't stop, don't!") == {"don't": 2, "stop": 1}


def test_empty_text():
    assert word_counts("") == {}


def test_top_words_order_by_count():
    assert top_words("b a b c b a", 2) == [("b", 3), ("a", 2)]


def test_ties_are_alphabetical():
    assert top_words("pear apple fig", 2) == [("apple", 1), ("fig", 1)]


def test_fewer_words_than_n():
    assert top_words("one two", 5) == [("one", 1), ("two", 1)]
