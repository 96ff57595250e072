"""attrs, vendored unchanged: classes from attrs.define / attr.s with
defaults, factories, validators, converters, frozen and slotted classes,
ordering, evolve, asdict/astuple, fields introspection and the errors they
raise.
"""

import attr
import attrs
from attrs import converters, validators


@attrs.define(order=True)
class Point:
    x: int = attrs.field(converter=int)
    y: int = attrs.field(default=0, converter=int)

    def norm1(self):
        return abs(self.x) + abs(self.y)


@attrs.frozen
class Money:
    amount: int = attrs.field(validator=[validators.instance_of(int), validators.ge(0)])
    currency: str = attrs.field(default="EUR", validator=validators.in_(["EUR", "USD", "GBP"]))


@attrs.define(kw_only=True)
class User:
    name: str = attrs.field(validator=validators.matches_re(r"[a-z][a-z0-9_]{2,15}"))
    email: str = attrs.field(converter=str.lower)
    tags: list = attrs.Factory(list)
    age: int | None = attrs.field(default=None, converter=converters.optional(int))
    points: list = attrs.field(factory=list, validator=validators.deep_iterable(validators.instance_of(Point)))
    _secret: str = attrs.field(default="", repr=False, alias="secret")


@attr.s(auto_attribs=True, slots=True, eq=True, hash=True)
class Legacy:
    a: int
    b: str = "b"
    c: tuple = attr.ib(factory=tuple)


@attrs.define
class Tree:
    label: str = attrs.field()
    children: list = attrs.field(factory=list)
    meta: dict = attrs.field(factory=dict)

    @label.validator
    def _label_check(self, attribute, value):
        if not value:
            raise ValueError(f"{attribute.name} must not be empty")

    def __attrs_post_init__(self):
        self.meta.setdefault("size", len(self.children))


def _error(fn):
    try:
        fn()
    except (TypeError, ValueError, attrs.exceptions.FrozenInstanceError) as e:
        message = str(e.args[0]) if e.args else ""
        # The entry module's own name is the host's choice, not attrs's.
        return {"error": type(e).__name__, "message": message.replace(__name__ + ".", "")}
    return {"error": None}


def basics(params):
    points = [Point(*p) for p in params["points"]]
    p = points[0]
    return {
        "reprs": [repr(q) for q in points],
        "sorted": [repr(q) for q in sorted(points)],
        "eq": points[0] == Point(str(points[0].x), points[0].y),
        "evolve": repr(attrs.evolve(p, y=p.y + 10)),
        "asdict": attrs.asdict(p),
        "astuple": list(attrs.astuple(p)),
        "norm1": [q.norm1() for q in points],
        "fields": [f.name for f in attrs.fields(Point)],
        "has": [attrs.has(Point), attrs.has(dict)],
        "slots": hasattr(Point, "__slots__"),
        "match_args": list(Point.__match_args__),
    }


def validation(params):
    user = User(
        name=params["name"],
        email=params["email"],
        age=params.get("age"),
        points=[Point(1, 2)],
        secret="s3cret",
    )
    fields = attrs.fields_dict(User)
    return {
        "repr": repr(user),
        "asdict": attrs.asdict(user),
        "asdict_filtered": attrs.asdict(user, filter=attrs.filters.exclude(fields["tags"], fields["_secret"])),
        "aliases": [f.alias for f in attrs.fields(User)],
        "money": repr(Money(5, "USD")),
        "money_hash_equal": hash(Money(5)) == hash(Money(5)),
        "errors": {
            "bad_name": _error(lambda: User(name="X!", email="a@b")),
            "negative": _error(lambda: Money(-1)),
            "not_int": _error(lambda: Money("5")),
            "currency": _error(lambda: Money(1, "JPY")),
            "frozen": _error(lambda: setattr(Money(1), "amount", 2)),
            "deep": _error(lambda: User(name="abc", email="x", points=[(1, 2)])),
            "missing": _error(lambda: Point()),
            "positional_kw_only": _error(lambda: User("abc", "x")),
            "empty_label": _error(lambda: Tree("")),
            "convert": _error(lambda: Point("one")),
        },
    }


def nested(params):
    def build(node):
        return Tree(node["label"], [build(c) for c in node.get("children", [])])

    tree = build(params["tree"])
    legacy = Legacy(1, c=(1, 2))
    return {
        "asdict": attrs.asdict(tree),
        "astuple": attrs.astuple(tree),
        "repr": repr(tree),
        "legacy": repr(legacy),
        "legacy_dict": attr.asdict(legacy),
        "legacy_hash_equal": hash(legacy) == hash(Legacy(1, c=(1, 2))),
        "legacy_slots": list(Legacy.__slots__),
        "recurse_false": sorted(attrs.asdict(tree, recurse=False)),
        "validate": _error(lambda: attrs.validate(Money(3))),
    }


ACTIONS = {"basics": basics, "validation": validation, "nested": nested}


def execute(action, params):
    return ACTIONS[action](params)
