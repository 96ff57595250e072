"""Jinja2 (with MarkupSafe's pure-Python escaping), vendored unchanged:
rendering, inheritance and includes from a DictLoader, autoescaping, macros,
custom filters and tests, the sandbox, template introspection and errors.
"""

import jinja2
import markupsafe
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment


def _environment(params, loader=None):
    env = jinja2.Environment(
        loader=loader,
        autoescape=params.get("autoescape", False),
        trim_blocks=params.get("trim_blocks", False),
        lstrip_blocks=params.get("lstrip_blocks", False),
        undefined=jinja2.StrictUndefined if params.get("strict") else jinja2.Undefined,
        keep_trailing_newline=True,
    )
    env.filters["shout"] = lambda s, mark="!": str(s).upper() + mark
    env.tests["even_length"] = lambda s: len(s) % 2 == 0
    env.globals["site"] = "Morph"
    return env


def render(params):
    env = _environment(params)
    template = env.from_string(params["template"])
    return {"output": template.render(**params.get("context", {}))}


def render_loader(params):
    env = _environment(params, jinja2.DictLoader(params["templates"]))
    template = env.get_template(params["name"])
    module = template.make_module(params.get("context", {}))
    return {
        "output": template.render(**params.get("context", {})),
        "blocks": sorted(template.blocks),
        "exported": sorted(n for n in dir(module) if not n.startswith("_")),
        "listed": env.list_templates(),
    }


def inspect(params):
    env = _environment(params)
    out = {}
    for name, source in sorted(params["templates"].items()):
        ast = env.parse(source)
        out[name] = {
            "undeclared": sorted(meta.find_undeclared_variables(ast)),
            "references": sorted(r for r in meta.find_referenced_templates(ast) if r is not None),
            "tokens": [[lineno, kind, value] for lineno, kind, value in env.lex(source)][:40],
        }
    return out


def errors(params):
    env = _environment(params, jinja2.DictLoader(params.get("templates", {})))
    out = []
    for source in params["sources"]:
        try:
            out.append({"output": env.from_string(source).render(**params.get("context", {}))})
        except jinja2.TemplateSyntaxError as e:
            out.append({"error": type(e).__name__, "message": e.message, "lineno": e.lineno})
        except jinja2.TemplateError as e:
            out.append({"error": type(e).__name__, "message": str(e)})
        except (TypeError, ValueError, ZeroDivisionError, KeyError) as e:
            out.append({"error": type(e).__name__, "message": str(e)})
    return out


def sandbox(params):
    env = SandboxedEnvironment()
    out = []
    for source in params["sources"]:
        try:
            out.append({"output": env.from_string(source).render(**params.get("context", {}))})
        except jinja2.exceptions.SecurityError as e:
            out.append({"error": type(e).__name__, "message": str(e)})
        except jinja2.TemplateError as e:
            out.append({"error": type(e).__name__, "message": str(e)})
    return out


def escape(params):
    out = []
    for text in params["texts"]:
        escaped = markupsafe.escape(text)
        out.append(
            {
                "escaped": str(escaped),
                "type": type(escaped).__name__,
                "unescaped": escaped.unescape(),
                "striptags": markupsafe.Markup(text).striptags(),
                "format": str(markupsafe.Markup("<em>{}</em> %s").format(text) % text),
                "join": str(markupsafe.Markup("<br>").join([text, markupsafe.Markup("<b>ok</b>")])),
            }
        )
    return out


ACTIONS = {
    "render": render,
    "render_loader": render_loader,
    "inspect": inspect,
    "errors": errors,
    "sandbox": sandbox,
    "escape": escape,
}


async def _run(action, params):
    return ACTIONS[action](params)


async def execute(action, params):
    """An `async def` entry point (Morph awaits it inside the call's
    deadline): a vendored package, in subdirectories, behind an async entry."""
    return await _run(action, params)
