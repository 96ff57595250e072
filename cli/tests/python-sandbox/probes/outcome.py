"""One probe's outcome: `ok:<value>` or the name of the exception raised."""


def outcome(probe):
    try:
        value = probe()
    except BaseException as exc:  # noqa: BLE001 - every way out is reported
        return type(exc).__name__
    return "ok" if value is None else "ok:" + str(value)
