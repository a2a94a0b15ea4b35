from solution import slugify


def test_simple_title():
    assert slugify("Hello World") == "hello-world"


def test_runs_collapse_to_one_hyphen():
    assert slugify("a  --  b") == "a-b"


def test_punctuation_at_the_ends_is_dropped():
    assert slugify("  !Release notes, v2!  ") == "release-notes-v2"


def test_uppercase_letters_are_kept_as_lowercase():
    assert slugify("ABC Def") == "abc-def"


def test_digits_are_kept():
    assert slugify("Top 10 tips") == "top-10-tips"


def test_no_letters_gives_empty_string():
    assert slugify("?!--") == ""
