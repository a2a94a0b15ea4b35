"""Temperature conversions with a sanity check on physical limits."""

ABSOLUTE_ZERO_C = -273.15


def c_to_f(celsius):
    if celsius < ABSOLUTE_ZERO_C:
        raise ValueError("below absolute zero")
    return celsius * 9 / 5 + 32


def f_to_c(fahrenheit):
    celsius = fahrenheit * 5 / 9 - 32
    if celsius < ABSOLUTE_ZERO_C - 1e-9:  # float noise at exactly -459.67 °F
        raise ValueError("below absolute zero")
    return celsius


def describe(celsius):
    """"freezing" at or below 0, "cold" below 10, "mild" below 25, else "hot"."""
    if celsius <= 0:
        return "freezing"
    if celsius < 10:
        return "cold"
    if celsius < 25:
        return "mild"
    return "hot"
