# Fuzz guest for the Python value converter: `echo` returns the host's
# value; `build` runs a program of [op, num, text] steps on a stack and
# returns what it built (values only Python has: big ints, sets, bytes,
# tuples as keys, subclasses, cycles, surrogates...).
# Keep OPS in the same order as PY_OPS in fuzz_targets/python_values.rs.


class SubDict(dict):
    def items(self):
        raise Exception("items ran")

    def keys(self):
        raise Exception("keys ran")


class SubList(list):
    def __iter__(self):
        raise Exception("iter ran")

    def __len__(self):
        raise Exception("len ran")


class SubStr(str):
    def __str__(self):
        raise Exception("str ran")

    def __hash__(self):
        raise Exception("hash ran")


class SubInt(int):
    def __index__(self):
        raise Exception("index ran")

    def __int__(self):
        raise Exception("int ran")


class SubFloat(float):
    def __float__(self):
        raise Exception("float ran")


class Thing:
    def __init__(self, v):
        self.v = v


def _pop(st):
    return st.pop() if st else None


def _arr(st, a, s):
    n = min(abs(a) % 16, len(st))
    items = st[len(st) - n:]
    del st[len(st) - n:]
    st.append(items)


def _deep(st, a, s, wrap):
    v = _pop(st)
    for _ in range(a & 0x3FF):
        v = wrap(v)
    st.append(v)


def _cycle(st, a, s):
    v = _pop(st)
    if isinstance(v, list):
        v.append(v)
    elif isinstance(v, dict):
        v["self"] = v
    st.append(v)


OPS = [
    ("num", lambda st, a, s: st.append(a)),
    ("str", lambda st, a, s: st.append(s)),
    ("bigint", lambda st, a, s: st.append(a * 10 ** (len(s) * 4))),
    ("pow2", lambda st, a, s: st.append((1 << (a & 127)) - (a >> 8 & 3))),
    ("negpow2", lambda st, a, s: st.append(-(1 << (a & 127)) + (a >> 8 & 3))),
    ("float", lambda st, a, s: st.append(float(s) if s else a / 7)),
    ("nan", lambda st, a, s: st.append(float("nan"))),
    ("inf", lambda st, a, s: st.append(float("-inf") if a < 0 else float("inf"))),
    ("negz", lambda st, a, s: st.append(-0.0)),
    ("bool", lambda st, a, s: st.append(a % 2 == 0)),
    ("none", lambda st, a, s: st.append(None)),
    ("bytes", lambda st, a, s: st.append(s.encode())),
    ("bytearray", lambda st, a, s: st.append(bytearray(s.encode()))),
    ("set", lambda st, a, s: st.append({a, s})),
    ("frozenset", lambda st, a, s: st.append(frozenset([a]))),
    ("complex", lambda st, a, s: st.append(complex(a, 1))),
    ("range", lambda st, a, s: st.append(range(a))),
    ("surrogate", lambda st, a, s: st.append(chr(0xD800 + (a & 0x7FF)) + s)),
    ("arr", _arr),
    ("tuple", lambda st, a, s: st.append((_pop(st), a))),
    ("dict", lambda st, a, s: st.append({s: _pop(st)})),
    ("intkey", lambda st, a, s: st.append({a: _pop(st)})),
    ("tuplekey", lambda st, a, s: st.append({(a, s): _pop(st)})),
    ("nonekey", lambda st, a, s: st.append({None: _pop(st)})),
    ("subdict", lambda st, a, s: st.append(SubDict({s: _pop(st)}))),
    ("sublist", lambda st, a, s: st.append(SubList([_pop(st)]))),
    ("substr", lambda st, a, s: st.append(SubStr(s))),
    ("substrkey", lambda st, a, s: st.append({SubStr(s): _pop(st)})),
    ("subint", lambda st, a, s: st.append(SubInt(a))),
    ("subfloat", lambda st, a, s: st.append(SubFloat(a))),
    ("object", lambda st, a, s: st.append(Thing(_pop(st)))),
    ("cls", lambda st, a, s: st.append(Thing)),
    ("fn", lambda st, a, s: st.append(_pop)),
    ("cycle", _cycle),
    ("shared", lambda st, a, s: st.append([_pop(st)] * 3)),
    ("deep", lambda st, a, s: _deep(st, a, s, lambda v: [v])),
    ("deepdict", lambda st, a, s: _deep(st, a, s, lambda v: {"k": v})),
    ("deeptuple", lambda st, a, s: _deep(st, a, s, lambda v: (v,))),
    ("repeat", lambda st, a, s: st.append(s * min(a & 0xFFFFF, 1 << 20))),
    ("dup", lambda st, a, s: st.extend([st[-1]] if st else [])),
    ("exception", lambda st, a, s: st.append(Exception(s))),
    ("gen", lambda st, a, s: st.append(x for x in range(3))),
]

_TABLE = dict(OPS)


def build(ops):
    st = []
    for op, a, s in ops:
        try:
            _TABLE[op](st, a, s)
        except Exception as e:
            st.append(str(e))
    return st[0] if len(st) == 1 else st


def execute(action, params):
    if action == "echo":
        return params.get("value")
    if action == "build":
        return build(params["ops"])
    raise Exception("unknown action " + action)
