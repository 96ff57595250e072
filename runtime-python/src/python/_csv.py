"""_csv (Morph): CSV parsing and writing as CPython's `_csv` module does it,
in Python.

RustPython 0.5's native `_csv` splits quoted fields that hold a newline,
ignores a registered dialect's line terminator, does not escape with
QUOTE_NONE, strips spaces inside quotes and is never strict; this module
follows CPython's state machine instead, so `csv` reads and writes what
CPython reads and writes.
"""

__version__ = "1.0"

QUOTE_MINIMAL, QUOTE_ALL, QUOTE_NONNUMERIC, QUOTE_NONE, QUOTE_STRINGS, QUOTE_NOTNULL = range(6)

_field_limit = 128 * 1024
_dialects = {}


class Error(Exception):
    pass


def _char(name, value, allow_none):
    if value is None and allow_none:
        return None
    if isinstance(value, str) and len(value) == 1:
        return value
    if allow_none:
        raise TypeError('"%s" must be a 1-character string or None' % name)
    raise TypeError('"%s" must be a 1-character string' % name)


_ATTRIBUTES = ("delimiter", "doublequote", "escapechar", "lineterminator", "quotechar",
               "quoting", "skipinitialspace", "strict")


class Dialect:
    """CSV dialect: the parameters of a reader or writer (read-only)."""

    __slots__ = tuple("_" + a for a in _ATTRIBUTES)

    def __new__(cls, dialect=None, **kwargs):
        for key in kwargs:
            if key not in _ATTRIBUTES:
                raise TypeError("'%s' is an invalid keyword argument for Dialect()" % key)
        if dialect is not None:
            if isinstance(dialect, str):
                dialect = get_dialect(dialect)
            if type(dialect) is Dialect and not kwargs:
                return dialect

        def pick(name, default):
            if name in kwargs:
                return kwargs[name]
            if dialect is not None and hasattr(dialect, name):
                return getattr(dialect, name)
            return default

        self = object.__new__(cls)
        quoting = pick("quoting", QUOTE_MINIMAL)
        if not isinstance(quoting, int):
            raise TypeError('"quoting" must be an integer')
        if quoting not in range(6):
            raise TypeError('bad "quoting" value')
        delimiter = _char("delimiter", pick("delimiter", ","), False)
        quotechar = _char("quotechar", pick("quotechar", '"'), True)
        escapechar = _char("escapechar", pick("escapechar", None), True)
        lineterminator = pick("lineterminator", "\r\n")
        if not isinstance(lineterminator, str):
            raise TypeError('"lineterminator" must be a string')
        if quotechar is None and quoting != QUOTE_NONE:
            raise TypeError("quotechar must be set if quoting enabled")
        object.__setattr__(self, "_delimiter", delimiter)
        object.__setattr__(self, "_doublequote", bool(pick("doublequote", True)))
        object.__setattr__(self, "_escapechar", escapechar)
        object.__setattr__(self, "_lineterminator", lineterminator)
        object.__setattr__(self, "_quotechar", quotechar)
        object.__setattr__(self, "_quoting", quoting)
        object.__setattr__(self, "_skipinitialspace", bool(pick("skipinitialspace", False)))
        object.__setattr__(self, "_strict", bool(pick("strict", False)))
        return self

    def __setattr__(self, name, value):
        raise AttributeError("attribute '%s' of '_csv.Dialect' objects is not writable" % name)

    def __reduce_ex__(self, protocol):
        raise TypeError("cannot pickle '_csv.Dialect' instances")


for _name in _ATTRIBUTES:
    setattr(Dialect, _name, property(lambda self, _n="_" + _name: object.__getattribute__(self, _n)))
del _name


def register_dialect(name, dialect=None, **kwargs):
    if not isinstance(name, str):
        raise TypeError("dialect name must be a string")
    _dialects[name] = Dialect(dialect, **kwargs)


def unregister_dialect(name):
    if name not in _dialects:
        raise Error("unknown dialect")
    del _dialects[name]


def get_dialect(name):
    try:
        return _dialects[name]
    except (KeyError, TypeError):
        raise Error("unknown dialect") from None


