def parse_cron_field(field, low, high):
    values = []
    for item in field.split(","):
        if "/" in item:
            base, step = item.split("/")
            step = int(step)
        else:
            base, step = item, 1
        if base == "*":
            start, end = 0, high
        elif "-" in base:
            start, end = [int(x) for x in base.split("-")]
        else:
            start = end = int(base)
        values.extend(range(start, end, step))
    return sorted(values)
