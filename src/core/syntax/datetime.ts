/**
 * Lexicon `datetime` (spec: lexicon "datetime"): the intersection of RFC 3339, ISO 8601
 * and WHATWG datetimes. Upper-case `T` and `Z`, whole seconds required, any number of
 * fractional digits, a required `Z` or `±HH:MM` offset (never `-00:00`), real calendar
 * dates (no month 13, no April 31, no leap seconds), and the instant must normalise to a
 * UTC year between 0000 and 9999. At most 64 characters.
 */
import { whitespaceEdge } from './describe.js';

export const DATETIME_MAX_LENGTH = 64;

const DATETIME_RE =
  /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$/;
const DATE_ONLY_RE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
const NO_TZ_RE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?$/;
const DATE_PREFIX_RE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}/;
const TIME_PART_RE = /^[0-9]{2}:[0-9]{2}:[0-9]{2}/;
const WHITESPACE_RE = /\s/;
const DIGIT_START_RE = /^[0-9]/;
const FRACTION_START_RE = /^\.[0-9]/;
const MINUTES_PER_DAY = 24 * 60;

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(y: number, m: number): number {
  return m === 2 && isLeapYear(y) ? 29 : (DAYS_IN_MONTH[m - 1] ?? 0);
}

function dayOfYear(y: number, m: number, d: number): number {
  let n = d;
  for (let i = 1; i < m; i++) n += daysInMonth(y, i);
  return n;
}

/** Returns null when `s` is a valid Lexicon datetime, else a short reason. */
export function checkDatetime(s: string): string | null {
  if (typeof s !== 'string') return 'datetime must be a string';
  if (s.length === 0) return 'datetime is empty';
  if (s.length > DATETIME_MAX_LENGTH) {
    return `datetime is ${s.length} characters long (max ${DATETIME_MAX_LENGTH})`;
  }
  const m = DATETIME_RE.exec(s);
  if (m === null) return explainSyntax(s);

  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  const tz = m[8] as string;

  if (month < 1 || month > 12) return `month ${m[2]} is out of range (01-12)`;
  const dim = daysInMonth(year, month);
  if (day < 1 || day > dim) {
    return `day ${m[3]} does not exist in ${m[1]}-${m[2]} (01-${String(dim).padStart(2, '0')})`;
  }
  if (hour > 23) return `hour ${m[4]} is out of range (00-23)`;
  if (minute > 59) return `minute ${m[5]} is out of range (00-59)`;
  if (second > 59) return `second ${m[6]} is out of range (00-59; leap seconds are not supported)`;

  if (tz === 'Z') return null;
  if (tz === '-00:00') return "timezone '-00:00' is not allowed (use 'Z')";
  const tzHour = Number(tz.slice(1, 3));
  const tzMinute = Number(tz.slice(4, 6));
  if (tzHour > 23) return `timezone hour ${tz.slice(1, 3)} is out of range (00-23)`;
  if (tzMinute > 59) return `timezone minute ${tz.slice(4, 6)} is out of range (00-59)`;

  // UTC = local - offset. Offsets are whole minutes, so comparing minutes is exact.
  const offset = (tz[0] === '-' ? -1 : 1) * (tzHour * 60 + tzMinute);
  const localMinutes = (dayOfYear(year, month, day) - 1) * MINUTES_PER_DAY + hour * 60 + minute;
  if (year === 0 && localMinutes - offset < 0) {
    return 'datetime normalizes to a time before year 0000';
  }
  const minutesInYear = (isLeapYear(year) ? 366 : 365) * MINUTES_PER_DAY;
  if (year === 9999 && localMinutes - offset >= minutesInYear) {
    return 'datetime normalizes to a time after year 9999';
  }
  return null;
}

function explainSyntax(s: string): string {
  const ws = whitespaceEdge(s);
  if (ws) return `datetime ${ws}`;
  if (WHITESPACE_RE.test(s)) return 'datetime contains whitespace';
  if (DATE_ONLY_RE.test(s)) return 'datetime needs a time and timezone, not just a date';
  if (!DATE_PREFIX_RE.test(s)) return 'date must be YYYY-MM-DD (4-digit year, 2-digit month and day)';
  const sep = s[10];
  if (sep === 't') return "date/time separator must be an uppercase 'T'";
  if (sep !== 'T') return "date and time must be separated by 'T'";
  if (!TIME_PART_RE.test(s.slice(11))) return 'time must be HH:MM:SS (2 digits each, seconds required)';
  if (s.endsWith('z')) return "UTC designator must be an uppercase 'Z'";
  if (NO_TZ_RE.test(s)) return "timezone is required (add 'Z' or an offset like +01:00)";
  const afterSeconds = s.slice(19);
  if (DIGIT_START_RE.test(afterSeconds)) return 'time must be HH:MM:SS (too many digits)';
  if (afterSeconds.startsWith('.') && !FRACTION_START_RE.test(afterSeconds)) {
    return "fractional seconds need at least one digit after '.'";
  }
  return "timezone must be 'Z' or ±HH:MM";
}

export function isValidDatetime(s: string): boolean {
  return checkDatetime(s) === null;
}
