from solution import parse_ini


def _error(text):
    try:
        parse_ini(text)
    except ValueError as exc:
        return str(exc)
    raise AssertionError("expected ValueError")


def test_sections_and_keys():
    text = "[server]\nhost = example.org\nport=8080\n[client]\nretries = 3\n"
    assert parse_ini(text) == {"server": {"host": "example.org", "port": "8080"},
                               "client": {"retries": "3"}}


def test_comments_and_blank_lines_are_ignored():
    text = "; top\n\n[a]\n  # note\nx = 1\n"
    assert parse_ini(text) == {"a": {"x": "1"}}


def test_keys_lowercased_values_kept():
    assert parse_ini("[S]\n  Name =  Ada Lovelace  \n") == {"S": {"name": "Ada Lovelace"}}


def test_value_may_contain_equals_and_semicolon():
    assert parse_ini("[db]\nurl = a=b;c\n") == {"db": {"url": "a=b;c"}}


def test_repeated_section_continues():
    assert parse_ini("[a]\nx = 1\n[b]\n[a]\ny = 2\n") == {"a": {"x": "1", "y": "2"}, "b": {}}


def test_duplicate_key_reports_its_line():
    assert "line 3" in _error("[a]\nx = 1\nX = 2\n")


def test_key_outside_section():
    assert "line 2" in _error("\nx = 1\n[a]\n")


def test_garbage_line():
    assert "line 2" in _error("[a]\njust words\n")
