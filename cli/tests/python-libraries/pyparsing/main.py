"""pyparsing, vendored unchanged: an arithmetic grammar built with
infix_notation and evaluated by parse actions, a JSON grammar, an INI-style
config grammar, scanning and transforming text, and parse errors.
"""

import fractions

import pyparsing as pp
from pyparsing import pyparsing_common as ppc


def _arith_grammar():
    integer = pp.Word(pp.nums).set_parse_action(lambda t: int(t[0]))
    variable = pp.Word(pp.alphas, pp.alphanums + "_")
    operand = integer | variable
    return pp.infix_notation(
        operand,
        [
            (pp.one_of("- +"), 1, pp.OpAssoc.RIGHT),
            ("^", 2, pp.OpAssoc.RIGHT),
            (pp.one_of("* /"), 2, pp.OpAssoc.LEFT),
            (pp.one_of("+ -"), 2, pp.OpAssoc.LEFT),
        ],
    )


def _evaluate(node, env):
    if isinstance(node, int):
        return fractions.Fraction(node)
    if isinstance(node, str):
        return fractions.Fraction(env[node])
    items = list(node)
    if len(items) == 2:
        sign, value = items
        value = _evaluate(value, env)
        return -value if sign == "-" else value
    if items[1] == "^":
        # right associative: a ^ b ^ c
        result = _evaluate(items[-1], env)
        for base in reversed(items[:-1:2]):
            result = _evaluate(base, env) ** int(result)
        return result
    result = _evaluate(items[0], env)
    for op, rhs in zip(items[1::2], items[2::2]):
        rhs = _evaluate(rhs, env)
        if op == "+":
            result += rhs
        elif op == "-":
            result -= rhs
        elif op == "*":
            result *= rhs
        else:
            result /= rhs
    return result


def arith(params):
    grammar = _arith_grammar()
    out = []
    for text in params["expressions"]:
        try:
            parsed = grammar.parse_string(text, parse_all=True)
            value = _evaluate(parsed[0], params.get("env", {}))
            out.append({"text": text, "tree": parsed.as_list(), "value": str(value)})
        except pp.ParseBaseException as e:
            out.append({"text": text, "error": type(e).__name__, "message": str(e), "col": e.col, "line": e.line})
    return out


def _json_grammar():
    LBRACK, RBRACK, LBRACE, RBRACE, COLON = map(pp.Suppress, "[]{}:")
    TRUE = pp.Keyword("true").set_parse_action(pp.replace_with(True))
    FALSE = pp.Keyword("false").set_parse_action(pp.replace_with(False))
    NULL = pp.Keyword("null").set_parse_action(pp.replace_with(None))
    string = pp.dbl_quoted_string().set_parse_action(pp.remove_quotes)
    number = ppc.number()
    value = pp.Forward()
    array = pp.Group(LBRACK + pp.Optional(pp.DelimitedList(value)) + RBRACK, aslist=True)
    member = pp.Group(string + COLON + value, aslist=True)
    obj = pp.Dict(LBRACE + pp.Optional(pp.DelimitedList(member)) + RBRACE, asdict=True)
    value <<= string | number | obj | array | TRUE | FALSE | NULL
    return value


def json_like(params):
    grammar = _json_grammar()
    out = []
    for text in params["documents"]:
        try:
            result = grammar.parse_string(text, parse_all=True)
            out.append({"value": result[0] if len(result) else None, "dump_lines": len(result.dump().splitlines())})
        except pp.ParseBaseException as e:
            out.append({"error": type(e).__name__, "message": str(e), "explain": e.explain(depth=0)})
    return out


def config(params):
    key = pp.Word(pp.alphas + "_", pp.alphanums + "_.")
    value = pp.rest_of_line.set_parse_action(lambda t: t[0].strip())
    comment = pp.one_of("; #") + pp.rest_of_line
    entry = pp.Group(key("key") + pp.Suppress("=") + value("value"))
    section_name = pp.Suppress("[") + pp.Word(pp.alphanums + "_-.")("name") + pp.Suppress("]")
    section = pp.Group(section_name + pp.Group(pp.ZeroOrMore(entry))("entries"))
    grammar = pp.ZeroOrMore(section).ignore(comment)
    result = grammar.parse_string(params["text"], parse_all=True)
    return {
        s["name"]: {e["key"]: e["value"] for e in s["entries"]}
        for s in result
    }


def scan(params):
    text = params["text"]
    ipv4 = ppc.ipv4_address
    date = ppc.iso8601_date.copy().set_parse_action(ppc.convert_to_date())
    words = pp.Word(pp.alphas)
    money = pp.Combine(pp.Literal("$") + pp.Word(pp.nums) + pp.Optional("." + pp.Word(pp.nums, exact=2)))
    quoted = pp.QuotedString('"', esc_char="\\")
    capitalise = words.copy().add_parse_action(lambda t: t[0].upper() if len(t[0]) > 6 else t[0])
    return {
        "ips": [[t[0], s, e] for t, s, e in ipv4.scan_string(text)],
        "dates": [t[0].isoformat() for t, _, _ in date.scan_string(text)],
        "money": money.search_string(text).as_list(),
        "quoted": [t[0] for t in quoted.search_string(text)],
        "transformed": capitalise.transform_string(text),
        "numbers": [repr(t[0]) for t in ppc.number.search_string(text)],
        "uuid": [t[0] for t in ppc.uuid.search_string(text)],
        "identifiers": ppc.identifier.search_string("a1 _b 9c d_e").as_list(),
    }


def errors(params):
    grammar = pp.Keyword("SELECT") + pp.DelimitedList(pp.Word(pp.alphas))("cols") + pp.Keyword("FROM") + pp.Word(pp.alphas)("table") + pp.Optional(pp.Keyword("WHERE") + pp.Word(pp.alphas) + "=" + pp.Word(pp.nums))
    out = []
    for text in params["queries"]:
        try:
            result = grammar.parse_string(text, parse_all=True)
            out.append({"cols": list(result["cols"]), "table": result["table"], "dump": result.dump()})
        except pp.ParseException as e:
            out.append(
                {
                    "message": str(e),
                    "marked": e.mark_input_line(),
                    "lineno": e.lineno,
                    "col": e.col,
                    "repr": repr(e),
                }
            )
    return out


ACTIONS = {
    "arith": arith,
    "json": json_like,
    "config": config,
    "scan": scan,
    "errors": errors,
}


def execute(action, params):
    return ACTIONS[action](params)
