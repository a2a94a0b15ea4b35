"""Split an amount of cents by ratios so that the parts always add up exactly."""


def allocate(cents, ratios):
    """Parts proportional to integer `ratios` (non-negative, not all zero) that sum to
    `cents`. Each part gets the floor of its exact share; the cents left over go one
    each to the parts with the largest remainders, earlier parts winning ties.
    Negative amounts are allocated like positive ones and negated."""
    if not ratios or any(r < 0 for r in ratios) or sum(ratios) == 0:
        raise ValueError("ratios must be non-negative and not all zero")
    if cents < 0:
        return [-part for part in allocate(-cents, ratios)]
    total = sum(ratios)
    parts = [cents * r // total for r in ratios]
    remainders = [cents * r % total for r in ratios]
    leftover = cents - sum(parts)
    order = sorted(range(len(ratios)), key=lambda i: (remainders[i], i))
    for i in order[:leftover]:
        parts[i] += 1
    return parts


def split_evenly(cents, n):
    """`n` parts differing by at most one cent, larger parts first."""
    if n < 1:
        raise ValueError("n must be >= 1")
    return allocate(cents, [1] * n)
