import { currencyTransform } from './currency';
import { dateTransform } from './date';
import { genderTransform } from './gender';
import { integerTransform } from './integer';
import { iso8601Transform } from './iso8601';
import { lowercaseTransform } from './lowercase';
import { nonemptyTransform } from './nonempty';
import { numberTransform } from './number';
import { objectTransform } from './object';
import { stringTransform } from './string';
import { Transform } from './transform';
import { trimTransform } from './trim';
import { uppercaseTransform } from './uppercase';

export { TRANSFORM_FAILED } from './transform';
export type { Transform } from './transform';

/** The closed set of transforms, by name. Frozen: nothing registers at run time. */
export const TRANSFORMS: Readonly<Record<string, Transform>> = Object.freeze(
  Object.fromEntries(
    [
      dateTransform,
      iso8601Transform,
      genderTransform,
      numberTransform,
      integerTransform,
      stringTransform,
      lowercaseTransform,
      uppercaseTransform,
      trimTransform,
      nonemptyTransform,
      currencyTransform,
      objectTransform,
    ].map((t) => [t.name, t]),
  ),
);

export const TRANSFORM_NAMES: readonly string[] = Object.freeze(Object.keys(TRANSFORMS));
