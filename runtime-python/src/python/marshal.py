"""marshal (Morph stand-in): CPython's marshal format, for data only.

Values made of None, booleans, numbers, strings, bytes, `...` and the
built-in containers go both ways in CPython's format (version 4; `loads`
also reads references and the older float forms). A code object is refused
in either direction: RustPython does not verify bytecode, so only code its
own compiler made may ever reach the interpreter. (Written in Python so that
no native unmarshaller is reachable from guest code.)
"""

import struct as _struct

version = 4

_CodeType = type((lambda: None).__code__)
_FLAG_REF = 0x80
_MAX_DEPTH = 2000


def _refused():
    return PermissionError("morph sandbox: marshal does not carry code objects")


class _Writer:
    def __init__(self):
        self.out = bytearray()
        self.depth = 0

    def w_long(self, n):
        self.out += _struct.pack("<i", n)

    def w_size(self, n):
        if n > 0x7FFFFFFF:
            raise ValueError("unmarshallable object: too large")
        self.w_long(n)

    def dump(self, v):
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise ValueError("object too deeply nested to marshal")
        t = type(v)
        out = self.out
        if v is None:
            out += b"N"
        elif v is True:
            out += b"T"
        elif v is False:
            out += b"F"
        elif v is Ellipsis:
            out += b"."
        elif v is StopIteration:
            out += b"S"
        elif t is int:
            if -(2 ** 31) <= v < 2 ** 31:
                out += b"i"
                self.w_long(v)
            else:
                digits = []
                a = abs(v)
                while a:
                    digits.append(a & 0x7FFF)
                    a >>= 15
                out += b"l"
                self.w_long(len(digits) if v > 0 else -len(digits))
                for d in digits:
                    out += _struct.pack("<H", d)
        elif t is float:
            out += b"g" + _struct.pack("<d", v)
        elif t is complex:
            out += b"y" + _struct.pack("<dd", v.real, v.imag)
        elif t is str:
            data = v.encode("utf-8", "surrogatepass")
            out += b"u"
            self.w_size(len(data))
            out += data
        elif t in (bytes, bytearray, memoryview):
            data = bytes(v)
            out += b"s"
            self.w_size(len(data))
            out += data
        elif t is tuple:
            if len(v) < 256:
                out += b")" + bytes([len(v)])
            else:
                out += b"("
                self.w_size(len(v))
            for x in v:
                self.dump(x)
        elif t is list:
            out += b"["
            self.w_size(len(v))
            for x in v:
                self.dump(x)
        elif t is dict:
            out += b"{"
            for k, x in v.items():
                self.dump(k)
                self.dump(x)
            out += b"0"
        elif t in (set, frozenset):
            out += b"<" if t is set else b">"
            self.w_size(len(v))
            for x in v:
                self.dump(x)
        elif t is _CodeType:
            raise _refused()
        else:
            raise ValueError("unmarshallable object")
        self.depth -= 1


class _Reader:
    def __init__(self, data):
        self.data = memoryview(bytes(data))
        self.pos = 0
        self.refs = []
        self.depth = 0

    def take(self, n):
        if n < 0 or self.pos + n > len(self.data):
            raise EOFError("marshal data too short")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def r_long(self):
        return _struct.unpack("<i", self.take(4))[0]

    def r_size(self):
        n = self.r_long()
        if n < 0:
            raise ValueError("bad marshal data (size out of range)")
        return n

    def load(self):
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise ValueError("bad marshal data (too deeply nested)")
        code = self.take(1)[0]
        flag = code & _FLAG_REF
        kind = chr(code & ~_FLAG_REF)
        slot = None
        if flag:
            slot = len(self.refs)
            self.refs.append(None)
        value = self._load(kind, slot)
        if slot is not None:
            self.refs[slot] = value
        self.depth -= 1
        return value

    def _load(self, kind, slot):
        if kind == "N":
            return None
        if kind == "T":
            return True
        if kind == "F":
            return False
        if kind == ".":
            return Ellipsis
        if kind == "S":
            return StopIteration
        if kind == "i":
            return self.r_long()
        if kind == "l":
            n = self.r_long()
            value = 0
            for i in range(abs(n)):
                digit = _struct.unpack("<H", self.take(2))[0]
                if digit > 0x7FFF:
                    raise ValueError("bad marshal data (digit out of range in long)")
                value |= digit << (15 * i)
            return -value if n < 0 else value
        if kind == "g":
            return _struct.unpack("<d", self.take(8))[0]
        if kind == "y":
            re, im = _struct.unpack("<dd", self.take(16))
            return complex(re, im)
        if kind == "f":
            return float(bytes(self.take(self.take(1)[0])).decode("ascii"))
        if kind == "x":
            re = float(bytes(self.take(self.take(1)[0])).decode("ascii"))
            im = float(bytes(self.take(self.take(1)[0])).decode("ascii"))
            return complex(re, im)
        if kind == "s":
            return bytes(self.take(self.r_size()))
        if kind in "ut":
            return str(bytes(self.take(self.r_size())), "utf-8", "surrogatepass")
        if kind in "aA":
            return str(bytes(self.take(self.r_size())), "latin-1")
        if kind in "zZ":
            return str(bytes(self.take(self.take(1)[0])), "latin-1")
        if kind in ")([<>":
            n = self.take(1)[0] if kind == ")" else self.r_size()
            if kind == "[":
                value = []
                if slot is not None:
                    self.refs[slot] = value
                for _ in range(n):
                    value.append(self.load())
                return value
            items = [self.load() for _ in range(n)]
            if kind == "<":
                return set(items)
            if kind == ">":
                return frozenset(items)
            return tuple(items)
        if kind == "{":
            value = {}
            if slot is not None:
                self.refs[slot] = value
            while True:
                if self.pos < len(self.data) and self.data[self.pos] == ord("0"):
                    self.pos += 1
                    return value
                key = self.load()
                value[key] = self.load()
        if kind == "r":
            index = self.r_long()
            if not 0 <= index < len(self.refs) or self.refs[index] is None:
                raise ValueError("bad marshal data (invalid reference)")
            return self.refs[index]
        if kind == "c":
            raise _refused()
        raise ValueError("bad marshal data (unknown type code)")


def dumps(value, version=version, /, *, allow_code=True):
    writer = _Writer()
    writer.dump(value)
    return bytes(writer.out)


def loads(data, /, *, allow_code=True):
    return _Reader(data).load()


def dump(value, file, version=version, /, *, allow_code=True):
    file.write(dumps(value, version))


def load(file, /, *, allow_code=True):
    return loads(file.read())
