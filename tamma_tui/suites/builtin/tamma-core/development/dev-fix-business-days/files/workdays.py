from datetime import date, timedelta


def business_days(start, end, holidays=()):
    count = 0
    day = start
    while day <= end:
        if day.weekday() < 6:
            count += 1
        day += timedelta(days=1)
    return count - len(holidays)
