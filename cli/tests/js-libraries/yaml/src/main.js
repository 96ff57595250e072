// yaml (eemeli/yaml): parsing to values and to documents with their errors
// and warnings, multi-document streams, and stringifying with options.
import YAML from "yaml";

function plain(value) {
  return JSON.parse(JSON.stringify(value === undefined ? null : value));
}

const actions = {
  parse({ documents, options }) {
    return documents.map((doc) => {
      try {
        return { value: plain(YAML.parse(doc, options)) };
      } catch (e) {
        return { error: e.name, code: e.code, message: e.message };
      }
    });
  },
  documents({ stream }) {
    return YAML.parseAllDocuments(stream).map((d) => ({
      value: plain(d.toJS()),
      errors: d.errors.map((e) => [e.code, e.message]),
      warnings: d.warnings.map((e) => [e.code, e.message]),
      text: d.errors.length ? null : d.toString(),
      comment: d.commentBefore ?? null,
    }));
  },
  stringify({ values, options }) {
    return values.map((v) => YAML.stringify(v, options));
  },
  edit({ document, path, value }) {
    const doc = YAML.parseDocument(document);
    doc.setIn(path, value);
    doc.deleteIn(["remove"]);
    return { text: doc.toString(), has: doc.hasIn(path), value: plain(doc.toJS()) };
  },
};

export function execute(action, params) {
  const run = actions[action];
  if (!run) throw new Error(`unknown action ${action}`);
  return run(params);
}
