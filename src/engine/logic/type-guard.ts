/**
 * The message types a condition can possibly accept, read from its shape: `type == "x"`,
 * `type in [..]`, or an `and` with such a conjunct. Null when the condition does not say.
 * Only string literals count: json-logic's `==` is loose, and a message type is a string.
 */
export function requiredTypes(condition: unknown): readonly string[] | null {
  if (condition === null || typeof condition !== 'object' || Array.isArray(condition)) return null;
  const keys = Object.keys(condition);
  if (keys.length !== 1) return null;
  const [op] = keys;
  const args = (condition as Record<string, unknown>)[op];
  if (op === 'and' && Array.isArray(args)) {
    for (const conjunct of args) {
      const types = requiredTypes(conjunct);
      if (types) return types;
    }
    return null;
  }
  if (!Array.isArray(args) || args.length !== 2) return null;
  const [a, b] = args;
  if (op === '==' || op === '===') {
    if (isTypeVar(a) && typeof b === 'string') return [b];
    if (isTypeVar(b) && typeof a === 'string') return [a];
  }
  if (op === 'in' && isTypeVar(a) && Array.isArray(b) && b.every((t) => typeof t === 'string')) return b as string[];
  return null;
}

/**
 * Whether the condition is only a type test (`type == "x"`, `type in [..]`), so that the
 * plan's index by type already answers it and it need not run.
 */
export function isTypeTest(condition: unknown): boolean {
  return requiredTypes(condition) !== null && Object.keys(condition as object)[0] !== 'and';
}

function isTypeVar(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const v = (value as Record<string, unknown>).var;
  return Object.keys(value).length === 1 && (v === 'type' || (Array.isArray(v) && v.length === 1 && v[0] === 'type'));
}
