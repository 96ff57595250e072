// moment: parsing, formatting, arithmetic, durations and locales, in UTC and
// at fixed offsets (never the clock: every "now" is a parameter).
import moment from "moment";
import "moment/locale/fr";
import "moment/locale/de";
import "moment/locale/ja";

// Importing a locale makes it the global one: English stays the default.
moment.locale("en");

const actions = {
  format({ dates, formats }) {
    return dates.map((d) => formats.map((f) => moment.utc(d).format(f)));
  },
  parse({ inputs }) {
    return inputs.map(([text, format, strict]) => {
      const m = format === null ? moment.utc(text) : moment.utc(text, format, strict);
      return {
        valid: m.isValid(),
        iso: m.isValid() ? m.toISOString() : null,
        overflow: m.parsingFlags().overflow,
        unused: m.parsingFlags().unusedTokens,
      };
    });
  },
  offsets({ inputs }) {
    return inputs.map((text) => {
      const m = moment.parseZone(text);
      return {
        offset: m.utcOffset(),
        local: m.format(),
        utc: m.clone().utc().format(),
        shifted: m.clone().utcOffset("+05:30").format("YYYY-MM-DD HH:mm Z"),
        unix: m.unix(),
      };
    });
  },
  arithmetic({ start, end, now }) {
    const a = moment.utc(start);
    const b = moment.utc(end);
    const ref = moment.utc(now);
    return {
      add: a.clone().add(1, "month").add(3, "days").add(25, "hours").format(),
      subtract: a.clone().subtract(1, "year").subtract(2, "weeks").format(),
      endOfMonth: a.clone().endOf("month").toISOString(),
      startOfWeek: a.clone().startOf("isoWeek").format("dddd YYYY-MM-DD"),
      diff: ["years", "months", "weeks", "days", "hours", "minutes"].map((u) => b.diff(a, u)),
      diffFloat: b.diff(a, "months", true),
      isBefore: a.isBefore(b),
      isBetween: moment.utc("2024-03-01").isBetween(a, b),
      from: [a.from(ref), b.from(ref), ref.clone().add(45, "seconds").from(ref), a.to(b)],
      calendar: [ref.clone().subtract(1, "day"), ref.clone().add(3, "days"), ref].map((m) =>
        m.calendar(ref),
      ),
      weeks: [a.isoWeek(), a.week(), a.dayOfYear(), a.quarter(), a.isLeapYear(), a.daysInMonth()],
      max: moment.max(a, b, ref).toISOString(),
    };
  },
  durations({ values }) {
    return values.map((v) => {
      const d = moment.duration(v);
      return {
        iso: d.toISOString(),
        ms: d.asMilliseconds(),
        hours: d.asHours(),
        humanize: d.humanize(),
        suffix: d.humanize(true),
        parts: [d.years(), d.months(), d.days(), d.hours(), d.minutes(), d.seconds()],
      };
    });
  },
  locales({ date, locales }) {
    return locales.map((l) => {
      const m = moment.utc(date).locale(l);
      return {
        long: m.format("LLLL"),
        short: m.format("L LT"),
        custom: m.format("dddd Do MMMM YYYY, h:mm:ss a"),
        weekdays: moment.localeData(l).weekdaysShort(),
        relative: m.from(moment.utc(date).add(3, "months")),
      };
    });
  },
};

export function execute(action, params) {
  const run = actions[action];
  if (!run) throw new Error(`unknown action ${action}`);
  return run(params);
}
