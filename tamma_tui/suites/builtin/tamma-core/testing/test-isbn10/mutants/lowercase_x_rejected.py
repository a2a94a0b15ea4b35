"""ISBN-10 validation and check-digit computation."""


def isbn10_check_digit(first_nine):
    """The check character for nine digits: "0"-"9", or "X" for ten."""
    if len(first_nine) != 9 or not first_nine.isdigit():
        raise ValueError("need exactly nine digits")
    total = sum((10 - i) * int(d) for i, d in enumerate(first_nine))
    check = (11 - total % 11) % 11
    return "X" if check == 10 else str(check)


def normalize(text):
    """Drop hyphens and spaces; a lowercase check character "x" becomes "X"."""
    return text.replace("-", "").replace(" ", "")


def is_valid_isbn10(text):
    """True for a well-formed ISBN-10; hyphens and spaces are ignored, "x" accepted."""
    digits = normalize(text)
    if len(digits) != 10 or not digits[:9].isdigit():
        return False
    return isbn10_check_digit(digits[:9]) == digits[9]
