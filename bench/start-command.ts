import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The Node flags `npm start` gives the service (package.json's start script), so that the
 * bench and the process tests run it exactly as users do: `node <flags> dist/main.js`.
 */
export function startFlags(root: string): string[] {
  const start = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const words = start.trim().split(/\s+/);
  const main = words.indexOf('dist/main.js');
  if (words[0] !== 'node' || main === -1) throw new Error(`package.json's start script is not "node [flags] dist/main.js": ${start}`);
  return words.slice(1, main);
}
