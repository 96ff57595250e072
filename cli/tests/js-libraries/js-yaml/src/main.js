// js-yaml: YAML 1.2 loading (one and many documents, schemas), dumping with
// options, and the parse errors it reports.
import yaml from "js-yaml";

// Dates become ISO strings so results are plain JSON on both engines.
function plain(value) {
  return JSON.parse(JSON.stringify(value === undefined ? null : value));
}

const schemas = { core: yaml.CORE_SCHEMA, json: yaml.JSON_SCHEMA, failsafe: yaml.FAILSAFE_SCHEMA };

const actions = {
  load({ documents, schema }) {
    const options = schema ? { schema: schemas[schema] } : {};
    return documents.map((doc) => {
      try {
        return { value: plain(yaml.load(doc, options)) };
      } catch (e) {
        return { error: e.name, reason: e.reason, mark: e.mark && [e.mark.line, e.mark.column], message: e.message };
      }
    });
  },
  load_all({ stream }) {
    return plain(yaml.loadAll(stream));
  },
  dump({ values, options }) {
    return values.map((v) => yaml.dump(v, options));
  },
  round_trip({ documents }) {
    return documents.map((doc) => yaml.dump(yaml.load(doc), { sortKeys: true }));
  },
};

export function execute(action, params) {
  const run = actions[action];
  if (!run) throw new Error(`unknown action ${action}`);
  return run(params);
}
