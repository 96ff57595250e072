// marked: Markdown to HTML (CommonMark and GFM), inline rendering, the
// lexer's tokens and a custom renderer.
import { marked } from "marked";

// Tokens hold plain data; `links` (a property of the token list) is kept.
function plain(tokens) {
  return JSON.parse(JSON.stringify({ tokens, links: tokens.links }));
}

const actions = {
  parse({ documents, options }) {
    return documents.map((doc) => marked.parse(doc, options));
  },
  inline({ texts }) {
    return texts.map((t) => marked.parseInline(t));
  },
  // `mangle: false`: marked mangles autolinked emails with Math.random().
  lex({ document, options }) {
    return plain(marked.lexer(document, { ...marked.defaults, ...options }));
  },
  renderer({ document }) {
    const renderer = new marked.Renderer();
    renderer.heading = (text, level, raw, slugger) =>
      `<h${level} id="${slugger.slug(raw)}">#${level} ${text}</h${level}>\n`;
    renderer.link = (href, title, text) => `[${text}](${href})`;
    return marked.parse(document, { renderer });
  },
};

export function execute(action, params) {
  const run = actions[action];
  if (!run) throw new Error(`unknown action ${action}`);
  return run(params);
}
