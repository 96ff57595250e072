// Handlebars: templates compiled to functions (with `new Function`), block
// helpers, custom helpers and partials, escaping, and precompiled source.
import Handlebars from "handlebars";

function environment(partials) {
  const hb = Handlebars.create();
  hb.registerHelper("upper", (s) => String(s).toUpperCase());
  hb.registerHelper("join", (list, sep) => list.join(typeof sep === "string" ? sep : ", "));
  hb.registerHelper("eq", (a, b) => a === b);
  hb.registerHelper("link", (text, options) => {
    const url = hb.escapeExpression(options.hash.href);
    return new hb.SafeString(`<a href="${url}">${hb.escapeExpression(text)}</a>`);
  });
  hb.registerHelper("repeat", function (n, options) {
    let out = "";
    for (let i = 0; i < n; i += 1) out += options.fn({ i, first: i === 0 });
    return out;
  });
  for (const [name, source] of Object.entries(partials)) hb.registerPartial(name, source);
  return hb;
}

const actions = {
  render({ templates, data, partials }) {
    const hb = environment(partials);
    return templates.map((t) => {
      try {
        return hb.compile(t)(data);
      } catch (e) {
        return `error: ${e.message}`;
      }
    });
  },
  strict({ template, data }) {
    const hb = environment({});
    try {
      return hb.compile(template, { strict: true })(data);
    } catch (e) {
      return `error: ${e.message}`;
    }
  },
  precompile({ template }) {
    const hb = environment({});
    const spec = hb.precompile(template);
    const fn = hb.template(new Function(`return ${spec}`)());
    return { length: spec.length > 100, rendered: fn({ name: "pre<compiled>" }) };
  },
  parse({ template }) {
    return Handlebars.parse(template).body.map((node) => node.type);
  },
};

export function execute(action, params) {
  const run = actions[action];
  if (!run) throw new Error(`unknown action ${action}`);
  return run(params);
}
