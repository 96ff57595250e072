"""A tour of the standard library (issue 28): one program that makes real,
non-trivial use of every module Morph promises, run both under Morph and under
CPython (testkit/python/reference.py) by tests/all/stdlib.rs, which fails on any
difference.

Action "tour" returns {section: value}. Each section runs on its own: one that
raises gives {"error": "Type: message"} instead of its value, so a comparison
names every module that differs. Params: {"only": [section, ...]} runs a subset.

Rules the sections follow, so the output is the same on every run, under the
CPython 3.11 on the test machine and under the 3.14-era library RustPython
ships:
  * values, not reprs, wherever a repr changed between 3.11 and 3.14 (enum and
    typing reprs, traceback carets, exception messages that were reworded);
  * nothing random unless seeded, no wall clock beyond "is it after 2023";
  * no set iteration order (the hash seed differs between interpreters);
  * floats leave as repr() strings and ints beyond 2**53 as decimal strings
    (see _norm), so the JSON on both sides holds them exactly;
  * a behaviour that 3.12-3.14 changed on purpose is avoided (and the choice
    commented where it is not obvious).
"""

_SECTIONS = {}


def section(name):
    def register(fn):
        _SECTIONS[name] = fn
        return fn

    return register


def _norm(v):
    """JSON-safe and exact: floats as repr strings, big ints as strings,
    tuples as lists, int subclasses (IntEnum, bool aside) as plain ints,
    bytes as ["bytes", hex]."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, (bytes, bytearray)):
        return ["bytes", bytes(v).hex()]
    if isinstance(v, int):
        v = int(v)
        return v if -(2**53) <= v <= 2**53 else str(v)
    if isinstance(v, float):
        return repr(float(v))
    if isinstance(v, (list, tuple)):
        return [_norm(x) for x in v]
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if not isinstance(k, str):
                raise TypeError(f"section key {k!r} is not a str")
            out[k] = _norm(x)
        return out
    raise TypeError(f"section value of type {type(v).__name__} is not JSON")


def _base(path):
    """A file name without its directory (CPython reports the full path)."""
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def _error(fn):
    """The type name of what fn() raises, or "no error"."""
    try:
        fn()
    except Exception as e:
        return type(e).__name__
    return "no error"


# --- text ---------------------------------------------------------------


@section("re")
def _re():
    import re

    text = "Alice: 30, Bob: 25; carol: 41\nDave: 19"
    pat = re.compile(r"(?P<name>[A-Za-z]+):\s*(?P<age>\d+)")
    m = pat.search(text)
    return {
        "findall": pat.findall(text),
        "groupdicts": [m.groupdict() for m in pat.finditer(text)],
        "spans": [m.span("age") for m in pat.finditer(text)],
        "groups": [pat.groups, sorted(pat.groupindex.items())],
        "match_api": [m.group(0), m["name"], m.start(2), m.end(), m.lastgroup,
                      m.lastindex, m.expand(r"\g<age>-\g<name>-\2")],
        "sub_fn": pat.sub(lambda m: f"{m['name'].upper()}={int(m['age']) + 1}", text),
        "sub_backref": re.sub(r"(\w+)@(\w+)\.com", r"\2 at \1", "joe@example.com, ann@corp.com"),
        "subn": re.subn(r"\s+", " ", "a  b\t\tc \n d"),
        "split": re.split(r"([,;])\s*", "a, b;c ,d"),
        "split_max": re.split(r"\W+", "one two  three four", maxsplit=2),
        "fullmatch": [bool(re.fullmatch(r"[a-z]+\d*", s)) for s in ["abc123", "abc12x", "ABC", ""]],
        "ignorecase": re.findall(r"ca[rt]", "Car cat CART cAt", re.I),
        "multiline": re.findall(r"^\w+", text, re.M),
        "dotall": [re.search(r"41.Dave", text, re.S).group(), re.search(r"41.Dave", text) is None],
        "verbose": re.match(r"""(\d{3})   # exchange
                                [-.\s]?   # separator
                                (\d{4})   # line""", "555-1234", re.X).groups(),
        "lookaround": re.findall(r"(?<=\$)\d+(?=\.\d\d\b)", "$10.00 $5.5 $300.25"),
        "backref": re.findall(r"\b(\w+) \1\b", "the the cat sat sat down"),
        "nongreedy": re.findall(r"<.+?>", "<a><b></b></a>"),
        "conditional": [bool(re.fullmatch(r"(<)?\w+(?(1)>)", s)) for s in ["<a>", "a", "<a", "a>"]],
        "atomic_possessive": [bool(re.fullmatch(r"(?>a+)b", "aaab")),
                              bool(re.search(r"(?>a+)ab", "aaab")),
                              bool(re.fullmatch(r"a++b", "aab")),
                              bool(re.fullmatch(r"a*+a", "aaa"))],
        "unicode": re.findall(r"\w+", "naïve café 東京 x_y"),
        "ascii": re.findall(r"\w+", "naïve café", re.A),
        "escape": re.escape("a.b*c?(d)[e]{f}^$|\\ -#&~"),
        "flags": [re.compile("x", re.I | re.M).flags, int(re.I | re.S | re.X)],
        "inline_flags": re.findall(r"(?i:AB)c", "abc ABc abC"),
        "bytes": re.findall(rb"[\x00-\x1f]+", b"a\x01\x02b\x1fc"),
        # 3.13 renamed re.error to re.PatternError (re.error stays an alias),
        # so the check is isinstance, not the type's name.
        "raises": [isinstance(_catch(lambda: re.compile("(unclosed")), re.error),
                   _catch(lambda: re.compile("ab(c")).pos],
    }


def _catch(fn):
    try:
        fn()
    except Exception as e:
        return e
    raise AssertionError("expected an exception")


@section("json")
def _json():
    import json

    data = {"b": [1, 2.5, None, True, False], "a": {"x": "é\u2603\"\\\n", "y": []},
            "n": [-0.0, 1e-7, 1e22, 10**20, -17]}
    class Enc(json.JSONEncoder):
        def default(self, o):
            if isinstance(o, complex):
                return [o.real, o.imag]
            return super().default(o)

    err = _catch(lambda: json.loads('{"a": 1,\n "b": }'))
    return {
        "dumps": json.dumps(data),
        "dumps_sorted_indent": json.dumps(data, sort_keys=True, indent=2),
        "dumps_indent_str": json.dumps([1, {"k": [2]}], indent="\t"),
        "separators_unicode": json.dumps(data, separators=(",", ":"), ensure_ascii=False),
        "escapes": json.dumps("\u2028\x00\x1f\ud83d\ude00"),
        "loads": json.loads('{"a": [1, 2.0, "x\\u00e9", null, false], "b": {"c": 1e3, "d": -0}}'),
        "loads_types": [type(v).__name__ for v in json.loads('[1, 1.0, 1e2, "s", null, true, [], {}]')],
        "loads_bigint": json.loads("123456789012345678901234567890"),
        "object_pairs_hook": json.loads('{"z": 1, "a": 2, "z": 3}', object_pairs_hook=list),
        "duplicate_keys": json.loads('{"z": 1, "a": 2, "z": 3}'),
        "parse_hooks": json.loads('[1.10, 7]', parse_float=lambda s: "F" + s, parse_int=lambda s: "I" + s),
        "default": json.dumps({"s": {3, 1, 2}}, default=sorted),
        "encoder_class": json.dumps({"c": 1 + 2j}, cls=Enc),
        "nan": json.dumps([float("nan"), float("inf"), -float("inf")]),
        "allow_nan_false": _error(lambda: json.dumps(float("nan"), allow_nan=False)),
        "not_serializable": _error(lambda: json.dumps(object())),
        "decode_error": [type(err).__name__, err.msg, err.pos, err.lineno, err.colno],
        "roundtrip": json.loads(json.dumps(data)) == data,
        "keys": json.dumps({1: "int", 2.5: "float", False: "bool", None: "none"}),
        "skipkeys": json.dumps({(1, 2): "x", "ok": 1}, skipkeys=True),
        "tuple_list": json.dumps({"t": (1, 2)}),
    }


@section("string")
def _string():
    import string

    f = string.Formatter()
    return {
        "constants": [string.ascii_letters, string.digits, string.hexdigits, string.octdigits,
                      string.punctuation, string.whitespace, string.printable],
        "capwords": [string.capwords("hello   world-foo bar"), string.capwords("a-b c-d", "-")],
        "formatter": f.format("{0:>5}|{name!r}|{1:.3f}", 3, 2.0 / 3, name="x"),
        "parse": list(f.parse("a{0}b{x.y!r:>4}c{{")),
        "format_specs": [format(1234567.891, ",.2f"), format(255, "#x"), format(255, "08b"),
                         format(0.000123, ".2e"), "{:^10}".format("hi"), "%5.2f%%" % 3.14159,
                         format(1e21), format(-0.0), format(3.0, "g"), format(1234.5, "_"),
                         format(12345678, "_d"), format(2.5, ".0f"), format(3.5, ".0f"),
                         format(float("nan")), format(0.1 + 0.2, ".17g"), format(-42, "+06d"),
                         "%r %s %a" % ("é", "é", "é"), format(1.0, "%"), format(123, "c"),
                         format(12.5, "=+10.2f"), "{!a}".format("東")],
        "str_methods": ["ß".upper(), "ǅ".lower(), "ﬁ".casefold(), "hello world".title(),
                        "a,b,,c".split(","), " x ".strip(), "abc".center(9, "*"),
                        "tab\there".expandtabs(4), "x".zfill(4), "-7".zfill(4),
                        "Mississippi".partition("ss"), "one\ntwo\r\nthree".splitlines(True),
                        "%s-%d-%x" % ("a", 7, 255), "abcabc".rfind("b"), "a1".isalnum(),
                        "٣".isdigit(), "Ⅻ".isnumeric(), "abc".translate(str.maketrans("ab", "xy", "c")),
                        "prefix_x".removeprefix("prefix_"), "e\u0301".isprintable()],
    }


@section("string.Template")
def _template():
    from string import Template

    class Percent(Template):
        delimiter = "%"

    t = Template("$who likes ${what}; $$5 for $who")
    return {
        "substitute": t.substitute(who="tim", what="kung pao"),
        "mapping": t.substitute({"who": "ann"}, what="tea"),
        "safe_substitute": Template("$a and $b and ${c").safe_substitute(a=1),
        "identifiers": t.get_identifiers(),
        "is_valid": [t.is_valid(), Template("${bad").is_valid()],
        "custom_delimiter": Percent("%x + %{y}").substitute(x=1, y=2),
        "missing": _error(lambda: t.substitute(who="x")),
        "invalid": _error(lambda: Template("cost $").substitute()),
    }


@section("textwrap")
def _textwrap():
    import textwrap

    text = ("The quick brown fox jumps over the lazy dog. Pack my box with five dozen "
            "liquor jugs. How vexingly quick daft zebras jump!")
    w = textwrap.TextWrapper(width=20, break_long_words=False, max_lines=3, placeholder=" ...")
    return {
        "wrap": textwrap.wrap(text, 30),
        "fill": textwrap.fill(text, 40, initial_indent="* ", subsequent_indent="  "),
        "dedent": textwrap.dedent("    def f():\n        return 1\n\n    x = f()\n"),
        "indent": textwrap.indent("a\n\nb\n", "> "),
        "indent_predicate": textwrap.indent("a\n\nb\n", "+ ", lambda line: True),
        "shorten": textwrap.shorten(text, 40, placeholder=" [...]"),
        "wrapper": w.wrap(text),
        "long_word": textwrap.wrap("supercalifragilisticexpialidocious is long", 10),
        "no_break_hyphens": textwrap.wrap("a well-known fact-checking example", 12, break_on_hyphens=False),
        "tabs": textwrap.wrap("a\tb\tc", 10, tabsize=4),
    }


@section("unicodedata")
def _unicodedata():
    import unicodedata as u

    return {
        "name": [u.name(c) for c in "Aé\u2603€ß東"],
        "name_default": u.name("\x00", "no name"),
        "lookup": [u.lookup("SNOWMAN"), u.lookup("LATIN SMALL LETTER E WITH ACUTE")],
        "normalize": {form: [hex(ord(c)) for c in u.normalize(form, "ﬁé\u212b")]
                      for form in ("NFC", "NFD", "NFKC", "NFKD")},
        "is_normalized": [u.is_normalized("NFC", "é"), u.is_normalized("NFD", "é")],
        "category": [u.category(c) for c in "Aa1 \u0661\u3000$_\u0301\n"],
        "numeric": [u.numeric("½"), u.decimal("٣"), u.digit("²"), u.numeric("Ⅻ"), u.decimal("x", -1)],
        "east_asian_width": [u.east_asian_width(c) for c in "東aＡ€"],
        "combining": [u.combining("\u0301"), u.combining("a")],
        "mirrored": [u.mirrored("("), u.mirrored("a")],
        "bidirectional": [u.bidirectional(c) for c in "aא1 ,"],
        "decomposition": [u.decomposition("é"), u.decomposition("ﬁ")],
        "unknown": _error(lambda: u.lookup("NOT A REAL CHARACTER NAME")),
    }


@section("html")
def _html():
    import html

    return {
        "escape": html.escape('<a href="x?a=1&b=2">it\'s</a>'),
        "escape_noquote": html.escape('<"\'>', quote=False),
        "unescape": html.unescape("&lt;&amp;&#39;&#x263a;&eacute;&nbsp;&notanentity;&amp &#128512;&#0;"),
        "roundtrip": html.unescape(html.escape("<&>\"'é")),
    }