def list_dialects():
    return list(_dialects)


def field_size_limit(*args):
    global _field_limit
    if len(args) > 1:
        raise TypeError("field_size_limit expected at most 1 argument, got %d" % len(args))
    old = _field_limit
    if args:
        if not isinstance(args[0], int):
            raise TypeError("limit must be an integer")
        _field_limit = args[0]
    return old


(_START_RECORD, _START_FIELD, _ESCAPED_CHAR, _IN_FIELD, _IN_QUOTED_FIELD,
 _ESCAPE_IN_QUOTED_FIELD, _QUOTE_IN_QUOTED_FIELD, _EAT_CRNL, _AFTER_ESCAPED_CRNL) = range(9)
_EOL = None


class Reader:
    """CSV reader: iterates over the records of `iterable`."""

    def __init__(self, iterable, dialect="excel", **kwargs):
        self._input = iter(iterable)
        self.dialect = Dialect(dialect, **kwargs)
        self.line_num = 0
        self._fields = None
        self._field = []
        self._state = _START_RECORD
        self._numeric = False
        self._unquoted = False

    def __iter__(self):
        return self

    def _reset(self):
        self._fields = []
        self._field = []
        self._state = _START_RECORD
        self._numeric = False
        self._unquoted = True

    def _save_field(self):
        field = "".join(self._field)
        self._field = []
        quoting = self.dialect.quoting
        if self._unquoted and field == "" and quoting in (QUOTE_NOTNULL, QUOTE_STRINGS):
            value = None
        elif self._numeric:
            value = float(field)
        else:
            value = field
        self._numeric = False
        self._unquoted = True
        self._fields.append(value)

    def _add_char(self, c):
        if len(self._field) >= _field_limit:
            raise Error("field larger than field limit (%d)" % _field_limit)
        self._field.append(c)

    def _process(self, c):
        d = self.dialect
        state = self._state
        if state == _START_RECORD:
            if c is _EOL:
                return
            if c in ("\n", "\r"):
                self._state = _EAT_CRNL
                return
            state = self._state = _START_FIELD
        if state == _START_FIELD:
            if c is _EOL or c in ("\n", "\r"):
                self._save_field()
                self._state = _START_RECORD if c is _EOL else _EAT_CRNL
            elif c == d.quotechar and d.quoting != QUOTE_NONE:
                self._unquoted = False
                self._state = _IN_QUOTED_FIELD
            elif c == d.escapechar:
                self._state = _ESCAPED_CHAR
            elif c == " " and d.skipinitialspace:
                pass
            elif c == d.delimiter:
                self._save_field()
            else:
                if d.quoting in (QUOTE_NONNUMERIC, QUOTE_STRINGS):
                    self._numeric = True
                self._add_char(c)
                self._state = _IN_FIELD
        elif state == _ESCAPED_CHAR:
            if c in ("\n", "\r"):
                self._add_char(c)
                self._state = _AFTER_ESCAPED_CRNL
                return
            self._add_char("\n" if c is _EOL else c)
            self._state = _IN_FIELD
        elif state in (_AFTER_ESCAPED_CRNL, _IN_FIELD):
            if state == _AFTER_ESCAPED_CRNL and c is _EOL:
                return
            if c is _EOL or c in ("\n", "\r"):
                self._save_field()
                self._state = _START_RECORD if c is _EOL else _EAT_CRNL
            elif c == d.escapechar:
                self._state = _ESCAPED_CHAR
            elif c == d.delimiter:
                self._save_field()
                self._state = _START_FIELD
            else:
                self._add_char(c)
                self._state = _IN_FIELD
        elif state == _IN_QUOTED_FIELD:
            if c is _EOL:
                pass
            elif c == d.escapechar:
                self._state = _ESCAPE_IN_QUOTED_FIELD
            elif c == d.quotechar and d.quoting != QUOTE_NONE:
                self._state = _QUOTE_IN_QUOTED_FIELD if d.doublequote else _IN_FIELD
            else:
                self._add_char(c)
        elif state == _ESCAPE_IN_QUOTED_FIELD:
            self._add_char("\n" if c is _EOL else c)
            self._state = _IN_QUOTED_FIELD
        elif state == _QUOTE_IN_QUOTED_FIELD:
            if d.quoting != QUOTE_NONE and c == d.quotechar:
                self._add_char(c)
                self._state = _IN_QUOTED_FIELD
            elif c == d.delimiter:
                self._save_field()
                self._state = _START_FIELD
            elif c is _EOL or c in ("\n", "\r"):
                self._save_field()
                self._state = _START_RECORD if c is _EOL else _EAT_CRNL
            elif not d.strict:
                self._add_char(c)
                self._state = _IN_FIELD
            else:
                raise Error("'%s' expected after '%s'" % (d.delimiter, d.quotechar))
        elif state == _EAT_CRNL:
            if c in ("\n", "\r"):
                pass
            elif c is _EOL:
                self._state = _START_RECORD
            else:
                raise Error("new-line character seen in unquoted field - do you need "
                            "to open the file with newline=''?")

    def __next__(self):
        self._reset()
        while True:
            try:
                line = next(self._input)
            except StopIteration:
                if self._field or self._state == _IN_QUOTED_FIELD:
                    if self.dialect.strict:
                        raise Error("unexpected end of data") from None
                    self._save_field()
                    break
                raise
            self.line_num += 1
            if not isinstance(line, str):
                raise Error("iterator should return strings, not %.200s (the file should be "
                            "opened in text mode)" % type(line).__name__)
            for c in line:
                self._process(c)
            self._process(_EOL)
            if self._state == _START_RECORD:
                break
        fields, self._fields = self._fields, None
        return fields


