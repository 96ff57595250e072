// semver: parsing, comparing, ranges, increments and coercion of versions.
import semver from "semver";

const actions = {
  versions({ versions }) {
    return versions.map((v) => {
      const parsed = semver.parse(v);
      return {
        valid: semver.valid(v),
        clean: semver.clean(v),
        loose: semver.valid(v, { loose: true }),
        coerce: semver.coerce(v) && semver.coerce(v).version,
        parts: parsed && [parsed.major, parsed.minor, parsed.patch, parsed.prerelease, parsed.build],
        inc: parsed && ["major", "premajor", "minor", "preminor", "patch", "prepatch", "prerelease"].map((r) => semver.inc(v, r, "beta")),
      };
    });
  },
  compare({ versions }) {
    const valid = versions.filter((v) => semver.valid(v));
    return {
      sorted: semver.sort(valid.slice()),
      rsorted: semver.rsort(valid.slice()),
      pairs: valid.slice(1).map((v, i) => [semver.compare(valid[i], v), semver.diff(valid[i], v), semver.gt(valid[i], v)]),
      build: semver.compareBuild("1.0.0+b", "1.0.0+a"),
    };
  },
  ranges({ ranges, versions }) {
    return ranges.map((r) => ({
      valid: semver.validRange(r),
      satisfying: versions.filter((v) => semver.satisfies(v, r)),
      withPrerelease: versions.filter((v) => semver.satisfies(v, r, { includePrerelease: true })),
      max: semver.maxSatisfying(versions, r),
      min: semver.minSatisfying(versions, r),
      minVersion: semver.validRange(r) && semver.minVersion(r) && semver.minVersion(r).version,
      outside: semver.validRange(r) ? [semver.gtr("9.9.9", r), semver.ltr("0.0.1", r)] : null,
      intersects: semver.validRange(r) ? semver.intersects(r, ">=1.2.0 <2.0.0") : null,
    }));
  },
  errors({ inputs }) {
    return inputs.map((v) => {
      try {
        return new semver.SemVer(v).version;
      } catch (e) {
        return `${e.name}: ${e.message}`;
      }
    });
  },
};

export function execute(action, params) {
  const run = actions[action];
  if (!run) throw new Error(`unknown action ${action}`);
  return run(params);
}
