import { SETTINGS } from './app-config';

/** Prefixes of our settings that other software uses too (HTTP_PROXY): only a near spelling of one of ours is reported there. */
const SHARED_PREFIXES = new Set(['DATA_', 'LOG_', 'ADMIN_', 'HTTP_']);

/**
 * The variables Kubernetes sets for every Service in the namespace (a Service named
 * segment-braze gives SEGMENT_BRAZE_SERVICE_HOST, SEGMENT_BRAZE_PORT_3000_TCP_ADDR, …).
 */
const SERVICE_LINK = /_(SERVICE_HOST|SERVICE_PORT(_\w+)?|PORT(_\d+_(TCP|UDP|SCTP)(_PROTO|_PORT|_ADDR)?)?)$/;

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length];
}

/**
 * Warnings for variables that look meant for this service but are not its settings (a
 * misspelt BRAZE_API_KEY would otherwise leave it in dry-run without a word). Names only:
 * a value is never read.
 */
export function unknownSettingWarnings(env: NodeJS.ProcessEnv, known: readonly string[] = SETTINGS): string[] {
  const families = new Set(known.filter((n) => n.includes('_')).map((n) => n.slice(0, n.indexOf('_') + 1)).filter((p) => !SHARED_PREFIXES.has(p)));
  const warnings: string[] = [];
  for (const name of Object.keys(env).sort()) {
    if (known.includes(name) || SERVICE_LINK.test(name)) continue;
    const upper = name.toUpperCase();
    const [nearest, distance] = known.map((k) => [k, editDistance(upper, k)] as const).reduce((best, next) => (next[1] < best[1] ? next : best));
    const inFamily = [...families].some((p) => upper.startsWith(p));
    // One edit from a short name (PORT, HOST) is already close: HOME and PATH are two away.
    const close = distance <= (nearest.length <= 5 ? 1 : 2) || (inFamily && distance <= Math.ceil(nearest.length / 3));
    if (close) warnings.push(`${name} is not a setting; did you mean ${nearest}?`);
    else if (inFamily) warnings.push(`${name} is not a setting of segment-braze (README, Configuration, lists them)`);
  }
  return warnings;
}
