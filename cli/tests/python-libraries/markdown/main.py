"""Python-Markdown, vendored unchanged: Markdown to HTML with the core
syntax and the bundled extensions, loaded by dotted name (as the
documentation for a vendored copy says) or passed as instances.
"""

import markdown
from markdown.extensions.abbr import AbbrExtension
from markdown.extensions.admonition import AdmonitionExtension
from markdown.extensions.attr_list import AttrListExtension
from markdown.extensions.def_list import DefListExtension
from markdown.extensions.fenced_code import FencedCodeExtension
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.meta import MetaExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.smarty import SmartyExtension
from markdown.extensions.tables import TableExtension
from markdown.extensions.toc import TocExtension
from markdown.extensions.wikilinks import WikiLinkExtension

INSTANCES = {
    "abbr": AbbrExtension,
    "admonition": AdmonitionExtension,
    "attr_list": AttrListExtension,
    "def_list": DefListExtension,
    "fenced_code": FencedCodeExtension,
    "footnotes": FootnoteExtension,
    "meta": MetaExtension,
    "sane_lists": SaneListExtension,
    "smarty": SmartyExtension,
    "tables": TableExtension,
    "toc": TocExtension,
    "wikilinks": WikiLinkExtension,
}


def convert(params):
    """Extensions by dotted name, through Markdown's own loader."""
    html = markdown.markdown(
        params["text"],
        extensions=params.get("extensions", []),
        extension_configs=params.get("configs", {}),
        output_format=params.get("output_format", "xhtml"),
    )
    return {"html": html}


def convert_instances(params):
    """Extensions built here from their classes; several documents through one
    Markdown instance, reset between them."""
    configs = params.get("configs", {})
    extensions = [INSTANCES[name](**configs.get(name, {})) for name in params.get("extensions", [])]
    md = markdown.Markdown(extensions=extensions, output_format=params.get("output_format", "xhtml"))
    out = []
    for text in params["texts"]:
        html = md.reset().convert(text)
        doc = {"html": html}
        if hasattr(md, "toc_tokens"):
            doc["toc"] = md.toc
            doc["toc_tokens"] = md.toc_tokens
        if hasattr(md, "Meta"):
            doc["meta"] = md.Meta
        out.append(doc)
    return out


ACTIONS = {"convert": convert, "convert_instances": convert_instances}


def execute(action, params):
    return ACTIONS[action](params)
