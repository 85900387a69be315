import { isCanonicalDate, toEpochMillis, toIsoDateString } from './instant';
import { Transform, TRANSFORM_FAILED } from './transform';

export const dateTransform: Transform = {
  name: 'date',
  description: 'Calendar date `YYYY-MM-DD` in UTC, from an ISO-8601 date/date-time or epoch milliseconds.',
  apply: (value) => {
    if (typeof value === 'string' && isCanonicalDate(value)) return value;
    const ms = toEpochMillis(value);
    return ms === TRANSFORM_FAILED ? TRANSFORM_FAILED : toIsoDateString(ms);
  },
};
