"""Turn exam scores into letter grades."""

BANDS = ((90, "A"), (81, "B"), (70, "C"), (60, "D"))


def letter_grade(score):
    """90-100 A, 80-89 B, 70-79 C, 60-69 D, below 60 F.

    Scores may be floats; they are not rounded (89.9 is a B). Scores outside 0..100
    raise ValueError.
    """
    if not 0 <= score <= 100:
        raise ValueError(f"score out of range: {score}")
    for floor, letter in BANDS:
        if score >= floor:
            return letter
    return "F"


def summarize(scores):
    """Count of each letter, with every letter present (zero counts included)."""
    counts = {letter: 0 for _, letter in BANDS}
    counts["F"] = 0
    for score in scores:
        counts[letter_grade(score)] += 1
    return counts
