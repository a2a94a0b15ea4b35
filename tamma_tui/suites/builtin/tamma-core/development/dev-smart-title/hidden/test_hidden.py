from solution import smart_title


def test_plain_words():
    assert smart_title("hello big world") == "Hello Big World"


def test_small_words_inside_stay_lower():
    assert smart_title("the lord of the rings") == "The Lord of the Rings"


def test_small_word_at_the_end_is_capitalised():
    assert smart_title("what it is made of") == "What It Is Made Of"


def test_rest_of_word_is_lowercased():
    assert smart_title("hELLO wORLD") == "Hello World"


def test_apostrophe_does_not_start_a_word():
    assert smart_title("don't look back") == "Don't Look Back"


def test_empty_string():
    assert smart_title("") == ""
