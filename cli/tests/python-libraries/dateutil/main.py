"""python-dateutil (with six), vendored unchanged: parsing, relative deltas,
recurrence rules, Easter and fixed/POSIX-string time zones.

Every result is a plain JSON value (dates as ISO strings) and nothing depends
on the host: parse() is always given a default datetime (never the clock), and
no input names the host's own zone (which dateutil maps to tzlocal()).
"""

import datetime

from dateutil import easter, parser, relativedelta, rrule, tz

DEFAULT = datetime.datetime(2000, 1, 1)


def _iso(value):
    return value.isoformat() if value is not None else None


def parse(params):
    out = []
    for text in params["texts"]:
        try:
            value = parser.parse(
                text,
                default=DEFAULT,
                dayfirst=params.get("dayfirst", False),
                yearfirst=params.get("yearfirst", False),
                fuzzy=params.get("fuzzy", False),
                tzinfos=params.get("tzinfos"),
            )
            out.append({"text": text, "iso": value.isoformat(), "repr": repr(value)})
        except (parser.ParserError, ValueError, OverflowError) as e:
            out.append({"text": text, "error": type(e).__name__, "message": str(e)})
    return out


def isoparse(params):
    out = []
    for text in params["texts"]:
        try:
            value = parser.isoparse(text)
            out.append({"text": text, "iso": value.isoformat(), "offset": _iso_offset(value)})
        except ValueError as e:
            out.append({"text": text, "error": type(e).__name__, "message": str(e)})
    return out


def _iso_offset(value):
    off = value.utcoffset()
    return None if off is None else off.total_seconds()


def delta(params):
    base = parser.isoparse(params["base"])
    out = []
    for spec in params["deltas"]:
        kwargs = dict(spec)
        if "weekday" in kwargs:
            name, n = kwargs.pop("weekday")
            kwargs["weekday"] = getattr(relativedelta, name)(n)
        rd = relativedelta.relativedelta(**kwargs)
        out.append(
            {
                "repr": repr(rd),
                "plus": (base + rd).isoformat(),
                "minus": (base - rd).isoformat(),
                "normalized": repr(rd.normalized()),
            }
        )
    a, b = parser.isoparse(params["between"][0]), parser.isoparse(params["between"][1])
    between = relativedelta.relativedelta(a, b)
    return {
        "deltas": out,
        "between": repr(between),
        "between_fields": [between.years, between.months, between.days, between.hours],
        "sum": repr(relativedelta.relativedelta(months=+1) + relativedelta.relativedelta(days=-3, hours=5)),
    }


def rules(params):
    out = {}
    for name, text in sorted(params["rules"].items()):
        rule = rrule.rrulestr(text, forceset=params.get("forceset", False))
        items = list(rule[:12]) if hasattr(rule, "__getitem__") else list(rule)[:12]
        out[name] = [d.isoformat() for d in items]
    start = datetime.datetime(2024, 1, 31, 9, 30)
    last_days = rrule.rrule(rrule.MONTHLY, dtstart=start, bymonthday=-1, count=6)
    rset = rrule.rruleset()
    rset.rrule(rrule.rrule(rrule.DAILY, dtstart=start, count=10))
    rset.exrule(rrule.rrule(rrule.WEEKLY, byweekday=(rrule.SA, rrule.SU), dtstart=start))
    rset.exdate(datetime.datetime(2024, 2, 1, 9, 30))
    rset.rdate(datetime.datetime(2024, 3, 1, 9, 30))
    friday13 = rrule.rrule(rrule.MONTHLY, dtstart=datetime.datetime(2024, 1, 1), byweekday=rrule.FR, bymonthday=13, count=4)
    return {
        "rules": out,
        "last_days": [d.isoformat() for d in last_days],
        "last_days_str": str(last_days),
        "set": [d.isoformat() for d in rset],
        "friday13": [d.isoformat() for d in friday13],
        "between": [
            d.isoformat()
            for d in friday13.between(datetime.datetime(2024, 5, 1), datetime.datetime(2025, 1, 1), inc=True)
        ],
        "after": _iso(last_days.after(datetime.datetime(2024, 4, 15))),
        "before": _iso(last_days.before(datetime.datetime(2024, 4, 15))),
    }


def easter_dates(params):
    methods = {
        "western": easter.EASTER_WESTERN,
        "orthodox": easter.EASTER_ORTHODOX,
        "julian": easter.EASTER_JULIAN,
    }
    return {
        name: {str(y): easter.easter(y, method).isoformat() for y in params["years"]}
        for name, method in methods.items()
    }


def zones(params):
    zones = {
        "utc": tz.UTC,
        "tzutc": tz.tzutc(),
        "plus_0530": tz.tzoffset("IST", 19800),
        "minus_0300": tz.tzoffset(None, -10800),
    }
    for name, spec in sorted(params["tzstr"].items()):
        zones[name] = tz.tzstr(spec)
    out = {}
    for when in params["instants"]:
        utc = parser.isoparse(when).astimezone(tz.UTC)
        row = {}
        for name, zone in sorted(zones.items()):
            local = utc.astimezone(zone)
            row[name] = {
                "local": local.isoformat(),
                "name": local.tzname(),
                "dst": local.dst().total_seconds() if local.dst() is not None else None,
                "ambiguous": tz.datetime_ambiguous(local.replace(tzinfo=None), zone),
                "exists": tz.datetime_exists(local.replace(tzinfo=None), zone),
            }
        out[when] = row
    naive = datetime.datetime(2024, 11, 3, 1, 30)
    eastern = zones.get("eastern")
    fold = None
    if eastern is not None:
        first = tz.enfold(naive.replace(tzinfo=eastern), fold=0)
        second = tz.enfold(naive.replace(tzinfo=eastern), fold=1)
        fold = [first.utcoffset().total_seconds(), second.utcoffset().total_seconds(), tz.resolve_imaginary(datetime.datetime(2024, 3, 10, 2, 30, tzinfo=eastern)).isoformat()]
    return {"instants": out, "fold": fold, "reprs": {k: repr(v) for k, v in sorted(zones.items())}}


ACTIONS = {
    "parse": parse,
    "isoparse": isoparse,
    "delta": delta,
    "rules": rules,
    "easter": easter_dates,
    "zones": zones,
}


def execute(action, params):
    return ACTIONS[action](params)
