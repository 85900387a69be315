import { TRANSFORM_FAILED } from './transform';

/**
 * ISO-8601 dates and date-times only: `Date.parse` of free text reads the server's time
 * zone, which would make output depend on where the service runs. A date-time without an
 * offset is taken as UTC, as Segment does. SDKs send `YYYY-MM-DDTHH:mm:ss.sssZ`, so that
 * form (and a plain date) is parsed and printed with integer arithmetic, without Date objects.
 */
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** The largest instant a JavaScript Date can hold. */
const MAX_EPOCH_MILLIS = 8.64e15;
const DAY = 86_400_000;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Reads `n` ASCII digits at `at`; -1 when any is not a digit. */
function digits(text: string, at: number, n: number): number {
  let value = 0;
  for (let i = at; i < at + n; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    value = value * 10 + c;
  }
  return value;
}

/** `YYYY-MM-DD`, `YYYY-MM-DDTHH:mm:ssZ` or `YYYY-MM-DDTHH:mm:ss.sssZ`; NaN for anything else. */
function canonicalMillis(text: string): number {
  const length = text.length;
  if (length !== 10 && length !== 20 && length !== 24) return NaN;
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return NaN;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return NaN;
  let ms = daysFromCivil(year, month, day) * DAY;
  if (length === 10) return ms;
  if (text[10] !== 'T' || text[13] !== ':' || text[16] !== ':' || text[length - 1] !== 'Z') return NaN;
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return NaN;
  ms += hour * 3_600_000 + minute * 60_000 + second * 1000;
  if (length === 20) return ms;
  const millis = digits(text, 20, 3);
  return text[19] === '.' && millis >= 0 ? ms + millis : NaN;
}

function generalMillis(text: string): number | typeof TRANSFORM_FAILED {
  const m = ISO_8601.exec(text.trim());
  if (!m) return TRANSFORM_FAILED;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone] = m;
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > daysInMonth(Number(y), Number(mo))) return TRANSFORM_FAILED;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return TRANSFORM_FAILED;
  const offset = zone === undefined || zone.toUpperCase() === 'Z' ? 'Z' : zone.length === 5 ? zone.slice(0, 3) + ':' + zone.slice(3) : zone;
  const millis = frac === '' ? '' : (frac + '000').slice(0, 4);
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${millis}${offset}`);
  return Number.isNaN(ms) || Math.abs(ms) > MAX_EPOCH_MILLIS ? TRANSFORM_FAILED : ms;
}

/** Epoch milliseconds of an ISO-8601 string or an epoch-milliseconds number. */
export function toEpochMillis(value: unknown): number | typeof TRANSFORM_FAILED {
  if (typeof value === 'number') return Math.abs(value) <= MAX_EPOCH_MILLIS ? value : TRANSFORM_FAILED;
  if (typeof value !== 'string') return TRANSFORM_FAILED;
  const fast = canonicalMillis(value);
  return Number.isNaN(fast) ? generalMillis(value) : fast;
}

/** True when `text` is already exactly what `toIsoString` would print for it. */
export function isCanonicalTimestamp(text: string): boolean {
  return text.length === 24 && !Number.isNaN(canonicalMillis(text));
}

export function isCanonicalDate(text: string): boolean {
  return text.length === 10 && !Number.isNaN(canonicalMillis(text));
}

const pad2 = (n: number) => (n < 10 ? '0' : '') + n;
const pad3 = (n: number) => (n < 10 ? '00' : n < 100 ? '0' : '') + n;

/** `YYYY-MM-DDTHH:mm:ss.sssZ`, as Date#toISOString prints it. */
export function toIsoString(ms: number): string {
  const days = Math.floor(ms / DAY);
  const civil = civilFromDays(days);
  if (civil.year < 0 || civil.year > 9999) return new Date(ms).toISOString();
  let rest = ms - days * DAY;
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  const millis = Math.floor(rest - second * 1000);
  return `${toIsoDate(civil)}T${pad2(hour)}:${pad2(minute)}:${pad2(second)}.${pad3(millis)}Z`;
}

/** `YYYY-MM-DD` of the UTC day holding `ms`. */
export function toIsoDateString(ms: number): string {
  const civil = civilFromDays(Math.floor(ms / DAY));
  return civil.year < 0 || civil.year > 9999 ? new Date(ms).toISOString().slice(0, 10) : toIsoDate(civil);
}

function toIsoDate({ year, month, day }: { year: number; month: number; day: number }): string {
  return `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}`;
}

/** The inverse of daysFromCivil. */
function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}
