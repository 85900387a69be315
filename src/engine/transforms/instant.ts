import { TRANSFORM_FAILED } from './transform';

/**
 * ISO-8601 dates and date-times only: `Date.parse` of free text reads the server's time
 * zone, which would make output depend on where the service runs. A date-time without an
 * offset is taken as UTC, as Segment does.
 */
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** The largest instant a JavaScript Date can hold. */
const MAX_EPOCH_MILLIS = 8.64e15;

/** Epoch milliseconds of an ISO-8601 string or an epoch-milliseconds number. */
export function toEpochMillis(value: unknown): number | typeof TRANSFORM_FAILED {
  if (typeof value === 'number') return Math.abs(value) <= MAX_EPOCH_MILLIS ? value : TRANSFORM_FAILED;
  if (typeof value !== 'string') return TRANSFORM_FAILED;
  const m = ISO_8601.exec(value.trim());
  if (!m) return TRANSFORM_FAILED;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone] = m;
  const offset = zone === undefined || zone.toUpperCase() === 'Z' ? 'Z' : zone.length === 5 ? zone.slice(0, 3) + ':' + zone.slice(3) : zone;
  const millis = frac === '' ? '' : (frac + '000').slice(0, 4);
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${millis}${offset}`);
  if (Number.isNaN(ms) || Math.abs(ms) > MAX_EPOCH_MILLIS) return TRANSFORM_FAILED;
  // Date.parse rolls 2023-02-30 over to March: refuse dates that do not exist.
  const check = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  return check.getUTCDate() === Number(d) && check.getUTCMonth() === Number(mo) - 1 ? ms : TRANSFORM_FAILED;
}
