import { Transform, TRANSFORM_FAILED } from './transform';

/** A Map, not an object literal: the word comes from the message, and `constructor` or `__proto__` must not find Object's members. */
const CODES: ReadonlyMap<string, string> = new Map([
  ['m', 'M'], ['male', 'M'], ['man', 'M'],
  ['f', 'F'], ['female', 'F'], ['woman', 'F'], ['w', 'F'],
  ['o', 'O'], ['other', 'O'],
  ['n', 'N'], ['not applicable', 'N'], ['na', 'N'], ['n/a', 'N'],
  ['p', 'P'], ['prefer not to say', 'P'],
]);

export const genderTransform: Transform = {
  name: 'gender',
  description: 'Gender words to Braze codes, case-insensitively: male/man/m → M, female/woman/w/f → F, other/o → O, "not applicable"/n → N, "prefer not to say"/p → P.',
  apply: (value) => {
    if (typeof value !== 'string') return TRANSFORM_FAILED;
    return CODES.get(value.trim().toLowerCase().replace(/\s+/g, ' ')) ?? TRANSFORM_FAILED;
  },
};