class Writer:
    """CSV writer: formats rows onto `fileobj.write`."""

    def __init__(self, fileobj, dialect="excel", **kwargs):
        write = getattr(fileobj, "write", None)
        if write is None or not callable(write):
            raise TypeError('argument 1 must have a "write" method')
        self._write = write
        self.dialect = Dialect(dialect, **kwargs)

    def _field(self, value):
        d = self.dialect
        quoting = d.quoting
        if quoting == QUOTE_NONNUMERIC:
            quoted = not isinstance(value, (int, float, complex))
        elif quoting == QUOTE_ALL:
            quoted = True
        elif quoting == QUOTE_STRINGS:
            quoted = isinstance(value, str)
        elif quoting == QUOTE_NOTNULL:
            quoted = value is not None
        else:
            quoted = False
        if value is None:
            text = ""
        elif isinstance(value, str):
            text = value
        else:
            text = str(value)
        out = []
        special = set(d.lineterminator)
        for c in text:
            if c == d.delimiter or c == d.escapechar or c == d.quotechar or c in special:
                want_escape = False
                if quoting == QUOTE_NONE:
                    want_escape = True
                else:
                    if c == d.quotechar:
                        if d.doublequote:
                            out.append(d.quotechar)
                        else:
                            want_escape = True
                    elif c == d.escapechar:
                        want_escape = True
                    if not want_escape:
                        quoted = True
                if want_escape:
                    if d.escapechar is None:
                        raise Error("need to escape, but no escapechar set")
                    out.append(d.escapechar)
            out.append(c)
        body = "".join(out)
        if quoted:
            return "%s%s%s" % (d.quotechar, body, d.quotechar)
        return body

    def writerow(self, row):
        d = self.dialect
        try:
            fields = iter(row)
        except TypeError:
            raise Error("iterable expected, not %s" % type(row).__name__) from None
        parts = [self._field(value) for value in fields]
        if len(parts) == 1 and parts[0] == "":
            if d.quoting == QUOTE_NONE:
                raise Error("single empty field record must be quoted")
            parts = [d.quotechar * 2]
        return self._write(d.delimiter.join(parts) + d.lineterminator)

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def reader(csvfile, dialect="excel", **fmtparams):
    return Reader(csvfile, dialect, **fmtparams)


def writer(fileobj, dialect="excel", **fmtparams):
    return Writer(fileobj, dialect, **fmtparams)
