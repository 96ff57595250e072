// ms: durations as text parsed to milliseconds and milliseconds formatted.
import ms from "ms";

const actions = {
  parse({ texts }) {
    // NaN (unparseable text) is shown as null, as JSON would.
    return texts.map((t) => {
      const n = ms(t);
      return Number.isNaN(n) ? null : n;
    });
  },
  format({ values }) {
    return values.map((v) => [ms(v), ms(v, { long: true })]);
  },
  errors({ values }) {
    return values.map((v) => {
      try {
        return ms(v);
      } catch (e) {
        return `error: ${e.message}`;
      }
    });
  },
};

export function execute(action, params) {
  const run = actions[action];
  if (!run) throw new Error(`unknown action ${action}`);
  return run(params);
}
