import { Transform, TRANSFORM_FAILED } from './transform';

export const currencyTransform: Transform = {
  name: 'currency',
  description: 'An ISO-4217 code: trimmed, upper-cased, exactly three letters (`" eur"` → `"EUR"`).',
  apply: (value) => {
    if (typeof value !== 'string') return TRANSFORM_FAILED;
    const code = value.trim().toUpperCase();
    return /^[A-Z]{3}$/.test(code) ? code : TRANSFORM_FAILED;
  },
};
