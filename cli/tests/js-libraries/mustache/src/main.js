// Mustache: logic-less templates with sections, inverted sections, partials,
// lambdas, escaping and custom delimiters, and the parse tree.
import Mustache from "mustache";

const actions = {
  render({ templates, view, partials }) {
    const withLambdas = {
      ...view,
      bold: () => (text, render) => `<b>${render(text)}</b>`,
      total: function () {
        return this.items ? this.items.length : 0;
      },
    };
    return templates.map((t) => {
      try {
        return Mustache.render(t, withLambdas, partials);
      } catch (e) {
        return `error: ${e.message}`;
      }
    });
  },
  parse({ template }) {
    return Mustache.parse(template);
  },
};

export function execute(action, params) {
  const run = actions[action];
  if (!run) throw new Error(`unknown action ${action}`);
  return run(params);
}
