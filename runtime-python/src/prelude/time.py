"""time: clocks, and a sleep that the call's deadline interrupts."""

import _morph


def time():
    return _morph.clock(0)


def monotonic():
    return _morph.clock(1)


def perf_counter():
    return _morph.clock(1)


def time_ns():
    return int(_morph.clock(0) * 1e9)


def monotonic_ns():
    return int(_morph.clock(1) * 1e9)


perf_counter_ns = monotonic_ns


def sleep(seconds):
    _morph.sleep(float(seconds))
