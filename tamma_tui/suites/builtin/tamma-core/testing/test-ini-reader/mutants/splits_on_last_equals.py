"""A small INI reader: sections, key = value pairs, comments and typed getters."""


class IniError(ValueError):
    def __init__(self, lineno, message):
        super().__init__(f"line {lineno}: {message}")
        self.lineno = lineno


def parse_ini(text):
    """{section: {key: value}}. Keys are lower-cased and stripped; values are stripped.
    Lines starting with ";" or "#" and blank lines are ignored. A key outside any
    section, a duplicate key in one section, a repeated section header or a line that
    is neither raises IniError with the 1-based line number."""
    data = {}
    section = None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in ";#":
            continue
        if line.startswith("[") and line.endswith("]"):
            name = line[1:-1].strip()
            if not name or name in data:
                raise IniError(lineno, f"bad or repeated section {name!r}")
            section = data[name] = {}
            continue
        key, sep, value = line.rpartition("=")
        key = key.strip().lower()
        if not sep or not key:
            raise IniError(lineno, "expected key = value")
        if section is None:
            raise IniError(lineno, "key outside any section")
        if key in section:
            raise IniError(lineno, f"duplicate key {key!r}")
        section[key] = value.strip()
    return data


def get_bool(data, section, key, default=False):
    """"1/yes/true/on" -> True, "0/no/false/off" -> False, any case; missing -> default."""
    value = data.get(section, {}).get(key)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in ("1", "yes", "true", "on"):
        return True
    if lowered in ("0", "no", "false", "off"):
        return False
    raise ValueError(f"not a boolean: {value!r}")
