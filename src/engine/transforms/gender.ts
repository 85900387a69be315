import { Transform, TRANSFORM_FAILED } from './transform';

const CODES: Record<string, string> = {
  m: 'M', male: 'M', man: 'M',
  f: 'F', female: 'F', woman: 'F', w: 'F',
  o: 'O', other: 'O',
  n: 'N', 'not applicable': 'N', na: 'N', 'n/a': 'N',
  p: 'P', 'prefer not to say': 'P',
};

export const genderTransform: Transform = {
  name: 'gender',
  description: 'Gender words to Braze codes, case-insensitively: male/man/m → M, female/woman/w/f → F, other/o → O, "not applicable"/n → N, "prefer not to say"/p → P.',
  apply: (value) => {
    if (typeof value !== 'string') return TRANSFORM_FAILED;
    return CODES[value.trim().toLowerCase().replace(/\s+/g, ' ')] ?? TRANSFORM_FAILED;
  },
};
