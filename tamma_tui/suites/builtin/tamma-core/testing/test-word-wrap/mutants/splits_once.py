"""Greedy word wrapping for fixed-width terminals."""


def wrap(text, width):
    """Lines of at most `width` characters, breaking at spaces; words longer than
    `width` are split across lines. Runs of whitespace collapse; blank text gives []."""
    if width < 1:
        raise ValueError("width must be >= 1")
    lines, current = [], ""
    for word in text.split():
        if len(word) > width:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:width])
            word = word[width:]
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def fill(text, width):
    return "\n".join(wrap(text, width))
