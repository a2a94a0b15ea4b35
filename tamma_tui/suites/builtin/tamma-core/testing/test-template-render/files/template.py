"""A tiny template language: {name}, {name|fallback}, and {{ / }} for literal braces."""


class TemplateError(ValueError):
    pass


def render(template, values):
    """Replace {key} with str(values[key]); {key|fallback} uses fallback when the key
    is missing or None. "{{" and "}}" are literal braces. A missing key without a
    fallback, an unclosed "{" or a stray "}" raises TemplateError."""
    out = []
    i = 0
    while i < len(template):
        ch = template[i]
        if template.startswith("{{", i) or template.startswith("}}", i):
            out.append(ch)
            i += 2
        elif ch == "{":
            end = template.find("}", i)
            if end == -1:
                raise TemplateError(f"unclosed '{{' at {i}")
            name, bar, fallback = template[i + 1:end].partition("|")
            name = name.strip()
            value = values.get(name)
            if value is None:
                if not bar:
                    raise TemplateError(f"missing value for {name!r}")
                value = fallback
            out.append(str(value))
            i = end + 1
        elif ch == "}":
            raise TemplateError(f"stray '}}' at {i}")
        else:
            out.append(ch)
            i += 1
    return "".join(out)
