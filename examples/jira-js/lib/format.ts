// format: JIRA's values as the connector returns them. Timestamps in UTC
// (`2024-03-05T14:07:31.000+0100` becomes `2024-03-05T13:07:31Z`), dates as
// `YYYY-MM-DD`, statuses and types by name, people by display name, and a
// refused request as one line with JIRA's own messages.
//
// Timestamps are parsed here rather than by `Date.parse`, which does not
// take JIRA's `+0100` offsets and reads a time without an offset as local.

/** What JIRA sends: JSON, of which the connector reads only some shapes. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A JSON object, or `undefined` for anything else. */
export function asObject(value: unknown): Record<string, Json> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, Json>)
    : undefined;
}

/** A string field, or `null`. */
export function text(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

/** The `name` of a status, issue type or priority. */
export function nameOf(value: unknown): string | null {
  return text(asObject(value)?.name);
}

/** A user as their display name (else email, else account id). */
export function personOf(value: unknown): string | null {
  const user = asObject(value);
  if (!user) return null;
  return text(user.displayName) || text(user.emailAddress) || text(user.accountId);
}

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/** Whether `year-month-day` is a day of the calendar. */
function isDay(year: number, month: number, day: number): boolean {
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}

/** Minutes east of UTC in `Z`, `+01`, `+0100` or `-05:00`, or `null` if out of range. */
function offsetMinutes(zone: string | undefined): number | null {
  if (!zone || zone === "Z") return 0;
  const digits = zone.slice(1).replace(":", "");
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2) || "0");
  if (hours > 23 || minutes > 59) return null;
  return (zone[0] === "-" ? -1 : 1) * (hours * 60 + minutes);
}

/**
 * JIRA's `2024-03-05T14:07:31.000+0100` as `2024-03-05T13:07:31Z` (fractions
 * of a second dropped, no offset read as UTC); `null` stays `null`, and text
 * that is not a timestamp comes back unchanged.
 */
export function utcTimestamp(value: unknown): string | null {
  const raw = text(value);
  if (!raw) return null;
  const m = TIMESTAMP.exec(raw);
  if (!m) return raw;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((p) => Number(p ?? "0"));
  const offset = offsetMinutes(m[7]);
  if (offset === null || !isDay(year, month, day) || hour > 23 || minute > 59 || second > 59) {
    return raw;
  }
  const ms = Date.UTC(year, month - 1, day, hour, minute, second) - offset * 60_000;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A JIRA date (`2024-03-31`) checked and returned as `YYYY-MM-DD`. */
export function isoDate(value: unknown): string | null {
  const raw = text(value);
  if (!raw) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(raw);
  return m && isDay(Number(m[1]), Number(m[2]), Number(m[3])) ? m[0] : raw;
}

/** What to check, by status, when JIRA refuses. */
const HINTS: Record<number, string> = {
  401: "check config.email and the API token stored in the vault",
  403: "the account lacks the JIRA permission this needs",
};

/**
 * `JIRA GET /rest/api/2/issue/X failed with HTTP 404: <JIRA's messages> (<hint>)`,
 * from a reply's `errorMessages` and field `errors`, else its text.
 */
export function failure(where: string, status: number, body: string): string {
  let reply: unknown = null;
  try {
    reply = JSON.parse(body);
  } catch {
    reply = null;
  }
  const messages: string[] = [];
  const fields = asObject(reply);
  if (fields) {
    const list = fields.errorMessages;
    if (Array.isArray(list)) messages.push(...list.map((m) => String(m)));
    const errors = asObject(fields.errors) ?? {};
    for (const key of Object.keys(errors).sort()) messages.push(`${key}: ${String(errors[key])}`);
  }
  if (messages.length === 0 && body.trim()) messages.push(body.trim().slice(0, 300));
  let line = `JIRA ${where} failed with HTTP ${status}`;
  if (messages.length > 0) line += `: ${messages.join("; ")}`;
  if (HINTS[status]) line += ` (${HINTS[status]})`;
  return line;
}
