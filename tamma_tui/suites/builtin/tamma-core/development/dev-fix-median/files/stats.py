def median(values):
    """Middle value of the data."""
    n = len(values)
    mid = n // 2
    if n % 2:
        return values[mid]
    return (values[mid] + values[mid + 1]) // 2
