// uuid: name-based UUIDs (v3, v5), validation, parsing and stringifying, all
// deterministic; random ones (v4, v1) only checked by their shape.
import { v1, v3, v4, v5, NIL, parse, stringify, validate, version } from "uuid";

const actions = {
  named({ names, namespaces }) {
    return namespaces.map((ns) =>
      names.map((name) => ({ v3: v3(name, ns), v5: v5(name, ns) })),
    );
  },
  bytes({ names }) {
    // Byte arrays as names, and UUIDs written into a buffer at an offset.
    const ns = v5.DNS;
    return names.map((name) => {
      const bytes = Array.from(utf8(name));
      const buffer = new Array(20).fill(0);
      v5(bytes, ns, buffer, 2);
      return { v5: v5(bytes, ns), v3: v3(bytes, v3.URL), buffer };
    });
  },
  check({ values }) {
    return values.map((value) => {
      const valid = validate(value);
      return {
        valid,
        version: valid ? version(value) : null,
        parsed: valid ? Array.from(parse(value)) : null,
        again: valid ? stringify(parse(value)) : null,
      };
    });
  },
  constants() {
    return {
      nil: NIL, dns: v5.DNS, url: v5.URL, v3url: v3.URL, nilValid: validate(NIL),
      // v4 from given random bytes: deterministic.
      seeded: v4({ random: Array.from({ length: 16 }, (_, i) => i * 17) }),
    };
  },
  random({ count }) {
    const shape = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const made = Array.from({ length: count }, () => v4());
    return {
      v4Shape: made.every((u) => shape.test(u) && version(u) === 4),
      distinct: new Set(made).size === count,
      v1Version: version(v1()),
    };
  },
};

// UTF-8 bytes of a string without TextEncoder (a name may be any bytes).
function utf8(text) {
  return Array.from(encodeURIComponent(text).replace(/%([0-9A-F]{2})|./g, (m, hex) => String.fromCharCode(hex ? parseInt(hex, 16) : m.charCodeAt(0))), (c) => c.charCodeAt(0));
}

export function execute(action, params) {
  const run = actions[action];
  if (!run) throw new Error(`unknown action ${action}`);
  return run(params);
}
