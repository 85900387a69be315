import { isCanonicalTimestamp, toEpochMillis, toIsoString } from './instant';
import { Transform, TRANSFORM_FAILED } from './transform';

export const iso8601Transform: Transform = {
  name: 'iso8601',
  description: 'ISO-8601 UTC timestamp `YYYY-MM-DDTHH:mm:ss.sssZ`, from an ISO-8601 string or epoch milliseconds.',
  apply: (value) => {
    if (typeof value === 'string' && isCanonicalTimestamp(value)) return value;
    const ms = toEpochMillis(value);
    return ms === TRANSFORM_FAILED ? TRANSFORM_FAILED : toIsoString(ms);
  },
};
