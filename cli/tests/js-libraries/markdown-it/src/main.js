// markdown-it: CommonMark rendering, its presets and options (HTML,
// linkify, typographer), inline rendering and the token stream.
import MarkdownIt from "markdown-it";

const actions = {
  render({ documents, preset, options }) {
    const md = new MarkdownIt(preset, options);
    return documents.map((doc) => md.render(doc));
  },
  inline({ texts }) {
    const md = new MarkdownIt({ typographer: true });
    return texts.map((t) => md.renderInline(t));
  },
  tokens({ document }) {
    const md = new MarkdownIt();
    return md.parse(document, {}).map((t) => ({
      type: t.type,
      tag: t.tag,
      nesting: t.nesting,
      map: t.map,
      content: t.content,
      markup: t.markup,
      info: t.info,
      attrs: t.attrs,
      children: t.children ? t.children.map((c) => [c.type, c.content]) : null,
    }));
  },
};

export function execute(action, params) {
  const run = actions[action];
  if (!run) throw new Error(`unknown action ${action}`);
  return run(params);
}