@section("html.parser")
def _html_parser():
    from html.parser import HTMLParser

    class Collect(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.events = []

        def handle_starttag(self, tag, attrs):
            self.events.append(["start", tag, attrs])

        def handle_endtag(self, tag):
            self.events.append(["end", tag])

        def handle_startendtag(self, tag, attrs):
            self.events.append(["startend", tag, attrs])

        def handle_data(self, data):
            self.events.append(["data", data])

        def handle_comment(self, data):
            self.events.append(["comment", data])

        def handle_decl(self, decl):
            self.events.append(["decl", decl])

    doc = ("<!DOCTYPE html><html><head><title>T &amp; U</title></head>"
           "<body class=\"main x\" data-n=5 hidden>"
           "<p id='p1'>Hello <b>world</b><br/>caf&eacute; &#169;</p>"
           "<!-- a note --><img src=\"a.png\" alt=\"A &quot;B&quot;\"/>"
           "<ul><li>one<li>two</ul></body></html>")
    p = Collect()
    p.feed(doc[:50])
    p.feed(doc[50:])
    p.close()
    return {"events": p.events, "getpos": list(p.getpos())}


@section("difflib")
def _difflib():
    import difflib

    a = ["one\n", "two\n", "three\n", "four\n", "five\n"]
    b = ["zero\n", "one\n", "three\n", "four!\n", "five\n", "six\n"]
    sm = difflib.SequenceMatcher(None, "private Thread currentThread;", "private volatile Thread currentThread;")
    sm2 = difflib.SequenceMatcher(lambda c: c == " ", "abcd efgh", "abxd efxh")
    return {
        "unified": list(difflib.unified_diff(a, b, "a.txt", "b.txt", n=1)),
        "unified_lineterm": list(difflib.unified_diff(["x", "y"], ["x", "z"], lineterm="")),
        "context": list(difflib.context_diff(a, b, "a.txt", "b.txt", n=1)),
        "ndiff": list(difflib.ndiff(["same\n", "old line\n"], ["same\n", "new line\n"])),
        "ratio": [sm.ratio(), sm.quick_ratio(), sm.real_quick_ratio(), sm2.ratio()],
        "opcodes": sm.get_opcodes(),
        "matching_blocks": [list(m) for m in sm2.get_matching_blocks()],
        "longest_match": list(difflib.SequenceMatcher(None, " abcd", "abcd abcd").find_longest_match(0, 5, 0, 9)),
        "close_matches": [difflib.get_close_matches("appel", ["ape", "apple", "peach", "puppy"]),
                          difflib.get_close_matches("wheel", ["while", "wheels", "heel", "hello"], n=2, cutoff=0.5)],
        "restore": list(difflib.restore(difflib.ndiff(a, b), 2)),
        "grouped": [[list(op) for op in g] for g in difflib.SequenceMatcher(None, a, b).get_grouped_opcodes(1)],
    }


@section("pprint")
def _pprint():
    import pprint
    from dataclasses import dataclass

    @dataclass
    class Pt:
        x: int
        y: list

    nested = {"zeta": list(range(12)), "alpha": {"name": "a long string value " * 3, "tags": ("x", "y"),
              "deep": {"k": [{"a": 1}, {"b": [2, 3]}]}}, "mid": [Pt(1, [2] * 8), 10**12]}
    rec = [1, 2]
    rec.append(rec)
    return {
        "width40": pprint.pformat(nested, width=40),
        "unsorted": pprint.pformat(nested, width=60, sort_dicts=False),
        "depth": pprint.pformat(nested, depth=2),
        "compact": pprint.pformat(list(range(40)), width=30, compact=True),
        "underscore": pprint.pformat([10**9, 12345.5], underscore_numbers=True),
        "indent": pprint.pformat({"a": [1, 2, {"b": "c" * 30}]}, indent=4, width=20),
        # saferepr names the list's id(), which differs from run to run.
        "recursive": [pprint.saferepr(rec).split(" with id=")[0], pprint.isrecursive(rec), pprint.isreadable(rec),
                      pprint.isreadable({"a": 1})],
        "long_string": pprint.pformat("word " * 30, width=30),
        "bytes": pprint.pformat(bytes(range(40)), width=30),
    }


@section("reprlib")
def _reprlib():
    import reprlib
    from collections import deque

    class Tree:
        def __init__(self):
            self.kids = [self]

        @reprlib.recursive_repr("<cycle>")
        def __repr__(self):
            return f"Tree({self.kids!r})"

    r = reprlib.Repr()
    r.maxlist = 3
    r.maxstring = 12
    r.maxlevel = 2
    return {
        "list": reprlib.repr(list(range(100))),
        "string": reprlib.repr("x" * 100),
        "dict": reprlib.repr({i: str(i) for i in range(10)}),
        "set": reprlib.repr(set(range(20))),
        "frozenset": reprlib.repr(frozenset(range(3))),
        "tuple": reprlib.repr(tuple("abcdefgh")),
        "deque": reprlib.repr(deque(range(10))),
        "nested": reprlib.repr([[[[[[[1]]]]]]]),
        "bigint": reprlib.repr(2**200),
        "custom": [r.repr(list(range(10))), r.repr("abcdefghijklmnopqrstuvwxyz"), r.repr([[[1]]])],
        "recursive": repr(Tree()),
    }


@section("codecs")
def _codecs():
    import codecs

    dec = codecs.getincrementaldecoder("utf-8")()
    pieces = [dec.decode(b"\xe2\x82"), dec.decode(b"\xac!"), dec.decode(b"", final=True)]
    err = _catch(lambda: b"ab\xffcd".decode("utf-8"))
    codecs.register_error("tour.question", lambda e: ("?" * (e.end - e.start), e.end))
    enc = codecs.getincrementalencoder("utf-8")()
    return {
        "utf8": [codecs.encode("héllo €", "utf-8").hex(), codecs.decode(b"h\xc3\xa9", "utf-8"),
                 "😀".encode("utf-8").hex(), len("😀".encode("utf-8"))],
        "latin1": ["héllo".encode("latin-1").hex(), b"\xe9\xff".decode("latin-1"),
                   "€".encode("latin-1", errors="replace").hex()],
        "error_handlers": ["€x".encode("ascii", "xmlcharrefreplace").decode(),
                           "€".encode("ascii", "backslashreplace").decode(),
                           "é€".encode("ascii", "ignore").decode(),
                           b"\xff\xfeok".decode("utf-8", "replace"),
                           b"a\xffb".decode("utf-8", "ignore"),
                           ascii(b"\xffa".decode("utf-8", "surrogateescape")),
                           "aé€".encode("ascii", "tour.question").decode(),
                           b"a\xff".decode("utf-8", "backslashreplace")],
        "decode_error": [type(err).__name__, err.encoding, err.start, err.end, err.reason, str(err)],
        "encode_error": _error(lambda: "é".encode("ascii")),
        "base64": [codecs.encode(b"hello world", "base64").decode(), codecs.decode(b"aGk=\n", "base64").decode()],
        "hex_rot13": [codecs.encode(b"\x01\xfe", "hex").decode(), codecs.encode("Hello", "rot13"),
                      codecs.decode(b"6869", "hex").decode()],
        "utf16": ["hé".encode("utf-16-le").hex(), "hé".encode("utf-16-be").hex(),
                  b"\xff\xfeh\x00".decode("utf-16"), "x".encode("utf-32-le").hex()],
        "bom": [b"\xef\xbb\xbfabc".decode("utf-8-sig"), "a".encode("utf-8-sig").hex(),
                codecs.BOM_UTF8.hex(), codecs.BOM_UTF16_LE.hex()],
        "escape_codecs": [b"\\u00e9\\n\\x41".decode("unicode_escape"), "é\n".encode("unicode_escape").decode(),
                          "é€".encode("raw_unicode_escape").hex()],
        "lookup": [codecs.lookup(n).name for n in ("UTF8", "latin1", "utf_16", "ascii", "cp1252", "U8")],
        "incremental": pieces,
        "incremental_encoder": [enc.encode("€"), enc.encode("x", final=True)],
        "cp1252": ["€‘’".encode("cp1252").hex(), b"\x80\x93".decode("cp1252")],
        "unknown": _error(lambda: codecs.lookup("no-such-codec")),
    }


@section("quopri")
def _quopri():
    import quopri

    raw = b"caf\xc3\xa9 = costs 5 =\nline two ends with space \ntab\tend\t\n" + b"x" * 80 + b"\n"
    return {
        "encode": quopri.encodestring(raw).decode(),
        "encode_quotetabs": quopri.encodestring(b"a b\tc\n", quotetabs=True).decode(),
        "encode_header": quopri.encodestring(b"subject line =?", header=True).decode(),
        "decode": quopri.decodestring(b"caf=C3=A9 soft=\nbreak =3D done=20\n").decode(),
        "decode_header": quopri.decodestring(b"a_b=5Fc", header=True).decode(),
        "roundtrip": quopri.decodestring(quopri.encodestring(raw)) == raw,
    }


# --- data types -----------------------------------------------------------


@section("datetime")
def _datetime():
    from datetime import date, datetime, time, timedelta, timezone

    d = datetime(2024, 2, 28, 22, 30, 15, 123456)
    ist = timezone(timedelta(hours=5, minutes=30), "IST")
    aware = d.replace(tzinfo=ist)
    minus3 = timezone(timedelta(hours=-3))
    td = timedelta(hours=7)
    now = datetime.now(timezone.utc)
    return {
        "arithmetic": [(d + timedelta(days=1, hours=3)).isoformat(),
                       (date(2024, 2, 28) + timedelta(days=1)).isoformat(),
                       (date(2023, 2, 28) + timedelta(days=1)).isoformat(),
                       str(datetime(2024, 3, 1) - datetime(2023, 12, 25, 6, 0)),
                       (date(2024, 12, 25) - date(2024, 1, 1)).days],
        "timedelta_str": [str(timedelta(days=-1, seconds=5)), str(timedelta(microseconds=1500)),
                          str(timedelta(weeks=3, hours=25)), str(-timedelta(minutes=1)),
                          str(timedelta(days=2, microseconds=1))],
        "timedelta_math": [timedelta(days=1, hours=1.5).total_seconds(), td / timedelta(minutes=45),
                           td // timedelta(minutes=45), str(td % timedelta(minutes=45)), str(td * 1.5),
                           str(td / 4), str(abs(timedelta(hours=-2))),
                           [timedelta(seconds=90061.5).days, timedelta(seconds=90061.5).seconds,
                            timedelta(seconds=90061.5).microseconds]],
        "strftime": d.strftime("%Y-%m-%d %H:%M:%S.%f %j %a %A %b %B %p %I %y %U %W %w %%"),
        "format": [f"{d:%d/%m/%Y}", format(d.date(), "%A %d %B"), f"{time(9, 5):%H.%M}"],
        "isoformat": [d.isoformat(), d.isoformat(sep=" ", timespec="milliseconds"), d.date().isoformat(),
                      d.time().isoformat("minutes"), time(1, 2, 3, 4).isoformat(), str(d)],
        "aware": [aware.isoformat(), aware.utcoffset().total_seconds(), aware.tzname(),
                  aware.astimezone(timezone.utc).isoformat(), aware.astimezone(minus3).isoformat(),
                  aware.timestamp(), aware.strftime("%z %Z")],
        "timezones": [str(minus3), str(timezone.utc), minus3.tzname(None), ist.tzname(None),
                      timezone(timedelta(hours=5, minutes=30)).tzname(None),
                      str(timezone(timedelta(seconds=3661)))],
        "compare": [datetime(2024, 1, 1, tzinfo=timezone.utc) == datetime(2024, 1, 1, 5, 30, tzinfo=ist),
                    datetime(2024, 1, 1, tzinfo=timezone.utc) < datetime(2024, 1, 1, 5, 31, tzinfo=ist),
                    date(2024, 1, 1) < date(2024, 1, 2), d == d.replace(microsecond=123456)],
        "naive_vs_aware": _error(lambda: d < aware),
        "fromisoformat": [datetime.fromisoformat(s).isoformat() for s in
                          ["2024-03-05T07:08:09+02:00", "2024-03-05 07:08", "2024-03-05T07:08:09.5Z",
                           "20240305T070809", "2024-03-05"]],
        "fromisoformat_other": [date.fromisoformat("2024-W10-2").isoformat(), time.fromisoformat("07:08:09.123").isoformat()],
        "fromtimestamp": [datetime.fromtimestamp(1700000000, timezone.utc).isoformat(),
                          datetime.fromtimestamp(0.5, timezone.utc).isoformat()],
        "calendar_bits": [list(date(2021, 1, 3).isocalendar()), date(2024, 7, 4).weekday(),
                          date(2024, 7, 4).isoweekday(), date(2024, 7, 4).toordinal(),
                          date.fromordinal(738000).isoformat(), date.fromisocalendar(2020, 53, 5).isoformat(),
                          list(d.timetuple()), d.ctime()],
        "replace": [d.replace(year=2025, day=1).isoformat(), str(d.date()), str(d.time())],
        "combine": datetime.combine(date(2020, 5, 17), time(8, 30), tzinfo=timezone.utc).isoformat(),
        "limits": [str(date.min), str(datetime.max), str(timedelta.max), str(timedelta.resolution)],
        "strptime": [datetime.strptime("2024-03-05 13:45:10", "%Y-%m-%d %H:%M:%S").isoformat(),
                     datetime.strptime("05/03/24 1:45 PM", "%d/%m/%y %I:%M %p").isoformat(),
                     datetime.strptime("2024-03-05T13:45:10+0130", "%Y-%m-%dT%H:%M:%S%z").isoformat()],
        "errors": [_error(lambda: date(2023, 2, 29)), _error(lambda: datetime.fromisoformat("2024-13-01")),
                   _error(lambda: timedelta(days=10**9))],
        "now": [now.tzinfo is timezone.utc, now.year >= 2024, isinstance(datetime.now(), datetime)],
    }


@section("time")
def _time():
    import time

    g = time.gmtime(0)
    t = time.gmtime(1234567890)
    return {
        "gmtime0": list(g),
        "gmtime_attrs": [g.tm_year, g.tm_yday, g.tm_wday, g.tm_isdst, g.tm_zone, g.tm_gmtoff],
        "gmtime": list(t),
        "strftime": time.strftime("%Y-%m-%d %H:%M:%S %a %b %j %y %%", t),
        "strftime_tuple": time.strftime("%d/%m/%Y %H:%M", (2024, 2, 29, 12, 5, 0, 3, 60, 0)),
        "asctime": [time.asctime(g), time.asctime(t)],
        "struct_time": list(time.struct_time((2020, 1, 2, 3, 4, 5, 3, 2, 0))),
        "strptime": list(time.strptime("2024-02-29 10:11:12", "%Y-%m-%d %H:%M:%S")),
        "clock": [time.time() > 1.7e9, time.time_ns() > 1.7e18, isinstance(time.perf_counter(), float),
                  time.monotonic() <= time.monotonic(), time.perf_counter_ns() <= time.perf_counter_ns(),
                  isinstance(time.process_time(), float)],
    }


@section("calendar")
def _calendar():
    import calendar

    return {
        "monthrange": [calendar.monthrange(2024, 2), calendar.monthrange(2023, 2), calendar.monthrange(1900, 12)],
        "isleap": [calendar.isleap(y) for y in (1900, 2000, 2023, 2024)],
        "leapdays": calendar.leapdays(1900, 2025),
        "weekday": [calendar.weekday(2024, 7, 4), calendar.weekday(1970, 1, 1)],
        "month_text": calendar.month(2024, 2),
        "month_sunday": calendar.TextCalendar(firstweekday=6).formatmonth(2023, 12, w=3, l=1),
        "monthcalendar": calendar.monthcalendar(2024, 9),
        "timegm": [calendar.timegm((2024, 1, 1, 0, 0, 0)), calendar.timegm((1969, 12, 31, 23, 59, 59, 0, 0, 0))],
        "names": [list(calendar.day_name), list(calendar.day_abbr), list(calendar.month_name),
                  list(calendar.month_abbr)],
        "html": calendar.HTMLCalendar(firstweekday=0).formatmonth(2024, 1),
        "itermonthdates": [d.isoformat() for d in calendar.Calendar().itermonthdates(2024, 3)][:3],
        "itermonthdays2": list(calendar.Calendar(firstweekday=6).itermonthdays2(2024, 6))[:8],
        "weekheader": calendar.weekheader(3),
        "bad_month": _error(lambda: calendar.monthrange(2024, 13)),
    }


@section("collections")
def _collections():
    from collections import ChainMap, Counter, OrderedDict, UserDict, defaultdict, deque, namedtuple

    c = Counter("abracadabra")
    c2 = Counter(a=3, b=-1)
    c2.update({"a": 1, "c": 2})
    c2.subtract(["a", "b"])
    dq = deque(range(10), maxlen=7)
    dq.rotate(3)
    dq.appendleft(-1)
    dq.extend([100, 101])
    dq2 = deque("abc")
    dq2.rotate(-1)
    od = OrderedDict.fromkeys("abcde")
    od.move_to_end("b")
    od.move_to_end("d", last=False)
    od.popitem()
    od.popitem(last=False)
    dd = defaultdict(list)
    for k, v in [("x", 1), ("y", 2), ("x", 3)]:
        dd[k].append(v)
    counts = defaultdict(int)
    for ch in "hello":
        counts[ch] += 1
    Point = namedtuple("Point", "x y z", defaults=[0])
    p = Point(1, 2)
    cm = ChainMap({"a": 1}, {"a": 2, "b": 3})
    child = cm.new_child({"c": 4})
    child["a"] = 10

    class Defaulting(UserDict):
        def __missing__(self, key):
            return f"<{key}>"

    ud = Defaulting(k=1)
    return {
        "counter": [c.most_common(3), sorted(c.items()), c.total(), c["zzz"], sorted(Counter(a=2, b=1).elements())],
        "counter_ops": [sorted((c + Counter("aaz")).items()), sorted((c - Counter("aaaaab")).items()),
                        sorted((c & Counter("abz")).items()), sorted((c | Counter("zzz")).items()),
                        sorted(c2.items()), sorted((+c2).items()), sorted((-c2).items()),
                        Counter("aab") == Counter("aba"), Counter(a=1) <= Counter(a=2, b=1)],
        "deque": [list(dq), dq.maxlen, dq.index(100), dq[0], dq[-1], list(dq2), dq2.popleft(), dq2.pop(),
                  list(reversed(deque([1, 2, 3]))), deque([1, 2, 2]).count(2)],
        "ordereddict": [list(od), list(OrderedDict(b=1, a=2).items()),
                        OrderedDict(a=1, b=2) == OrderedDict(b=2, a=1), dict(a=1, b=2) == dict(b=2, a=1)],
        "defaultdict": [dict(dd), dict(counts), dd["missing"], sorted(dd)],
        "namedtuple": [p, p._asdict(), p._replace(x=9), Point._fields, Point._field_defaults, p.x + p.y,
                       Point._make([4, 5, 6]), repr(p), isinstance(p, tuple), p.index(2)],
        "chainmap": [sorted(child.items()), child.maps, len(child), child.parents["a"], "c" in cm,
                     list(cm)],
        "userdict": [ud["k"], ud["nope"], "nope" in ud, dict(ud)],
    }


@section("collections.abc")
def _collections_abc():
    import collections.abc as cabc

    samples = {"list": [], "tuple": (), "dict": {}, "set": set(), "str": "s", "bytes": b"b",
               "iter": iter([]), "gen": (x for x in []), "range": range(3), "keys": {}.keys(),
               "int": 1, "len": len, "frozenset": frozenset()}
    names = ["Iterable", "Iterator", "Generator", "Sequence", "MutableSequence", "Mapping",
             "MutableMapping", "Set", "MutableSet", "Hashable", "Sized", "Callable", "Container",
             "Reversible", "Collection", "KeysView", "MappingView"]
    checks = {name: [k for k, obj in samples.items() if isinstance(obj, getattr(cabc, name))] for name in names}

    class M(cabc.Mapping):
        def __init__(self, d):
            self._d = d

        def __getitem__(self, k):
            return self._d[k]

        def __iter__(self):
            return iter(self._d)

        def __len__(self):
            return len(self._d)

    class Seq(cabc.Sequence):
        def __getitem__(self, i):
            return [10, 20, 30, 20][i]

        def __len__(self):
            return 4

    class S(cabc.Set):
        def __init__(self, it):
            self._s = list(dict.fromkeys(it))

        def __contains__(self, x):
            return x in self._s

        def __iter__(self):
            return iter(self._s)

        def __len__(self):
            return len(self._s)

    class ML(cabc.MutableSequence):
        def __init__(self):
            self._l = []

        def __getitem__(self, i):
            return self._l[i]

        def __setitem__(self, i, v):
            self._l[i] = v

        def __delitem__(self, i):
            del self._l[i]

        def __len__(self):
            return len(self._l)

        def insert(self, i, v):
            self._l.insert(i, v)

    m = M({"a": 1, "b": 2})
    s = Seq()
    a, b = S([1, 2, 3]), S([3, 4])
    ml = ML()
    ml.append(1)
    ml.extend([2, 3, 4])
    ml += [5]
    ml.remove(2)
    popped = ml.pop()
    ml.reverse()
    return {
        "isinstance": checks,
        "mapping_mixins": [list(m.keys()), list(m.items()), list(m.values()), m.get("z", 0), "a" in m,
                           m == {"a": 1, "b": 2}, isinstance(m.keys(), cabc.KeysView)],
        "sequence_mixins": [s.index(20), s.count(20), list(reversed(s)), 30 in s, list(s)],
        "set_mixins": [sorted(a & b), sorted(a | b), sorted(a - b), sorted(a ^ b), a.isdisjoint(S([9])),
                       S([1]) <= a, a == S([3, 2, 1])],
        "mutable_sequence": [list(ml), popped],
        "abstract": _error(lambda: cabc.Sequence()),
        "subclass": [issubclass(list, cabc.MutableSequence), issubclass(dict, cabc.Sequence),
                     issubclass(M, cabc.Collection), issubclass(type(iter("")), cabc.Iterator)],
    }


@section("dataclasses")
def _dataclasses():
    import dataclasses
    from dataclasses import InitVar, asdict, astuple, dataclass, field, fields, replace

    @dataclass(order=True)
    class Item:
        name: str
        qty: int = 0
        tags: list = field(default_factory=list)
        note: str = field(default="", repr=False, compare=False)

    @dataclass(frozen=True)
    class P:
        x: int
        y: int = 0

    @dataclass
    class Box:
        items: list
        owner: P
        scale: InitVar[int] = 1
        total: int = field(init=False, default=0)

        def __post_init__(self, scale):
            self.total = sum(i.qty for i in self.items) * scale

    @dataclass(kw_only=True, slots=True)
    class Opts:
        verbose: bool = False
        level: int = 1

    items = [Item("b", 2, ["x"]), Item("a", 5), Item("a", 1, note="n")]
    box = Box(items[:2], P(1, 2), scale=3)
    frozen = P(3)
    Dyn = dataclasses.make_dataclass("Dyn", [("a", int), ("b", str, field(default="z"))])
    return {
        "asdict": asdict(box),
        "astuple": astuple(frozen),
        "replace": [asdict(replace(items[0], qty=9)), asdict(replace(frozen, y=7))],
        "fields": [[f.name, f.type.__name__ if isinstance(f.type, type) else str(f.type)] for f in fields(Item)],
        "order": [[i.name, i.qty] for i in sorted(items)],
        "compare": [Item("a", 1, note="x") == Item("a", 1, note="y"), items[0] > items[1]],
        "repr": [repr(items[0]), repr(frozen), repr(Opts(level=3))],
        "frozen": [_error(lambda: setattr(frozen, "x", 5)), hash(frozen) == hash(P(3)), frozen == P(3, 0)],
        "post_init": box.total,
        "kw_only": [_error(lambda: Opts(True)), Opts(level=2).level, hasattr(Opts, "__slots__"),
                    _error(lambda: setattr(Opts(), "other", 1))],
        "defaults": [Item("z").tags is not Item("z").tags, _error(lambda: field(default=[], default_factory=list))],
        "make_dataclass": [repr(Dyn(1)), dataclasses.is_dataclass(Dyn), dataclasses.is_dataclass(Dyn(1)),
                           dataclasses.is_dataclass(dict)],
        "mutable_default": _error(lambda: dataclass(type("Bad", (), {"__annotations__": {"v": list}, "v": []}))),
    }


@section("enum")
def _enum():
    from enum import Enum, Flag, IntEnum, IntFlag, StrEnum, auto, unique

    class Color(Enum):
        RED = 1
        GREEN = 2
        BLUE = 3
        CRIMSON = 1  # an alias

        @property
        def pretty(self):
            return self.name.title()

        @classmethod
        def parse(cls, s):
            return cls[s.upper()]

    class Perm(Flag):
        R = auto()
        W = auto()
        X = auto()
        RW = R | W

    class Level(IntEnum):
        LOW = 10
        HIGH = 20

    class Shape(StrEnum):
        CIRCLE = auto()
        SQUARE = "sq"

    class Mode(IntFlag):
        A = 1
        B = 2

    Animal = Enum("Animal", "CAT DOG")

    def dup():
        @unique
        class Dup(Enum):
            A = 1
            B = 1

    rw = Perm.R | Perm.W
    return {
        "members": [[m.name, m.value] for m in Color],
        "aliases": list(Color.__members__), "alias_is": Color.CRIMSON is Color.RED,
        "lookup": [Color(2).name, Color["BLUE"].value, Color.RED is Color(1), Color.parse("green").pretty],
        "bad_value": _error(lambda: Color(7)),
        "flag": [[p.name, p.value] for p in Perm], "flag_combo": [rw.value, rw is Perm.RW, Perm.R in rw,
                                                                  Perm.X in rw, (~Perm.R).value,
                                                                  bool(Perm.R & Perm.W), (rw ^ Perm.X).value,
                                                                  [m.name for m in rw]],
        "intenum": [Level.LOW + 5, Level.HIGH > Level.LOW, sorted([Level.HIGH, Level.LOW]), Level(20).name,
                    str(Level.HIGH), f"{Level.LOW}", Level.LOW == 10, isinstance(Level.LOW, int)],
        "intflag": [(Mode.A | 4).value, (Mode.A | Mode.B) == 3, str(Mode.A | Mode.B)],
        "strenum": [Shape.CIRCLE.value, str(Shape.CIRCLE), Shape.SQUARE == "sq", f"{Shape.SQUARE}",
                    Shape("sq").name, "-".join(Shape)],
        "functional": [[a.name, a.value] for a in Animal],
        "unique": _error(dup),
        "misc": [len(Color), Color.RED.__class__.__name__, isinstance(Color.RED, Color),
                 Color.RED != 1, type(Color.RED).__name__, hash(Color.RED) == hash(Color.RED)],
    }


@section("typing")
def _typing():
    import types
    from typing import (Annotated, Any, Callable, ClassVar, Dict, Final, Generic, List, Literal, NamedTuple,
                        NewType, Optional, Protocol, Tuple, TypedDict, TypeVar, Union, cast, get_args,
                        get_origin, get_overloads, get_type_hints, overload, runtime_checkable)
    import typing

    def tname(t):
        if isinstance(t, list):
            return [tname(a) for a in t]
        origin = get_origin(t)
        if origin is None:
            if t is type(None):
                return "None"
            return getattr(t, "__name__", None) or str(t)
        args = get_args(t)
        if origin is Union or origin is getattr(types, "UnionType", None):
            name = "Union"
        elif origin is Literal:
            return ["Literal", list(args)]
        elif origin is Annotated:
            return ["Annotated", tname(args[0]), list(args[1:])]
        else:
            name = getattr(origin, "__name__", None) or str(origin)
        return [name] + [tname(a) for a in args]

    def f(a: int, b: "str" = "x", *c: float, d: Optional[List[int]] = None, **e: Dict[str, Any]) -> Tuple[int, ...]:
        return (a,)

    class Movie(TypedDict):
        title: str
        year: int

    class Rated(Movie, total=False):
        rating: float

    class Emp(NamedTuple):
        name: str
        id: int = 3

    @runtime_checkable
    class Closable(Protocol):
        def close(self) -> None: ...

    class Sized(Protocol):  # not runtime_checkable: isinstance() refuses it
        def size(self) -> int: ...

    class Door:
        def close(self):
            return "shut"

    T = TypeVar("T")
    K = TypeVar("K", bound=str)

    class Box(Generic[T]):
        def __init__(self, v: T):
            self.v = v

    class Conf:
        limit: ClassVar[int] = 3
        name: Final = "c"
        cb: Callable[[int, str], bool]
        mode: Literal["r", "w"]
        size: Annotated[int, "bytes"]
        either: int | str

    @overload
    def g(x: int) -> int: ...
    @overload
    def g(x: str) -> str: ...
    def g(x):
        return x

    UserId = NewType("UserId", int)
    rated = Rated(title="x", year=1)
    return {
        "hints": {k: tname(v) for k, v in get_type_hints(f).items()},
        "class_hints": {k: tname(v) for k, v in get_type_hints(Conf).items()},
        "extras": tname(get_type_hints(Conf, include_extras=True)["size"]),
        "typeddict": [sorted(Movie.__required_keys__), sorted(Rated.__optional_keys__),
                      sorted(Rated.__required_keys__), Rated.__total__, type(rated).__name__, rated,
                      {k: tname(v) for k, v in get_type_hints(Rated).items()}],
        "namedtuple": [Emp._fields, Emp._field_defaults, Emp("a"), Emp("b", 4)._asdict(),
                       {k: tname(v) for k, v in get_type_hints(Emp).items()}, isinstance(Emp("a"), tuple)],
        "protocol": [isinstance(Door(), Closable), isinstance(1, Closable), issubclass(Door, Closable),
                     _error(lambda: isinstance(Door(), Sized))],
        "generic": [get_origin(Box[int]) is Box, tname(list(get_args(Box[int]))), [p.__name__ for p in Box.__parameters__],
                    Box[int](5).v, K.__bound__ is str, T.__name__],
        "origins": [get_origin(List[int]) is list, get_origin(Dict[str, int]) is dict, get_origin(list[int]) is list,
                    tname(Callable[..., int]), get_origin(int) is None, tname(Optional[int]),
                    tname(Union[int, str, int]), tname(tuple[int, str])],
        "newtype": [UserId(5) == 5, UserId.__supertype__ is int, UserId.__name__, type(UserId(5)).__name__],
        "cast": [cast(int, "s"), cast("List[int]", [1])],
        "overloads": len(get_overloads(g)),
        "misc": [typing.TYPE_CHECKING, callable(typing.no_type_check), tname(typing.Any)],
    }


@section("abc")
def _abc():
    from abc import ABC, ABCMeta, abstractmethod

    class Shape(ABC):
        @abstractmethod
        def area(self): ...

        @classmethod
        @abstractmethod
        def unit(cls): ...

        @property
        @abstractmethod
        def sides(self): ...

        def describe(self):
            return f"{type(self).__name__}: {self.area()} {self.unit()} with {self.sides} sides"

    class Sq(Shape):
        def area(self):
            return 4

        @classmethod
        def unit(cls):
            return "m2"

        @property
        def sides(self):
            return 4

    class Half(Shape):
        def area(self):
            return 1

    class Reg(ABC):
        pass

    Reg.register(int)

    class HasLen(metaclass=ABCMeta):
        @classmethod
        def __subclasshook__(cls, C):
            if cls is HasLen:
                return hasattr(C, "__len__")
            return NotImplemented

    return {
        "abstract": [_error(Shape), _error(Half), sorted(Shape.__abstractmethods__),
                     sorted(Half.__abstractmethods__), sorted(Sq.__abstractmethods__)],
        "concrete": Sq().describe(),
        "register": [isinstance(3, Reg), issubclass(bool, Reg), isinstance("s", Reg), Reg not in int.__mro__],
        "subclasshook": [isinstance([], HasLen), isinstance(3, HasLen), issubclass(dict, HasLen)],
        "meta": [type(Shape).__name__, isinstance(Sq(), Shape), issubclass(Sq, ABC)],
    }


@section("types")
def _types():
    import types

    ns = types.SimpleNamespace(a=1, b=[2])
    ns.c = 3
    mp = types.MappingProxyType({"k": 1})
    C = types.new_class("C", (object,), {}, lambda body: body.update({"x": 5, "hi": lambda self: "hi"}))

    class Obj:
        pass

    o = Obj()
    o.greet = types.MethodType(lambda self, who: f"{type(self).__name__} greets {who}", o)
    mod = types.ModuleType("tour_mod", "a doc")
    mod.value = 42

    def gen():
        yield 1

    return {
        "simplenamespace": [vars(ns), ns == types.SimpleNamespace(a=1, b=[2], c=3), repr(ns)],
        "mappingproxy": [dict(mp), _error(lambda: mp.__setitem__("x", 1)), dict(mp | {"z": 2}), "k" in mp],
        "new_class": [C.__name__, C.x, C().hi()],
        "methodtype": o.greet("you"),
        "moduletype": [mod.__name__, mod.__doc__, mod.value],
        "isinstance": [isinstance(len, types.BuiltinFunctionType), isinstance(lambda: 0, types.LambdaType),
                       isinstance(gen(), types.GeneratorType), isinstance(types, types.ModuleType),
                       isinstance(o.greet, types.MethodType), isinstance(None, types.NoneType),
                       isinstance(..., types.EllipsisType), isinstance(int | str, types.UnionType),
                       isinstance(gen, types.FunctionType), isinstance([].append, types.BuiltinMethodType)],
        "generic_alias": [types.GenericAlias(list, (int,)) == list[int], list[int].__origin__ is list,
                          list[int].__args__ == (int,)],
        "resolve_bases": types.resolve_bases((object,)) == (object,),
    }


# --- functional and containers --------------------------------------------


@section("itertools")
def _itertools():
    import itertools as it
    import operator

    a, b = it.tee([1, 2, 3])
    next(a)
    return {
        "chain": [list(it.chain("ab", [1, 2])), list(it.chain.from_iterable(["xy", "z"]))],
        "islice": [list(it.islice(it.count(10, 3), 2, 8, 2)), list(it.islice("abcdefg", 3))],
        "product": [list(it.product("ab", repeat=2)), list(it.product([1, 2], "xy"))],
        "permutations": ["".join(p) for p in it.permutations("abc", 2)],
        "combinations": [list(it.combinations(range(4), 3)), list(it.combinations_with_replacement("ab", 2))],
        "accumulate": [list(it.accumulate([1, 2, 3, 4])), list(it.accumulate([3, 1, 4, 1, 5], max)),
                       list(it.accumulate([1, 2, 3], operator.mul, initial=10))],
        "groupby": [[k, list(g)] for k, g in it.groupby("aaabccdaa")],
        "groupby_key": [[k, list(g)] for k, g in it.groupby(range(10), key=lambda x: x // 4)],
        "zip_longest": list(it.zip_longest("abc", [1], fillvalue="-")),
        "starmap": list(it.starmap(pow, [(2, 5), (3, 2)])),
        "takewhile_dropwhile": [list(it.takewhile(lambda x: x < 5, [1, 4, 6, 2])),
                                list(it.dropwhile(lambda x: x < 5, [1, 4, 6, 2]))],
        "filterfalse_compress": [list(it.filterfalse(lambda x: x % 2, range(10))),
                                 list(it.compress("abcdef", [1, 0, 1, 0, 1, 1]))],
        "cycle_repeat": [list(it.islice(it.cycle("ab"), 5)), list(it.repeat("x", 3))],
        "tee": [list(a), list(b)],
        "pairwise": list(it.pairwise("abcd")),
        "count_float": list(it.islice(it.count(0.5, 0.25), 4)),
    }


@section("functools")
def _functools():
    import functools

    @functools.lru_cache(maxsize=None)
    def fib(n):
        return n if n < 2 else fib(n - 1) + fib(n - 2)

    fib30 = fib(30)
    info = list(fib.cache_info())

    @functools.lru_cache(maxsize=2)
    def sq(x):
        return x * x

    for x in [1, 2, 1, 3, 2]:
        sq(x)

    @functools.cache
    def tri(n):
        return n + tri(n - 1) if n else 0

    class Temp:
        def __init__(self):
            self.computed = 0

        @functools.cached_property
        def value(self):
            self.computed += 1
            return 42

    t = Temp()
    _ = t.value, t.value

    @functools.singledispatch
    def show(x):
        return f"obj:{x}"

    @show.register
    def _(x: int):
        return f"int:{x}"

    @show.register(list)
    def _(x):
        return "list:" + ",".join(map(show, x))

    @functools.total_ordering
    class Ver:
        def __init__(self, n):
            self.n = n

        def __eq__(self, o):
            return self.n == o.n

        def __lt__(self, o):
            return self.n < o.n

    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*a, **k):
            return fn(*a, **k) * 2

        return wrapper

    @deco
    def doubled(x):
        """Doc of doubled."""
        return x

    class Cell:
        def set(self, v, scale=1):
            self.v = v * scale
            return self

        set_ten = functools.partialmethod(set, 10)

    p = functools.partial(int, base=2)
    p2 = functools.partial(pow, 2)
    return {
        "reduce": [functools.reduce(lambda a, b: a * b, range(1, 11)), functools.reduce(max, [3, 9, 2], 0)],
        "lru_cache": [fib30, info, list(sq.cache_info()), tri(50)],
        "cached_property": [t.value, t.computed],
        "singledispatch": [show(3), show("s"), show([1, [2]]), show(True)],
        "total_ordering": [Ver(1) <= Ver(2), Ver(3) >= Ver(4), Ver(2) > Ver(1)],
        "wraps": [doubled(21), doubled.__name__, doubled.__doc__, doubled.__wrapped__(21)],
        "partial": [p("1011"), p.keywords, p2(10), p2.args, Cell().set_ten(scale=3).v],
        "cmp_to_key": sorted(["bb", "a", "ccc", "dd"], key=functools.cmp_to_key(lambda x, y: len(x) - len(y) or (x > y) - (x < y))),
    }


@section("operator")
def _operator():
    import operator as op
    from types import SimpleNamespace as NS

    rows = [{"n": "b", "v": 2}, {"n": "a", "v": 3}, {"n": "c", "v": 1}]
    obj = NS(a=NS(b=NS(c=7)), x=1)
    lst = [1]
    lst2 = op.iadd(lst, [2])
    return {
        "itemgetter": [[r["n"] for r in sorted(rows, key=op.itemgetter("v"))], op.itemgetter(0, 2)("abc"),
                       op.itemgetter(slice(1, None))([1, 2, 3])],
        "attrgetter": [op.attrgetter("a.b.c")(obj), op.attrgetter("x", "a.b.c")(obj)],
        "methodcaller": [op.methodcaller("split", ",", 1)("a,b,c"), op.methodcaller("upper")("x")],
        "arith": [op.add(2, 3), op.mul("ab", 2), op.neg(5), op.truediv(7, 2), op.floordiv(-7, 2), op.mod(-7, 3),
                  op.pow(2, 10), op.lshift(1, 5), op.xor(6, 3), op.inv(5), op.index(7), op.matmul.__name__],
        "sequences": [op.concat([1], [2]), op.contains("abc", "b"), op.countOf([1, 2, 1], 1),
                      op.indexOf("abc", "c"), op.length_hint(iter(range(5))), op.getitem({"k": 9}, "k")],
        "truth": [op.truth([]), op.not_(0), op.is_(None, None), op.is_not(1, None), op.eq(1, 1.0), op.lt("a", "b")],
        "inplace": [lst2, lst is lst2],
        "call": op.call(max, 1, 5, 3),
    }


@section("copy")
def _copy():
    import copy

    a = [1, [2, 3]]
    a.append(a)
    b = copy.deepcopy(a)
    shallow = copy.copy(a)

    class Node:
        def __init__(self, name):
            self.name = name
            self.peers = []

    n1, n2 = Node("x"), Node("y")
    n1.peers.append(n2)
    n2.peers.append(n1)
    pair = [n1, n1]
    pair_copy = copy.deepcopy(pair)

    class Custom:
        def __init__(self):
            self.log = []

        def __copy__(self):
            c = Custom()
            c.log = self.log + ["copied"]
            return c

        def __deepcopy__(self, memo):
            c = Custom()
            c.log = self.log + ["deep"]
            return c

    d = {"t": (1, [2]), "f": frozenset([1]), "s": "str"}
    dc = copy.deepcopy(d)
    return {
        "cycle": [b[2] is b, b[1] is not a[1], b[1] == a[1], b[0] == 1, len(b)],
        "shallow": [shallow[1] is a[1], shallow is not a, shallow[2] is a],
        "object_cycle": [pair_copy[0] is pair_copy[1], pair_copy[0] is not n1,
                         pair_copy[0].peers[0].peers[0] is pair_copy[0], pair_copy[0].peers[0].name],
        "custom": [copy.copy(Custom()).log, copy.deepcopy(Custom()).log],
        "immutables": [dc["s"] is d["s"], dc["t"] is not d["t"], dc["t"] == d["t"], dc["f"] is d["f"]],
        "memo": (lambda m: [copy.deepcopy([a, a], m)[0] is not a, len(m) > 0])({}),
    }


@section("bisect")
def _bisect():
    import bisect

    data = [1, 3, 3, 5, 8, 13]
    ins = list(data)
    bisect.insort(ins, 4)
    bisect.insort_left(ins, 3)
    recs = [("a", 1), ("b", 4), ("c", 9)]
    bisect.insort(recs, ("d", 5), key=lambda r: r[1])

    def grade(score, breakpoints=(60, 70, 80, 90), grades="FDCBA"):
        return grades[bisect.bisect(breakpoints, score)]

    return {
        "bisect": [bisect.bisect_left(data, 3), bisect.bisect_right(data, 3), bisect.bisect(data, 100),
                   bisect.bisect_left(data, 0), bisect.bisect_left(data, 5, lo=4)],
        "insort": ins,
        "key": [bisect.bisect_left(recs, 5, key=lambda r: r[1]), recs],
        "grades": [grade(s) for s in [33, 99, 77, 70, 89, 90, 100]],
    }


@section("heapq")
def _heapq():
    import heapq

    h = []
    for x in [5, 1, 8, 3, 9, 2]:
        heapq.heappush(h, x)
    popped = [heapq.heappop(h) for _ in range(3)]
    g = [7, 3, 9, 1]
    heapq.heapify(g)
    pushpop = heapq.heappushpop(g, 2)
    replaced = heapq.heapreplace(g, 10)
    tasks = []
    for prio, name in [(3, "c"), (1, "a"), (2, "b"), (1, "a2")]:
        heapq.heappush(tasks, (prio, name))
    return {
        "push_pop": [popped, sorted(h)],
        "heapify": [g[0], pushpop, replaced, sorted(g)],
        "tasks": [heapq.heappop(tasks) for _ in range(4)],
        "nlargest": [heapq.nlargest(3, [4, 1, 7, 3, 9, 2]), heapq.nsmallest(2, ["bb", "a", "ccc"], key=len),
                     heapq.nlargest(2, [{"p": 3}, {"p": 9}, {"p": 1}], key=lambda d: d["p"])],
        "merge": [list(heapq.merge([1, 4, 7], [2, 5], [3, 6, 9])),
                  list(heapq.merge(["c", "a"], ["b"], reverse=True)),
                  list(heapq.merge(["xx", "zzzz"], ["y", "yyy"], key=len))],
    }


@section("array")
def _array():
    from array import array

    a = array("i", [1, -2, 3])
    a.append(4)
    a.extend([5, 6])
    a.insert(0, 0)
    a.remove(3)
    last = a.pop()
    a.reverse()
    h = array("H", [1, 256])
    h.byteswap()
    b = array("B", b"hello")
    fb = array("h")
    fb.frombytes(b"\x01\x00\xff\xff")
    d = array("d", [1.5, 2.25])
    d[1:] = array("d", [3.0, 4.5])
    return {
        "int": [a.tolist(), last, a.typecode, a.itemsize, a.tobytes().hex(), a.count(1), a.index(-2)],
        "double": [d.tolist(), d.tobytes().hex(), sum(d), len(d)],
        "float32": array("f", [0.1, 1e-3]).tolist(),
        "bytes": [bytes(b).decode(), b[1:3].tolist(), (b * 2).tobytes().decode(), (b + array("B", b"!")).tolist()],
        "byteswap": h.tolist(),
        "frombytes": fb.tolist(),
        "q": array("q", [2**40, -1]).tobytes().hex(),
        "compare": [array("i", [1, 2]) == array("i", [1, 2]), array("i", [1, 2]) < array("i", [1, 3])],
        "memoryview": [memoryview(a).nbytes, memoryview(d).format],
        "overflow": _error(lambda: array("b", [200])),
        "bad_typecode": _error(lambda: array("Z")),
    }


@section("struct")
def _struct():
    import struct

    s = struct.Struct("!I2s")
    buf = bytearray(8)
    struct.pack_into("<I", buf, 2, 0xDEADBEEF)
    return {
        "pack": [struct.pack("<hIq?3sxf", -2, 4000000000, -(2**40), True, b"abc", 1.5).hex(),
                 struct.pack(">d", 3.141592653589793).hex(), struct.pack("<e", 1.5).hex(),
                 struct.pack("<5p", b"ab").hex(), struct.pack(">Q", 2**64 - 1).hex(),
                 struct.pack("<c?", b"z", 0).hex()],
        "unpack": [struct.unpack(">HhBb", bytes.fromhex("fffeff7f8080")),
                   struct.unpack("<f", struct.pack("<f", 0.1)), struct.unpack("<q", b"\xff" * 8),
                   struct.unpack("<3s2x", b"abc\x00\x00")],
        "calcsize": [struct.calcsize("<iqh"), struct.calcsize("@iqh"), struct.calcsize("=iqh"),
                     struct.calcsize("!10s"), struct.calcsize("@bq")],
        "struct_obj": [s.size, s.format, s.pack(7, b"hi").hex(), s.unpack(b"\x00\x00\x01\x00ok")],
        "iter_unpack": list(struct.iter_unpack("<H", b"\x01\x00\x02\x00")),
        "pack_into": [buf.hex(), struct.unpack_from("<I", buf, 2)],
        "errors": [_error(lambda: struct.pack("<B", 256)), _error(lambda: struct.unpack("<I", b"ab")),
                   _error(lambda: struct.calcsize("y"))],
    }


# --- math -------------------------------------------------------------------


@section("math")
def _math():
    import math

    return {
        "constants": [math.pi, math.e, math.tau, math.inf > 1e308, math.isnan(math.nan)],
        "integers": [math.isqrt(10**20 + 1), math.factorial(25), math.comb(50, 25), math.perm(10, 3),
                     math.gcd(84, 126, 210), math.lcm(4, 6, 10), math.floor(-2.5), math.ceil(-2.5),
                     math.trunc(-2.7), math.prod(range(1, 15)), pow(3, -1, 11), (2**100) % 97,
                     divmod(-7, 2), (-7) // 2, -7 % 3, 7 ** 0.5 == math.sqrt(7)],
        "floats": [math.sqrt(2), math.fsum([0.1] * 10), sum([0.1] * 10), math.hypot(3, 4, 12),
                   math.dist((0, 0), (3, 4)), math.prod([1.5, 2, 4]), math.log(8, 2), math.log2(1024),
                   math.log10(0.001), math.log1p(1e-10), math.exp(1), math.expm1(1e-10), math.sin(math.pi / 6),
                   math.cos(1), math.tan(0.5), math.atan2(1, -1), math.asin(1), math.acosh(2), math.degrees(math.pi),
                   math.radians(180), math.copysign(3, -0.0), math.fmod(-7, 3), math.remainder(7, 3),
                   math.modf(-3.25), math.frexp(48.0), math.ldexp(0.75, 7), math.pow(2, 0.5),
                   # exact cubes: glibc's cbrt(27) is 3.0000000000000004, other C libraries' 3.0
                   [math.cbrt(8.0), math.cbrt(-64.0)], math.exp2(10)],
        "special": [math.erf(0.5), math.erfc(0.5), math.gamma(5.5), math.lgamma(10), math.gamma(0.5) ** 2],
        "float_bits": [math.nextafter(1.0, 2.0), math.ulp(1.0), math.isclose(0.1 + 0.2, 0.3),
                       math.isclose(1.0, 1.1, rel_tol=0.2), math.isfinite(float("inf")), (0.1).hex(),
                       float.fromhex("0x1.8p1"), (2.5).as_integer_ratio(), (1e300 * 1e10) == math.inf],
        "rounding": [round(2.675, 2), round(0.5), round(1.5), round(-2.5), round(1234.5678, -2), round(7, -1),
                     round(1e16 + 1.0), int(-3.9), int("1_000"), float("1e500") == math.inf],
        "reprs": [1 / 3, 1e16, 1e-5, 2.0**-1074, 123456789.123456789, 0.1 + 0.2, -0.0, 1e22, 5e-324 * 2,
                  str(1.0), str(10.0**15), str(10.0**16), repr(float("nan"))],
        "errors": [_error(lambda: math.sqrt(-1)), _error(lambda: math.log(0)), _error(lambda: math.factorial(-1)),
                   _error(lambda: math.exp(1000)), _error(lambda: 1 / 0)],
        "complex": [str(complex(1, 2) * complex(3, -1)), abs(3 + 4j), (1j ** 2).real],
    }


@section("statistics")
def _statistics():
    import statistics as st
    from decimal import Decimal
    from fractions import Fraction

    def r(x):
        """12 significant digits: several of these functions changed algorithm
        (fsum, sumprod, erfc) between 3.11 and 3.14, which can move the last bit."""
        if isinstance(x, float):
            return format(x, ".12g")
        if isinstance(x, (list, tuple)):
            return [r(v) for v in x]
        return x

    data = [2.5, 3.25, 5.5, 11.25, 11.75, 1.0, 7.0]
    nd = st.NormalDist(100, 15)
    x, y = [1, 2, 3, 4, 5, 6], [2, 4.1, 5.9, 8.2, 9.9, 12.1]
    lr = st.linear_regression(x, y)
    return {
        "central": r([st.mean(data), st.fmean(data), st.median(data), st.median_low([1, 3, 5, 7]),
                      st.median_high([1, 3, 5, 7]), st.median([1, 3, 5, 7]),
                      st.median_grouped([52, 52, 53, 54]), st.mode([1, 1, 2, 3, 3, 3]),
                      st.multimode("aabbbbccddddeeffffgg"), st.mean([1, 2, 3, 4]),
                      st.harmonic_mean([40, 60]), st.geometric_mean([54, 24, 36]),
                      st.fmean([1, 2, 3], weights=[3, 1, 1])]),
        "spread": r([st.stdev(data), st.pstdev(data), st.variance(data), st.pvariance(data),
                     st.variance([1, 2, 3, 4]), st.stdev([2, 4, 4, 4, 5, 5, 7, 9])]),
        "quantiles": r([st.quantiles(range(1, 101), n=4), st.quantiles(data, n=10, method="inclusive"),
                        st.quantiles([1, 2, 3, 4, 5, 6, 7, 8], n=4)]),
        "exact_types": [str(st.mean([Fraction(1, 3), Fraction(1, 6)])), str(st.mean([Decimal("1.1"), Decimal("2.2")])),
                        str(st.median([Fraction(1, 2), Fraction(3, 2)])),
                        str(st.variance([Fraction(1), Fraction(2), Fraction(4)])),
                        str(st.variance([Decimal("1.5"), Decimal("2.5"), Decimal("2.5"), Decimal("2.75")]))],
        "normaldist": r([nd.cdf(130), nd.inv_cdf(0.95), nd.pdf(100), nd.overlap(st.NormalDist(110, 15)),
                         nd.zscore(130), nd.mean, nd.stdev, nd.variance, (nd + 5).mean, (nd * 2).stdev,
                         st.NormalDist.from_samples([2.5, 3.1, 2.1, 2.4, 2.7, 3.5]).mean, nd.quantiles(4)]),
        "bivariate": r([st.correlation(x, y), st.covariance(x, y), lr.slope, lr.intercept,
                        st.linear_regression(x, y, proportional=True).slope]),
        "errors": [_error(lambda: st.mean([])), _error(lambda: st.stdev([1])),
                   _error(lambda: st.harmonic_mean([-1, 2]))],
    }


@section("decimal")
def _decimal():
    import decimal
    from decimal import (ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal as D,
                         DivisionByZero, Inexact, InvalidOperation, Rounded, localcontext)

    with localcontext() as ctx:
        ctx.prec = 30
        prec30 = [str(D(1) / D(7)), str(D(2).sqrt()), str(D(1).exp()), str(D(10).ln()), str(D(2).log10()),
                  str(D(2) ** D("0.5")), str(D("1.1") ** 10)]
        ctx.clear_flags()
        _ = D(1) / D(3)
        flags = sorted(k.__name__ for k, v in ctx.flags.items() if v)
    with localcontext(prec=5, rounding=ROUND_DOWN) as ctx5:
        prec5 = [str(D("3.14159265") + 0), str(D(2) / 3), ctx5.prec]
    with localcontext() as quiet:
        quiet.traps[DivisionByZero] = False
        quiet.traps[InvalidOperation] = False
        untrapped = [str(D(1) / 0), str(D(0) / 0), str(D(-1).sqrt())]
    t = D("-12.340").as_tuple()
    c = Context(prec=6, rounding=ROUND_HALF_UP)
    return {
        "default_prec": decimal.getcontext().prec,
        "prec30": prec30,
        "flags": flags,
        "prec5": prec5,
        "quantize": [str(D("2.675").quantize(D("0.01"), rounding=r)) for r in (ROUND_HALF_UP, ROUND_HALF_EVEN, ROUND_DOWN)]
        + [str(D("1.2345").quantize(D("1e-2"))), str(D("7.325").quantize(D(".01"), rounding=decimal.ROUND_CEILING)),
           str(D("-7.325").quantize(D(".01"), rounding=decimal.ROUND_FLOOR)), str(D("123.456").quantize(D("1e1")))],
        "arithmetic": [str(D("1.10") + D("2.205")), str(D("1.30") * D("1.20")), str(D("7.00") / D("2")),
                       str(D("10") // D("3")), str(D("-10") % D("3")), str(D("0.1") * 3 - D("0.3")), str(sum(D("0.1") for _ in range(10)))],
        "construction": [str(D(0.1)), str(D("1e-10")), str(D("-0")), str(D("123E+3")), str(D(" 42 ")),
                         str(D.from_float(0.25)), str(D((1, (3, 1, 4), -2))), str(D("NaN")), str(D("-Infinity"))],
        "normalize": [str(D("123E+3").normalize()), str(D("1.500").normalize()), D("123E+3").to_eng_string(),
                      str(D("0.000001234")), D("1E-7").to_eng_string(), str(D("120.00").normalize())],
        "as_tuple": [t.sign, list(t.digits), t.exponent],
        "conversions": [int(D("12.9")), int(D("-12.9")), float(D("0.1")), round(D("2.5")), round(D("3.5")),
                        str(round(D("2.675"), 2)), D("1.5").as_integer_ratio(), D(7).is_signed()],
        "format": [format(D("1234567.891"), ",.2f"), f"{D('0.000123'):e}", f"{D('12.5'):>8}", f"{D('0.5'):%}",
                   format(D("1e3"), "f"), format(D("-0.0"), ".1f")],
        "compare": [D("1.0") == D("1.00"), D("1.0") == 1, D("0.5") == 0.5, D("1.1") < D("1.10001"),
                    str(max(D("1.1"), D("1.10"))), str(D("1.0").compare_total(D("1.00"))),
                    sorted(str(x) for x in [D("2"), D("-1.5"), D("0.25")]), D("NaN") == D("NaN")],
        "methods": [str(D("3.14159").to_integral_value(rounding=ROUND_HALF_UP)), str(D("-2.5").copy_abs()),
                    str(D("2").fma(3, 4)), str(D("10").scaleb(-2)), str(D("255").logb()), D("12.34").adjusted(),
                    str(D("1.23").next_plus()), D("5").is_finite(), D("Infinity").is_infinite(), str(D("7").max(D("8")))],
        "context": [str(c.create_decimal("3.14159265")), str(c.divide(D(1), D(3))), str(c.power(2, 100)),
                    str(c.sqrt(D(10)))],
        "errors": [_error(lambda: D(1) / D(0)), _error(lambda: D("abc")), _error(lambda: D("NaN") < 1),
                   _error(lambda: D(0) / D(0))],
        "signals": [issubclass(DivisionByZero, ZeroDivisionError), issubclass(Inexact, decimal.DecimalException),
                    issubclass(Rounded, ArithmeticError)],
    }


@section("fractions")
def _fractions():
    import math
    from decimal import Decimal
    from fractions import Fraction as F

    return {
        "arithmetic": [str(F(3, 4) + F(5, 6)), str(F(1, 3) * 3), str(F(7, 3) - 2), str(F(2, 3) / F(4, 9)),
                       str(F(2, 3) ** 2), str(F(2, 3) ** -2), str(F(7, 3) // 1), str(F(7, 3) % F(1, 2)),
                       [str(v) for v in divmod(F(7, 3), F(1, 2))], str(abs(F(-1, 2))), str(-F(1, 2))],
        "construction": [str(F("3.1415")), str(F(" -1.25e2 ")), str(F(0.1)), str(F("-2/4")), str(F(Decimal("1.25"))), str(F.from_decimal(Decimal("-0.5"))),
                         str(F.from_float(0.375)), str(F(6, -4)), str(F(F(1, 2), F(3, 4)))],
        "limit_denominator": [str(F(0.1).limit_denominator(1000)), str(F(math.pi).limit_denominator(100)),
                              str(F("3.14159265358979").limit_denominator(10000))],
        "parts": [F(7, 3).numerator, F(7, 3).denominator, list(F(5, 10).as_integer_ratio()), repr(F(5, 10))],
        "conversions": [float(F(1, 3)), int(F(-7, 2)), round(F(7, 2)), round(F(5, 2)), str(round(F(22, 7), 3)),
                        math.floor(F(-7, 2)), math.ceil(F(-7, 2)), math.trunc(F(-7, 2)), F(4, 9) ** F(1, 2),
                        F(1, 8) ** 0.5, complex(F(1, 2)).real],
        "compare": [F(1, 2) < 0.6, F(1, 2) == 0.5, hash(F(1, 2)) == hash(0.5), F(1, 3) != 1 / 3,
                    [str(v) for v in sorted([F(1, 3), F(1, 4), F(3, 10)])], F(0) == 0, bool(F(0))],
        "errors": [_error(lambda: F(1, 0)), _error(lambda: F("1/2/3")), _error(lambda: F(1.5, 2))],
    }


@section("numbers")
def _numbers():
    import numbers
    from decimal import Decimal
    from fractions import Fraction

    class MyInt:
        pass

    numbers.Integral.register(MyInt)
    values = {"int": 1, "bool": True, "float": 1.5, "complex": 1j, "Fraction": Fraction(1, 2),
              "Decimal": Decimal("1.5"), "str": "1"}
    tower = ["Number", "Complex", "Real", "Rational", "Integral"]
    return {
        "tower": {name: [t for t in tower if isinstance(v, getattr(numbers, t))] for name, v in values.items()},
        "registered": [issubclass(MyInt, numbers.Rational), issubclass(MyInt, numbers.Number),
                       isinstance(MyInt(), numbers.Real)],
        "abstract": [sorted(numbers.Integral.__abstractmethods__)[:5], _error(numbers.Real)],
    }


@section("random")
def _random():
    import random

    random.seed(1234)
    out = {
        "random": [random.random() for _ in range(3)],
        "randint": [random.randint(1, 100) for _ in range(10)],
        "choice": [random.choice("abcdefghij") for _ in range(5)],
    }
    lst = list(range(10))
    random.shuffle(lst)
    out["shuffle"] = lst
    out["sample"] = random.sample(range(100), 5)
    out["sample_counts"] = random.sample(["r", "b"], counts=[3, 2], k=4)
    out["uniform"] = random.uniform(1, 10)
    out["gauss"] = [random.gauss(0, 1) for _ in range(3)]
    out["normalvariate"] = random.normalvariate(10, 2)
    out["choices"] = random.choices("abc", weights=[5, 1, 1], k=8)
    out["choices_cum"] = random.choices("xyz", cum_weights=[1, 2, 10], k=5)
    out["randrange"] = [random.randrange(0, 100, 7) for _ in range(5)] + [random.randrange(10)]
    out["getrandbits"] = [random.getrandbits(64), random.getrandbits(1), random.getrandbits(200)]
    out["randbytes"] = random.randbytes(8).hex()
    out["distributions"] = [random.expovariate(1.5), random.triangular(0, 10, 3), random.betavariate(2, 5),
                            random.gammavariate(2.0, 1.5), random.lognormvariate(0, 1), random.vonmisesvariate(1, 2),
                            random.paretovariate(3), random.weibullvariate(1, 1.5)]
    state = random.getstate()
    first = random.random()
    random.setstate(state)
    out["state"] = first == random.random()
    out["instances"] = [random.Random(42).random(), random.Random("a string seed").random(),
                        random.Random(b"bytes seed").randint(0, 10**6), random.Random(2**100 + 7).random(),
                        random.Random(-5).random() == random.Random(5).random()]
    rng = random.Random(7)
    out["instance_methods"] = [rng.choice([10, 20, 30]), rng.sample("abcdef", 3), rng.randrange(-50, 50)]
    return out


@section("secrets")
def _secrets():
    import secrets
    import string

    hex_token = secrets.token_hex(16)
    url_token = secrets.token_urlsafe(16)
    raw = secrets.token_bytes(10)
    alphabet = string.ascii_letters + string.digits
    pw = "".join(secrets.choice(alphabet) for _ in range(20))
    below = [secrets.randbelow(10) for _ in range(50)]
    return {
        "token_hex": [len(hex_token), all(c in "0123456789abcdef" for c in hex_token),
                      secrets.token_hex(16) != hex_token, len(secrets.token_hex())],
        "token_urlsafe": [len(url_token), all(c in alphabet + "-_" for c in url_token)],
        "token_bytes": [type(raw).__name__, len(raw)],
        "choice": [len(pw), all(c in alphabet for c in pw)],
        "randbelow": [all(0 <= b < 10 for b in below), type(below[0]).__name__],
        "randbits": [0 <= secrets.randbits(8) < 256],
        "compare_digest": [secrets.compare_digest("abc", "abc"), secrets.compare_digest(b"a", b"b")],
        "system_random": [0 <= secrets.SystemRandom().random() < 1],
    }


# --- encodings and hashing ---------------------------------------------------


@section("base64")
def _base64():
    import base64

    data = b"Morph \x00\xff\xfe binary?"
    return {
        "b64": [base64.b64encode(data).decode(), base64.b64decode(base64.b64encode(data)) == data,
                base64.standard_b64encode(b"ab").decode(), base64.b64decode("aGk=").decode()],
        "urlsafe": [base64.urlsafe_b64encode(b"\xfb\xff\xbf").decode(), base64.urlsafe_b64decode("-_-_").hex()],
        "altchars": base64.b64encode(b"\xfb\xff", altchars=b"*$").decode(),
        "b32": [base64.b32encode(b"hello").decode(), base64.b32decode("NBSWY3DP").decode(),
                base64.b32hexencode(b"hello").decode(), base64.b32decode("nbswy3dp", casefold=True).decode()],
        "b16": [base64.b16encode(b"\x01\xab").decode(), base64.b16decode("01AB").hex()],
        "b85": [base64.b85encode(b"hello world").decode(), base64.b85decode(base64.b85encode(data)) == data,
                base64.b85encode(b"\x00\x00\x00\x00abc", pad=True).decode()],
        "a85": [base64.a85encode(b"hello world").decode(), base64.a85encode(b"\x00\x00\x00\x00hi", adobe=True).decode(),
                base64.a85decode(base64.a85encode(data)) == data],
        "encodebytes": base64.encodebytes(bytes(range(60))).decode(),
        "errors": [_error(lambda: base64.b64decode("abc")), _error(lambda: base64.b64decode("ab!=", validate=True)),
                   base64.b64decode("ab!c=").hex(), _error(lambda: base64.b32decode("x"))],
    }


@section("binascii")
def _binascii():
    import binascii

    return {
        "hex": [binascii.hexlify(b"\x01\xab\xff").decode(), binascii.hexlify(b"\x01\xab\xff", "-").decode(),
                binascii.b2a_hex(b"abcd", b":", 2).decode(), binascii.unhexlify("01abFF").hex()],
        "base64": [binascii.b2a_base64(b"hi").decode(), binascii.b2a_base64(b"hi", newline=False).decode(),
                   binascii.a2b_base64(b"aGk=\n").decode()],
        "crc": [binascii.crc32(b"hello"), binascii.crc32(b" world", binascii.crc32(b"hello")),
                binascii.crc_hqx(b"hello", 0), binascii.crc_hqx(b"hello", 0xFFFF)],
        "qp": [binascii.b2a_qp(b"caf\xc3\xa9 = x").decode(), binascii.a2b_qp(b"caf=C3=A9=\n!").decode()],
        "errors": [_error(lambda: binascii.unhexlify("abc")), _error(lambda: binascii.a2b_base64(b"a")),
                   issubclass(binascii.Error, ValueError)],
    }


@section("hashlib")
def _hashlib():
    import hashlib

    msg = b"The quick brown fox jumps over the lazy dog"
    names = ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"]
    h = hashlib.sha256()
    for chunk in (msg[:10], msg[10:30], msg[30:]):
        h.update(chunk)
    h2 = h.copy()
    h2.update(b"!")
    return {
        "hexdigests": {n: hashlib.new(n, msg).hexdigest() for n in names},
        "empty": {n: getattr(hashlib, n)().hexdigest() for n in names},
        "constructors": [getattr(hashlib, n)(msg).hexdigest() == hashlib.new(n, msg).hexdigest() for n in names],
        "properties": {n: [hashlib.new(n).name, hashlib.new(n).digest_size, hashlib.new(n).block_size] for n in names},
        "chunks": [h.hexdigest() == hashlib.sha256(msg).hexdigest(), h2.hexdigest(), h.digest()[:4].hex()],
        "big_input": hashlib.sha1(b"x" * 1_000_000).hexdigest(),
        "md5_usedforsecurity": hashlib.md5(b"abc", usedforsecurity=False).hexdigest(),
        "guaranteed": sorted(set(names) & hashlib.algorithms_guaranteed),
        "unknown": _error(lambda: hashlib.new("no-such-hash")),
    }


@section("hmac")
def _hmac():
    import hashlib
    import hmac

    key, msg = b"key", b"The quick brown fox jumps over the lazy dog"
    h = hmac.new(key, digestmod=hashlib.md5)
    h.update(msg[:5])
    h.update(msg[5:])
    c = h.copy()
    c.update(b"more")
    return {
        "sha256": hmac.new(key, msg, "sha256").hexdigest(),
        "sha1": hmac.new(key, msg, hashlib.sha1).hexdigest(),
        "sha512_long_key": hmac.new(b"k" * 200, msg, "sha512").hexdigest(),
        "md5_incremental": [h.hexdigest(), c.hexdigest(), h.name, h.digest_size, h.block_size],
        "digest": hmac.digest(key, msg, "sha1").hex(),
        "compare_digest": [hmac.compare_digest(h.digest(), h.digest()), hmac.compare_digest("a", "b")],
        "no_digestmod": _error(lambda: hmac.new(key, msg)),
    }


@section("uuid")
def _uuid():
    import uuid

    u = uuid.UUID("12345678-1234-5678-1234-567812345678")
    v4 = uuid.uuid4()
    return {
        "uuid5": [str(uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")), str(uuid.uuid5(uuid.NAMESPACE_URL, "https://example.com/x"))],
        "uuid3": [str(uuid.uuid3(uuid.NAMESPACE_DNS, "python.org")), str(uuid.uuid3(uuid.NAMESPACE_OID, "1.3.6.1"))],
        "fields": [u.hex, u.int, u.urn, u.version, u.variant, u.bytes.hex(), u.bytes_le.hex(), list(u.fields),
                   u.time_low, u.node],
        "parse": [str(uuid.UUID("{12345678-1234-5678-1234-567812345678}")), str(uuid.UUID("urn:uuid:" + u.hex)),
                  str(uuid.UUID(bytes=bytes(range(16)))), str(uuid.UUID(int=1)), str(uuid.UUID(fields=u.fields))],
        "uuid4": [v4.version, v4.variant == uuid.RFC_4122, v4 != uuid.uuid4(), len(str(v4))],
        "namespaces": [str(uuid.NAMESPACE_DNS), str(uuid.NAMESPACE_X500)],
        "compare": [uuid.UUID(int=1) < uuid.UUID(int=2), u == uuid.UUID(u.hex), hash(u) == hash(uuid.UUID(u.hex))],
        "errors": [_error(lambda: uuid.UUID("not-a-uuid")), _error(lambda: uuid.UUID(int=-1))],
    }


@section("zlib")
def _zlib():
    import zlib

    data = b"hello hello hello " * 50 + bytes(range(256))
    co = zlib.compressobj(level=6, wbits=-15)
    raw = co.compress(data[:500]) + co.compress(data[500:]) + co.flush()
    do = zlib.decompressobj(-15)
    streamed = b""
    for i in range(0, len(raw), 7):
        streamed += do.decompress(raw[i:i + 7])
    streamed += do.flush()
    gz = zlib.compressobj(wbits=31)
    gzipped = gz.compress(data) + gz.flush()
    limited = zlib.decompressobj()
    part = limited.decompress(zlib.compress(data), 100)
    fixed = bytes.fromhex("789cf3cd2f2ac850282acd2b5608a82cc9c8cfd353f025572824235521352f450f0015fd1e1f")
    return {
        "roundtrip": [zlib.decompress(zlib.compress(data, level)) == data for level in (0, 1, 6, 9)],
        "smaller": len(zlib.compress(data)) < len(data),
        "checksums": [zlib.crc32(data), zlib.adler32(data), zlib.crc32(b"world", zlib.crc32(b"hello ")) == zlib.crc32(b"hello world"),
                      zlib.adler32(b""), zlib.crc32(b""), zlib.adler32(b"abc", 7)],
        "raw_stream": [streamed == data, do.eof, do.unused_data],
        "gzip": [gzipped[:2].hex(), zlib.decompress(gzipped, 31) == data, zlib.decompress(gzipped, 47) == data],
        "max_length": [len(part), len(limited.unconsumed_tail) > 0, limited.eof],
        "fixed": zlib.decompress(fixed).decode(),
        "raises": [_error(lambda: zlib.decompress(b"not zlib data")), zlib.error.__name__],
        "constants": [zlib.MAX_WBITS, zlib.DEFLATED, zlib.Z_BEST_COMPRESSION],
    }


# --- formats ------------------------------------------------------------------


@section("urllib.parse")
def _urllib_parse():
    from urllib import parse

    parts = parse.urlsplit("https://user:pw@Example.com:8080/p/a%20th;x?q=1&r=2#frag")
    v6 = parse.urlsplit("http://[::1]:80/x")
    base = "http://a/b/c/d;p?q"
    return {
        "quote": [parse.quote("a b/c?d=é"), parse.quote("a b/c", safe=""), parse.quote_plus("a b&c=d/é"),
                  parse.quote(b"\x00\xff"), parse.quote_from_bytes(b"a&b"), parse.quote("~-._")],
        "unquote": [parse.unquote("%E2%82%AC%20x%zz"), parse.unquote_plus("a+b%2Bc"),
                    parse.unquote_to_bytes("%ff%00a").hex(), parse.unquote("%e9", encoding="latin-1")],
        "urlencode": [parse.urlencode({"q": "a b", "n": [1, 2]}, doseq=True), parse.urlencode([("x", "é"), ("y", "&")]),
                      parse.urlencode({"s": "a b"}, quote_via=parse.quote), parse.urlencode({"n": [1, 2]})],
        "urlsplit": [list(parts), parts.username, parts.password, parts.hostname, parts.port, parts.netloc,
                     parts.geturl(), v6.hostname, v6.port],
        "urlparse": list(parse.urlparse("http://h/p;params?q#f")),
        "parse_qs": [parse.parse_qs("a=1&a=2&b=&c=x%20y+z", keep_blank_values=True), parse.parse_qs("a=1&b"),
                     parse.parse_qsl("k=v&k=w&e=", keep_blank_values=True), parse.parse_qs("x=1;y=2", separator=";")],
        "urljoin": [parse.urljoin(base, rel) for rel in ["g", "./g", "g/", "/g", "//g", "?y", "g?y", "#s",
                                                         "g#s", "../g", "../../g", "../..", "http://x/y"]],
        "unsplit": [parse.urlunsplit(("https", "h.io", "/a b", "q=1", "f")), parse.urlunparse(("http", "h", "/p", "", "q", "")),
                    parse.urldefrag("http://h/p?q#frag")[0], parse.urldefrag("http://h/p#f").fragment],
        "port_error": _error(lambda: parse.urlsplit("http://h:99999/").port),
    }


@section("csv")
def _csv():
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["a", "b,c", 'say "hi"', "line\nbreak", 3, 4.5, None, ""])
    w.writerows([[1, 2], ["x"]])
    written = buf.getvalue()
    rows = list(csv.reader(io.StringIO(written)))
    dbuf = io.StringIO()
    dw = csv.DictWriter(dbuf, fieldnames=["name", "age"], extrasaction="ignore", lineterminator="\n")
    dw.writeheader()
    dw.writerows([{"name": "Ann", "age": 30, "x": 1}, {"name": "Bob"}])
    semi = io.StringIO()
    csv.writer(semi, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\n").writerow(["a", 1, "b;c"])
    nonnum = list(csv.reader(io.StringIO('"a",1,2.5\n'), quoting=csv.QUOTE_NONNUMERIC))
    esc = io.StringIO()
    csv.writer(esc, quoting=csv.QUOTE_NONE, escapechar="\\", lineterminator="\n").writerow(["a,b", "c"])
    sample = "id;name;score\n1;ann;3.5\n2;bob;4.0\n3;cy;2.5\n"
    sniffed = csv.Sniffer().sniff(sample)
    csv.register_dialect("pipes", delimiter="|", quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    pbuf = io.StringIO()
    csv.writer(pbuf, "pipes").writerow(["x|y", "z"])
    csv.unregister_dialect("pipes")
    return {
        "written": written,
        "read_back": rows,
        "dictwriter": dbuf.getvalue(),
        "dictreader": list(csv.DictReader(io.StringIO(dbuf.getvalue()))),
        "dictreader_restkey": list(csv.DictReader(io.StringIO("a,b\n1,2,3\n4\n"), restkey="rest", restval="-")),
        "quote_all": semi.getvalue(),
        "nonnumeric": nonnum,
        "escapechar": esc.getvalue(),
        "skipinitialspace": list(csv.reader(['a, "b, c", d'], skipinitialspace=True)),
        "sniffer": [sniffed.delimiter, csv.Sniffer().has_header(sample)],
        "dialect": pbuf.getvalue(),
        "dialects": sorted(csv.list_dialects()),
        "strict_error": _error(lambda: list(csv.reader(['"a"b,c'], strict=True))),
        "field_limit": csv.field_size_limit(),
        "line_num": (lambda r: [next(r), next(r), r.line_num])(csv.reader(io.StringIO('a\n"b\nc"\n'))),
    }


@section("io")
def _io():
    import io

    s = io.StringIO()
    s.write("first line\n")
    print("printed", 42, sep="|", file=s)
    s.write("third")
    pos = s.tell()
    s.seek(0)
    first = s.readline()
    rest = s.read()
    s.seek(6)
    s.write("LINE")
    s.truncate(14)
    lines = io.StringIO("a\nb\n\nc")
    universal = io.StringIO("a\r\nb\rc", newline=None)
    b = io.BytesIO(b"0123456789")
    b.seek(3)
    chunk = b.read(4)
    b.seek(-2, io.SEEK_END)
    tail = b.read()
    b.seek(0, io.SEEK_END)
    b.write(b"AB")
    target = bytearray(3)
    b.seek(1)
    n = b.readinto(target)
    view = b.getbuffer()
    nbytes = view.nbytes
    view.release()
    closed = io.BytesIO(b"x")
    closed.close()
    return {
        "stringio": [pos, first, rest, s.getvalue(), list(lines), lines.closed],
        "readlines": [io.StringIO("x\ny\n").readlines(), universal.readlines(), io.StringIO("abc").read(2)],
        "bytesio": [chunk.decode(), tail.decode(), b.getvalue().decode(), n, target.decode(), nbytes,
                    list(io.BytesIO(b"l1\nl2\n")), io.BytesIO(b"abc").read1(2).decode()],
        "closed": [closed.closed, _error(lambda: closed.read())],
        "seekable": [io.StringIO().seekable(), io.BytesIO().readable(), io.BytesIO().writable()],
    }


@section("email.utils")
def _email_utils():
    from datetime import datetime, timedelta, timezone
    from email import utils

    return {
        "parseaddr": [list(utils.parseaddr("Alice Example <alice@example.com>")), list(utils.parseaddr("bob@example.org")),
                      list(utils.parseaddr('"Smith, J" <j@x.io>'))],
        "formataddr": [utils.formataddr(("Bob Smith", "bob@example.org")), utils.formataddr(("José", "j@x.org")),
                       utils.formataddr(("Smith, J", "j@x.io"))],
        "getaddresses": [list(a) for a in utils.getaddresses(["a@b.c, Foo <foo@bar.com>", "Bar <bar@baz.org>"])],
        "parsedate": [utils.parsedate_to_datetime("Tue, 05 Mar 2024 13:45:10 +0100").isoformat(),
                      list(utils.parsedate_tz("Tue, 05 Mar 2024 13:45:10 -0500")),
                      utils.mktime_tz(utils.parsedate_tz("Thu, 01 Jan 1970 01:00:00 +0100"))],
        "formatdate": [utils.formatdate(0, usegmt=True), utils.formatdate(86400 * 365.25 * 30),
                       utils.format_datetime(datetime(2024, 3, 5, 13, 45, 10, tzinfo=timezone(timedelta(hours=2)))),
                       utils.format_datetime(datetime(2024, 3, 5, 13, 45, 10, tzinfo=timezone.utc), usegmt=True)],
        "quote": [utils.quote('a"b\\c'), utils.unquote('"x y"'), utils.unquote("<id@host>")],
    }


# --- tools ----------------------------------------------------------------------


@section("contextlib")
def _contextlib():
    import contextlib
    import io

    log = []

    @contextlib.contextmanager
    def tag(name):
        log.append("<" + name)
        try:
            yield name.upper()
        except KeyError:
            log.append("handled")
        finally:
            log.append(name + ">")

    with contextlib.suppress(KeyError, IndexError):
        {}["x"]
    suppressed = True
    with tag("a") as a_val:
        with tag("b"):
            log.append("body")
    try:
        with tag("c"):
            raise ValueError("boom")
    except ValueError as e:
        propagated = str(e)
    with tag("d"):
        raise KeyError("swallowed")

    order = []
    with contextlib.ExitStack() as stack:
        for i in range(3):
            stack.callback(order.append, f"cb{i}")
        inner = stack.enter_context(tag("e"))
        stack.push(lambda *exc: order.append("push") and False)
    with contextlib.ExitStack() as outer:
        outer.callback(order.append, "kept")
        moved = outer.pop_all()
    order.append("between")
    moved.close()

    class Resource:
        closed = False

        def close(self):
            self.closed = True

    r = Resource()
    with contextlib.closing(r):
        pass
    with contextlib.nullcontext(5) as five:
        pass
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        print("to the buffer")
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        import sys

        sys.stderr.write("to stderr buffer")

    class Deco(contextlib.ContextDecorator):
        def __enter__(self):
            log.append("deco-in")
            return self

        def __exit__(self, *exc):
            log.append("deco-out")
            return False

    @Deco()
    def decorated():
        log.append("deco-body")
        return 7

    class CM(contextlib.AbstractContextManager):
        def __exit__(self, *exc):
            return None

    with CM() as cm_self:
        pass

    def suppress_exit():
        with contextlib.ExitStack() as s:
            s.push(lambda et, ev, tb: True)
            raise RuntimeError("eaten")
        return "suppressed by exit stack"

    deco_result = decorated()
    return {
        "suppress": suppressed,
        "contextmanager": [a_val, propagated, inner],
        "log": log,
        "decorated": deco_result,
        "exitstack": order,
        "suppress_exit": suppress_exit(),
        "closing_nullcontext": [r.closed, five],
        "redirect": [captured.getvalue(), err.getvalue()],
        "abstract_cm": isinstance(cm_self, CM),
    }


@section("traceback")
def _traceback():
    import traceback

    def inner():
        raise ValueError("bad value 42")

    def outer():
        inner()

    try:
        outer()
    except ValueError as e:
        caught = e
    try:
        try:
            {}["missing"]
        except KeyError as k:
            raise RuntimeError("while handling") from k
    except RuntimeError as e:
        chained = e
    noted = ValueError("with note")
    noted.add_note("first note")
    noted.add_note("second note")
    frames = traceback.extract_tb(caught.__traceback__)
    stack = traceback.extract_stack(limit=1)

    def where():
        return [f.name for f in traceback.extract_stack(limit=2)]

    te = traceback.TracebackException.from_exception(chained)
    return {
        "format_exception_only": traceback.format_exception_only(type(caught), caught),
        "single_arg": traceback.format_exception_only(caught),
        "key_error": traceback.format_exception_only(KeyError("k")),
        "no_message": traceback.format_exception_only(StopIteration()),
        "notes": traceback.format_exception_only(noted),
        "frames": [[_base(f.filename), f.name, f.lineno, f.line] for f in frames],
        "frame_count": len(frames),
        "walk_tb": [lineno for _, lineno in traceback.walk_tb(caught.__traceback__)],
        "stack": [[s.name, _base(s.filename)] for s in stack],
        "where": where(),
        "chain": [type(chained.__cause__).__name__, chained.__suppress_context__,
                  list(te.format_exception_only()), list(te.__cause__.format_exception_only())],
    }


@section("warnings")
def _warnings():
    import warnings

    def old_api():
        warnings.warn("old_api is deprecated", DeprecationWarning, stacklevel=2)
        return 1

    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        warnings.warn("careful")
        old_api()
        warnings.warn_explicit("explicit", RuntimeWarning, "f.py", 7)
        warnings.warn(UserWarning("instance"))
    record = [[x.category.__name__, str(x.message), _base(x.filename), x.lineno] for x in w]
    with warnings.catch_warnings(record=True) as once:
        warnings.simplefilter("default")
        for _ in range(3):
            warnings.warn("repeated", UserWarning)
    with warnings.catch_warnings(record=True) as filt:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", message="skip.*")
        warnings.filterwarnings("ignore", category=ResourceWarning)
        warnings.warn("skip me")
        warnings.warn("keep me")
        warnings.warn("resource", ResourceWarning)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        err = _error(lambda: warnings.warn("now an error", FutureWarning))
    return {
        "record": record,
        "default_once": len(once),
        "filters": [str(x.message) for x in filt],
        "raises": err,
        "formatwarning": warnings.formatwarning("msg", UserWarning, "f.py", 3, line="x = 1"),
        "categories": [issubclass(DeprecationWarning, Warning), issubclass(UserWarning, Exception)],
    }


@section("weakref")
def _weakref():
    import weakref

    class Node:
        def __init__(self, name):
            self.name = name

        def method(self):
            return self.name

    n = Node("a")
    r = weakref.ref(n)
    alive = r() is n
    calls = []
    r2 = weakref.ref(n, lambda ref: calls.append("callback"))
    count = weakref.getweakrefcount(n)
    del n
    dead = [r() is None, r2() is None, calls]

    d = weakref.WeakValueDictionary()
    a, b = Node("a"), Node("b")
    d["a"], d["b"] = a, b
    del a
    values = [sorted(d.keys()), d.get("a"), d["b"].name]

    k = weakref.WeakKeyDictionary()
    key1, key2 = Node("k1"), Node("k2")
    k[key1], k[key2] = 1, 2
    del key1
    ws = weakref.WeakSet()
    s1, s2 = Node("s1"), Node("s2")
    ws.add(s1)
    ws.add(s2)
    del s2

    fin_log = []
    f_obj = Node("f")
    fin = weakref.finalize(f_obj, fin_log.append, "finalized")
    fin_alive = fin.alive
    del f_obj

    p_obj = Node("p")
    proxy = weakref.proxy(p_obj)
    via_proxy = proxy.name
    del p_obj

    m_obj = Node("m")
    wm = weakref.WeakMethod(m_obj.method)
    via_method = wm()()
    del m_obj
    return {
        "ref": [alive, count] + dead,
        "weakvaluedict": values,
        "weakkeydict": [len(k), [x.name for x in k.keys()]],
        "weakset": [len(ws), [x.name for x in ws]],
        "finalize": [fin_alive, fin.alive, fin_log],
        "proxy": [via_proxy, _error(lambda: proxy.name)],
        "weakmethod": [via_method, wm() is None],
        "not_weakrefable": _error(lambda: weakref.ref(1)),
    }


@section("fnmatch")
def _fnmatch():
    import fnmatch
    import re

    names = ["a.txt", "b.TXT", "c.py", "abc.txt", "x1.log", "[x].txt"]
    return {
        "fnmatch": [fnmatch.fnmatch("foo.py", "*.py"), fnmatch.fnmatch("foo.py", "f??.py"),
                    fnmatch.fnmatch("foo.py", "[!f]*"), fnmatch.fnmatch("a/b.py", "*.py")],
        "fnmatchcase": [fnmatch.fnmatchcase("FOO.PY", "*.py"), fnmatch.fnmatchcase("foo.py", "*.py")],
        "filter": [fnmatch.filter(names, "[a-c]*.txt"), fnmatch.filter(names, "*.[tT][xX][tT]"),
                   fnmatch.filter(names, "?[0-9].*"), fnmatch.filter(names, "[[]x]*")],
        # translate()'s text changed (\Z became \z in 3.14); what it matches did not.
        "translate_matches": [bool(re.match(fnmatch.translate(p), s)) for p, s in
                              [("*.py", "x.py"), ("*.py", "x.pyc"), ("a*b*c", "aXbYc"), ("[!ab]?", "cd"),
                               ("*", "line\nbreak")]],
    }


@section("shlex")
def _shlex():
    import shlex

    lex = shlex.shlex("a=b&&c|d; (e)", punctuation_chars=True)
    return {
        "split": [shlex.split('ls -l "my file.txt" \'x y\' a\\ b # comment', comments=True),
                  shlex.split('echo "nested \\"quote\\"" \'single\''), shlex.split("a 'b c'", posix=False)],
        "quote": [shlex.quote("it's here"), shlex.quote("safe-name_1.txt"), shlex.quote(""), shlex.quote("$HOME")],
        "join": shlex.join(["echo", "a b", "c'd", "plain"]),
        "punctuation": list(lex),
        "raises": _error(lambda: shlex.split('unterminated "quote')),
    }


@section("ipaddress")
def _ipaddress():
    import ipaddress as ip

    net = ip.ip_network("192.168.1.0/28")
    a = ip.ip_address("10.1.2.3")
    v6 = ip.ip_address("2001:db8::1")
    iface = ip.ip_interface("192.168.0.5/24")
    return {
        "network": [[str(h) for h in net.hosts()][:3], net.num_addresses, str(net.broadcast_address), str(net.netmask),
                    str(net.hostmask), net.prefixlen, [str(s) for s in net.subnets(prefixlen_diff=2)],
                    str(net.supernet(new_prefix=24)), ip.ip_address("192.168.1.5") in net,
                    net.overlaps(ip.ip_network("192.168.1.8/29")), str(net.with_netmask), str(net.with_hostmask)],
        "strict": [str(ip.ip_network("10.0.0.1/24", strict=False)), _error(lambda: ip.ip_network("10.0.0.1/24"))],
        "address": [int(a), str(a + 5), str(a - 4), a.reverse_pointer, a.version, a.packed.hex(),
                    str(ip.ip_address(3232235777)), str(ip.IPv4Address(b"\x7f\x00\x00\x01"))],
        "flags": [a.is_private, ip.ip_address("8.8.8.8").is_global, ip.ip_address("127.0.0.1").is_loopback,
                  ip.ip_address("224.0.0.1").is_multicast, ip.ip_address("169.254.1.1").is_link_local,
                  ip.ip_address("192.168.0.1").is_private, ip.ip_address("0.0.0.0").is_unspecified],
        "ipv6": [v6.exploded, v6.compressed, str(ip.ip_address("::ffff:192.0.2.1").ipv4_mapped),
                 [str(h) for h in ip.ip_network("2001:db8::/126").hosts()], v6.version,
                 str(ip.ip_network("2001:db8::/32").supernet()), ip.ip_address("::1").is_loopback,
                 str(ip.IPv6Address(1)), ip.ip_address("fe80::1").is_link_local],
        "interface": [str(iface.network), str(iface.ip), iface.with_netmask, iface.with_prefixlen],
        "collapse": [str(n) for n in ip.collapse_addresses([ip.ip_network("192.0.2.0/25"), ip.ip_network("192.0.2.128/25"),
                                                            ip.ip_network("192.0.3.0/24")])],
        "summarize": [str(n) for n in ip.summarize_address_range(ip.IPv4Address("192.0.2.0"), ip.IPv4Address("192.0.2.130"))],
        "exclude": [str(n) for n in ip.ip_network("10.0.0.0/29").address_exclude(ip.ip_network("10.0.0.4/31"))],
        "sorting": [str(x) for x in sorted([ip.ip_address("10.0.0.10"), ip.ip_address("10.0.0.2"), ip.ip_address("9.255.0.1")])],
        "errors": [_error(lambda: ip.ip_address("300.1.1.1")), _error(lambda: ip.ip_address("1::2::3"))],
    }


@section("keyword")
def _keyword():
    import keyword

    words = ["if", "match", "case", "async", "await", "print", "True", "None", "_", "lambda", "nonlocal"]
    return {
        "iskeyword": [keyword.iskeyword(w) for w in words],
        "issoftkeyword": [keyword.issoftkeyword(w) for w in ["match", "case", "_", "if", "print"]],
        "kwlist": keyword.kwlist,
    }


@section("graphlib")
def _graphlib():
    from graphlib import CycleError, TopologicalSorter

    graph = {"d": ("b", "c"), "b": ("a",), "c": ("a",), "e": ("d", "a")}
    order = list(TopologicalSorter(graph).static_order())
    ts = TopologicalSorter()
    ts.add("deploy", "test", "build")
    ts.add("test", "build")
    ts.add("build", "fetch")
    ts.prepare()
    batches = []
    while ts.is_active():
        ready = sorted(ts.get_ready())
        batches.append(ready)
        ts.done(*ready)
    try:
        TopologicalSorter({"x": ("y",), "y": ("z",), "z": ("x",)}).prepare()
        cycle = None
    except CycleError as e:
        cycle = [type(e).__name__, sorted(e.args[1]), len(e.args[1])]
    return {"static_order": order, "batches": batches, "cycle": cycle}


@section("colorsys")
def _colorsys():
    import colorsys

    # Dyadic inputs: rgb_to_hls's saturation formula was rearranged in 3.13
    # (gh-106498), which only moves results that are not exact in binary.
    return {
        "rgb_to_hsv": [colorsys.rgb_to_hsv(0.25, 0.5, 0.5), colorsys.rgb_to_hsv(1.0, 0.0, 0.0), colorsys.rgb_to_hsv(0.5, 0.5, 0.5)],
        "hsv_to_rgb": [colorsys.hsv_to_rgb(0.5, 0.5, 0.5), colorsys.hsv_to_rgb(0.75, 1.0, 1.0), colorsys.hsv_to_rgb(0.125, 0.5, 1.0)],
        "rgb_to_hls": [colorsys.rgb_to_hls(1.0, 0.75, 0.5), colorsys.rgb_to_hls(0.25, 0.5, 0.25), colorsys.rgb_to_hls(0.0, 0.0, 0.0)],
        "hls_to_rgb": [colorsys.hls_to_rgb(0.5, 0.5, 0.5), colorsys.hls_to_rgb(0.25, 0.75, 0.5)],
        "yiq": [colorsys.rgb_to_yiq(1.0, 0.5, 0.25), colorsys.yiq_to_rgb(0.5, 0.25, 0.125)],
    }


def execute(action, params):
    if action != "tour":
        raise ValueError(f"unknown action {action!r}")
    only = (params or {}).get("only")
    out = {}
    for name, fn in _SECTIONS.items():
        if only and name not in only:
            continue
        try:
            out[name] = _norm(fn())
        except Exception as e:
            out[name] = {"error": f"{type(e).__name__}: {e}"}
    return out
