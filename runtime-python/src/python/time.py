"""time (Morph stand-in): the clocks and calendar functions of CPython's
`time`, in UTC, with a `sleep` that the call's deadline interrupts.

An extension does not see the host's time zone: local time is UTC
(`timezone == 0`, `tzname == ("UTC", "UTC")`), as in a container without
/etc/localtime. `sleep` never outlives the call.
"""

import _morph
import _time

struct_time = _time.struct_time
gmtime = _time.gmtime
asctime = _time.asctime
if hasattr(_time, "get_clock_info"):
    get_clock_info = _time.get_clock_info

_STRUCT_TM_ITEMS = 11

timezone = 0
altzone = 0
daylight = 0
tzname = ("UTC", "UTC")

CLOCK_REALTIME = 0
CLOCK_MONOTONIC = 1


def time():
    return _morph.clock(0)


def time_ns():
    return _morph.clock_ns(0)


def monotonic():
    return _morph.clock(1)


def monotonic_ns():
    return _morph.clock_ns(1)


perf_counter = monotonic
perf_counter_ns = monotonic_ns
process_time = getattr(_time, "process_time", monotonic)
process_time_ns = getattr(_time, "process_time_ns", monotonic_ns)
thread_time = getattr(_time, "thread_time", process_time)
thread_time_ns = getattr(_time, "thread_time_ns", process_time_ns)


def sleep(seconds):
    """Sleeps, interrupted by the call's deadline."""
    if not isinstance(seconds, (int, float)):
        try:
            seconds = float(seconds)
        except (TypeError, ValueError):
            raise TypeError("'%s' object cannot be interpreted as an integer or float"
                            % type(seconds).__name__) from None
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    _morph.sleep(float(seconds))


def localtime(secs=None):
    """Local time is UTC in the sandbox."""
    if secs is None:
        secs = time()
    return gmtime(secs)


def mktime(t):
    """The inverse of `localtime` (UTC in the sandbox)."""
    if len(t) < 9:
        raise TypeError("mktime(): illegal time tuple argument")
    year, month, day, hour, minute, second = (int(x) for x in tuple(t)[:6])
    # Days from the civil date (proleptic Gregorian), as calendar.timegm.
    y = year - (month <= 2)
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days = era * 146097 + doe - 719468
    return float(days * 86400 + hour * 3600 + minute * 60 + second)


def ctime(secs=None):
    return asctime(localtime(secs))


def strftime(format, t=None):
    if t is None:
        t = localtime()
    return _time.strftime(format, t)


def strptime(string, format="%a %b %d %H:%M:%S %Y"):
    import _strptime
    return _strptime._strptime_time(string, format)

