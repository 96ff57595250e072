"""mistune 3, vendored unchanged: Markdown to HTML with its plugins, to an
abstract syntax tree, back to Markdown and to reStructuredText, directives
and a table of contents.
"""

import mistune
from mistune.directives import Admonition, FencedDirective, TableOfContents
from mistune.renderers.markdown import MarkdownRenderer
from mistune.renderers.rst import RSTRenderer
from mistune.toc import add_toc_hook, render_toc_ul


def html(params):
    md = mistune.create_markdown(escape=params.get("escape", True), plugins=params.get("plugins", []))
    return {"html": md(params["text"]), "simple": mistune.html(params["text"])}


def ast(params):
    md = mistune.create_markdown(renderer=None, plugins=params.get("plugins", []))
    return {"tokens": md(params["text"])}


def rewrite(params):
    to_md = mistune.create_markdown(renderer=MarkdownRenderer(), plugins=params.get("plugins", []))
    to_rst = mistune.create_markdown(renderer=RSTRenderer(), plugins=params.get("plugins", []))
    return {"markdown": to_md(params["text"]), "rst": to_rst(params["text"])}


def toc(params):
    md = mistune.create_markdown(
        plugins=[FencedDirective([Admonition(), TableOfContents()])] + params.get("plugins", [])
    )
    add_toc_hook(md, min_level=1, max_level=3)
    out, state = md.parse(params["text"])
    items = state.env["toc_items"]
    return {"html": out, "toc_items": [list(i) for i in items], "toc_ul": render_toc_ul(items)}


ACTIONS = {"html": html, "ast": ast, "rewrite": rewrite, "toc": toc}


def execute(action, params):
    return ACTIONS[action](params)
