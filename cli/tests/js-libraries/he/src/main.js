// he: HTML entities encoded and decoded, with its options and strict mode.
import he from "he";

const actions = {
  encode({ texts, options }) {
    return texts.map((t) => he.encode(t, options));
  },
  decode({ texts, options }) {
    return texts.map((t) => {
      try {
        return he.decode(t, options);
      } catch (e) {
        return `error: ${e.message}`;
      }
    });
  },
  escape({ texts }) {
    return texts.map((t) => [he.escape(t), he.unescape(he.escape(t))]);
  },
};

export function execute(action, params) {
  const run = actions[action];
  if (!run) throw new Error(`unknown action ${action}`);
  return run(params);
}
