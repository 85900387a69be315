/** What a scrubbed secret reads as. */
export const REDACTED = '[redacted]';

/**
 * Credentials an answer may quote back, whoever's they are: a proxy's or Braze's error page
 * echoing the request's `Authorization` header, an `api_key` field (Braze's older API took
 * the key in the body). The value runs to the end of its quoted string, line or field.
 */
const CREDENTIAL_PATTERNS: readonly [RegExp, string][] = [
  [/\b(Bearer|Basic|Token)(\s+)[A-Za-z0-9._~+/=-]{4,}/gi, `$1$2${REDACTED}`],
  [/(\b(?:proxy-)?authorization\\?["']?\s*[:=]\s*\\?["']?)[^"'\\\r\n,;<>}]+/gi, `$1${REDACTED}`],
  [/(\bapi[_-]?key\\?["']?\s*[:=]\s*\\?["']?)[^"'\\\r\n,;<>}\s]+/gi, `$1${REDACTED}`],
];

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * Removes `secrets` (the Braze key, as exact text in any letter case) and anything that
 * looks like a credential from text that came from outside. Braze's answers pass through
 * it where they enter the service (the sender), so every reason, log line, dead letter and
 * stored pause made of them is scrubbed once, at the source. JSON stays JSON: only the
 * insides of strings change.
 */
export function secretScrubber(secrets: readonly string[]): (text: string) => string {
  const exact = secrets.filter((s) => s.length >= 4).map(escapeRegExp);
  const known = exact.length > 0 ? new RegExp(exact.join('|'), 'gi') : null;
  return (text) => {
    let scrubbed = known === null ? text : text.replace(known, REDACTED);
    for (const [pattern, replacement] of CREDENTIAL_PATTERNS) scrubbed = scrubbed.replace(pattern, replacement);
    return scrubbed;
  };
}
