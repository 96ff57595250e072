// qs: nested query strings parsed and stringified, with its options.
import qs from "qs";

const actions = {
  parse({ queries, options }) {
    return queries.map((q) => qs.parse(q, options));
  },
  stringify({ values, options }) {
    return values.map((v) => qs.stringify(v, options));
  },
  round_trip({ values }) {
    return values.map((v) => qs.parse(qs.stringify(v)));
  },
};

export function execute(action, params) {
  const run = actions[action];
  if (!run) throw new Error(`unknown action ${action}`);
  return run(params);
}
