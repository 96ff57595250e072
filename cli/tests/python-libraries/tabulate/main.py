"""tabulate, vendored unchanged: the same rows in many table formats,
number alignment and formatting, missing values, multiline cells, dict and
dataclass rows, and headers from keys.
"""

import dataclasses

from tabulate import tabulate


@dataclasses.dataclass
class Item:
    name: str
    qty: int
    price: float


def tables(params):
    rows = params["rows"]
    out = {}
    for fmt in params["formats"]:
        out[fmt] = tabulate(
            rows,
            headers=params.get("headers", ()),
            tablefmt=fmt,
            floatfmt=params.get("floatfmt", "g"),
            missingval=params.get("missingval", ""),
            showindex=params.get("showindex", "default"),
        )
    return out


def options(params):
    rows = params["rows"]
    return {
        "numalign_left": tabulate(rows, headers="firstrow", numalign="left"),
        "decimal": tabulate(rows, headers="firstrow", numalign="decimal", floatfmt=".3f"),
        "per_column_floatfmt": tabulate(rows, headers="firstrow", floatfmt=("", ".1f", ".2e")),
        "stralign_center": tabulate(rows, headers="firstrow", stralign="center", tablefmt="grid"),
        "colalign": tabulate(rows, headers="firstrow", colalign=("right", "left", "center")),
        "maxcolwidths": tabulate(rows, headers="firstrow", maxcolwidths=[4, None, 6], tablefmt="grid"),
        "disable_numparse": tabulate(rows, headers="firstrow", disable_numparse=True),
        "intfmt": tabulate([[1234567, 89.5]], intfmt=",", floatfmt=",.2f"),
    }


def records(params):
    items = [Item(**r) for r in params["items"]]
    dicts = params["items"]
    return {
        "dataclasses": tabulate(items, headers="keys", tablefmt="github"),
        "dicts_keys": tabulate(dicts, headers="keys", tablefmt="psql"),
        "dicts_mapping": tabulate(dicts, headers={"name": "Name", "qty": "Quantity", "price": "Price"}, tablefmt="rst"),
        "columns": tabulate({"a": [1, 2, 3], "b": ["x", None, "z"]}, headers="keys", missingval="?", tablefmt="simple_grid"),
        "multiline": tabulate([["two\nlines", "one"], ["x", "three\nline\ncell"]], headers=["h1", "multi\nheader"], tablefmt="fancy_grid"),
        "escaped_html": tabulate([["<b>", "a & b"]], headers=["<tag>", "amp"], tablefmt="html"),
        "unsafe_html": tabulate([["<b>bold</b>", 1]], tablefmt="unsafehtml"),
    }


ACTIONS = {"tables": tables, "options": options, "records": records}


def execute(action, params):
    return ACTIONS[action](params)
