// lodash: collections, objects, strings and templates (`_.template` compiles
// with `new Function`), on the parameters given.
import _ from "lodash";

const actions = {
  collections({ users, numbers }) {
    return {
      groupBy: _.groupBy(users, "team"),
      sortBy: _.map(_.sortBy(users, ["age", "name"]), "name"),
      orderBy: _.map(_.orderBy(users, ["team", "age"], ["asc", "desc"]), "name"),
      countBy: _.countBy(users, (u) => (u.age >= 30 ? "30+" : "under 30")),
      keyBy: _.keyBy(users, "name"),
      partition: _.partition(users, "active").map((part) => _.map(part, "name")),
      uniqBy: _.uniqBy(users, "team").length,
      sumBy: _.sumBy(users, "age"),
      meanBy: _.meanBy(users, "age"),
      maxBy: _.maxBy(users, "age").name,
      find: _.find(users, { team: "b", active: true }),
      filter: _.filter(users, ["active", false]).length,
      chunk: _.chunk(numbers, 3),
      flattenDeep: _.flattenDeep([numbers, [[numbers.slice(0, 2)], [[[7]]]]]),
      zip: _.zip(numbers.slice(0, 3), ["a", "b", "c"]),
      intersection: _.intersection(numbers, [2, 3, 5, 7, 11]),
      difference: _.difference(numbers, [1, 2]),
      union: _.union(numbers, [100, 1]),
      shuffleFree: _.sortedUniq(_.sortBy(numbers.concat(numbers))),
      range: [_.range(5), _.range(0, 20, 5), _.range(10, 0, -3)],
      fromPairs: _.fromPairs(_.zip(["x", "y"], [1, 2])),
      takeWhile: _.takeWhile(numbers, (n) => n < 5),
      chain: _.chain(users).filter("active").map("age").sortBy().reverse().value(),
    };
  },
  objects({ base, extra, paths }) {
    const copy = _.cloneDeep(base);
    _.set(copy, "deep.list[3].name", "set");
    _.unset(copy, "deep.remove");
    return {
      merge: _.merge({}, base, extra),
      defaultsDeep: _.defaultsDeep({}, extra, base),
      get: paths.map((p) => _.get(base, p, "default")),
      has: paths.map((p) => _.has(base, p)),
      set: copy,
      unchanged: _.isEqual(base, _.cloneDeep(base)),
      changed: _.isEqual(base, copy),
      pick: _.pick(base, ["name", "deep.list"]),
      omit: _.omit(base, ["deep"]),
      mapValues: _.mapValues(extra, (v) => typeof v),
      invert: _.invert({ a: "x", b: "y", c: "x" }),
      toPairs: _.toPairs(_.pick(base, ["name", "count"])),
      keysSorted: _.sortBy(_.keys(_.merge({}, base, extra))),
      flatMap: _.flatMap([1, 2, 3], (n) => _.times(n, () => n)),
    };
  },
  strings({ words }) {
    const each = (f) => words.map((w) => f(w));
    return {
      camelCase: each(_.camelCase),
      kebabCase: each(_.kebabCase),
      snakeCase: each(_.snakeCase),
      startCase: each(_.startCase),
      upperFirst: each(_.upperFirst),
      capitalize: each(_.capitalize),
      deburr: each(_.deburr),
      escape: each(_.escape),
      unescapeEscaped: each((w) => _.unescape(_.escape(w))),
      words: each(_.words),
      pad: each((w) => _.pad(w, 24, "*")),
      truncate: each((w) => _.truncate(w, { length: 12, separator: " " })),
      trim: each((w) => _.trim(w, " -_")),
      repeat: _.repeat("ab", 3),
      escapeRegExp: _.escapeRegExp("[lodash](https://lodash.com/)"),
    };
  },
  template({ source, data }) {
    const compiled = _.template(source);
    const interpolate = _.template("hello {{ user }}!", { interpolate: /{{([\s\S]+?)}}/g });
    return { rendered: compiled(data), custom: interpolate({ user: "mustache" }) };
  },
};

export function execute(action, params) {
  const run = actions[action];
  if (!run) throw new Error(`unknown action ${action}`);
  return run(params);
}
