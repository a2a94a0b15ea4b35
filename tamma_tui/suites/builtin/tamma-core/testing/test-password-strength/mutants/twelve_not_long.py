"""A simple password strength meter."""

SYMBOLS = set("!@#$%^&*()-_=+[]{};:,.?/")


def strength(password):
    """Score 0-4: one point each for length >= 12, a digit, both upper- and lower-case
    letters, and a symbol from SYMBOLS. Passwords shorter than 8 always score 0."""
    if len(password) < 8:
        return 0
    score = 0
    if len(password) > 12:
        score += 1
    if any(ch.isdigit() for ch in password):
        score += 1
    if any(ch.isupper() for ch in password) and any(ch.islower() for ch in password):
        score += 1
    if any(ch in SYMBOLS for ch in password):
        score += 1
    return score


def label(score):
    return ("very weak", "weak", "fair", "good", "strong")[score]
