import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, lines } from '../helpers/cli';
import { ROOT } from '../helpers/engine';

const T = '2024-03-01T12:00:00Z';
const ndjson = (...messages: unknown[]) => messages.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join('\n') + '\n';

describe('segment-braze map', () => {
  it('writes one line per message, in order, and exits 0 when all mapped', async () => {
    const run = await cli(['map'], ndjson({ type: 'track', userId: 'u', event: 'A', timestamp: T, messageId: 'm1' }, { type: 'group', userId: 'u', groupId: 'g', messageId: 'm2' }));
    expect(run.code).toBe(0);
    expect(lines(run.stdout)).toEqual([
      { messageId: 'm1', requests: [{ endpoint: '/users/track', body: { events: [{ external_id: 'u', name: 'A', time: '2024-03-01T12:00:00.000Z' }] } }] },
      { messageId: 'm2', requests: [{ endpoint: '/users/track', body: { attributes: [{ external_id: 'u', ab_segment_group_g: true }] } }] },
    ]);
    expect(run.stderr).toBe('map: 2 message(s): 2 mapped, 0 failed\n');
  });

  it('one bad line never stops the rest; exit 2 with a summary', async () => {
    const input = ndjson({ type: 'track', userId: 'u', event: 'A', timestamp: T, messageId: 'm1' }, '{not json', '', { type: 'track', userId: 'u', messageId: 'm3' }, '[1,2]', { type: 'identify', userId: 'u', traits: { gender: 'robot' }, messageId: 'm5' });
    const run = await cli(['map'], input);
    expect(run.code).toBe(2);
    const out = lines(run.stdout) as Record<string, any>[];
    expect(out).toHaveLength(5);
    expect(out[0]).toMatchObject({ messageId: 'm1', requests: [{ endpoint: '/users/track' }] });
    expect(out[1]).toMatchObject({ messageId: null, line: 2, error: { code: 'INVALID_JSON' } });
    expect(out[2]).toMatchObject({ messageId: 'm3', line: 4, error: { code: 'REQUIRED_VALUE_MISSING' } });
    expect(out[3]).toMatchObject({ messageId: null, line: 5, error: { code: 'INVALID_MESSAGE' } });
    expect(out[4]).toMatchObject({ messageId: 'm5', requests: [{ endpoint: '/users/track' }], warnings: [{ code: 'TRANSFORM_FAILED' }] });
    expect(run.stderr).toBe('map: 5 message(s): 2 mapped (1 with warnings), 3 failed\n');
  });

  it('a line whose output cannot be serialised is an error line; earlier and later lines survive', async () => {
    const deep = '['.repeat(200000) + ']'.repeat(200000);
    const input = ndjson({ type: 'track', userId: 'u', event: 'A', timestamp: T }, `{"type":"track","userId":"u","event":"B","timestamp":"${T}","properties":{"x":${deep}}}`, { type: 'track', userId: 'u', event: 'C', timestamp: T });
    const run = await cli(['map'], input);
    expect(run.code).toBe(2);
    const out = lines(run.stdout) as Record<string, any>[];
    expect(out.map((l) => l.error?.code ?? l.requests[0].body.events[0].name)).toEqual(['A', 'INVALID_MESSAGE', 'C']);
  });

  it('a byte-order mark before the first line is ignored', async () => {
    const run = await cli(['map'], '\ufeff' + ndjson({ type: 'group', userId: 'u', groupId: 'g' }));
    expect(run.code).toBe(0);
  });

  it('--trace adds the matched rules, field sources and how each attributes object is sent', async () => {
    const run = await cli(['map', '--trace'], ndjson({ type: 'identify', userId: 'u', traits: { address: { city: 'Oslo' } } }));
    const [line] = lines(run.stdout) as Record<string, any>[];
    expect(line.trace.rules).toEqual([{ name: 'identify-traits', file: join('mappings', 'braze.yaml') }]);
    expect(line.trace.fields).toContainEqual({ rule: 'identify-traits', output: 'attributes', field: 'home_city', source: 'traits.address.city' });
    // How each attributes object is sent; the request itself stays endpoint and body.
    expect(line.trace.attributes).toEqual([{ request: 0, index: 0, changesOnly: { alwaysSent: [] } }]);
    expect(line.requests).toEqual([{ endpoint: '/users/track', body: { attributes: [{ external_id: 'u', home_city: 'Oslo' }] } }]);
  });

  it('reads a file argument', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-map-'));
    writeFileSync(join(dir, 'in.ndjson'), ndjson({ type: 'screen', userId: 'u', name: 'Home', timestamp: T }));
    const run = await cli(['map', join(dir, 'in.ndjson')]);
    expect(run.code).toBe(0);
    expect(lines(run.stdout)).toMatchObject([{ requests: [{ body: { events: [{ name: 'Viewed Home Screen' }] } }] }]);
    expect((await cli(['map', join(dir, 'missing.ndjson')])).code).toBe(1);
  });

  it('refuses to map with invalid mappings, naming the problems', async () => {
    const run = await cli(['map', '--mappings', join('test', 'fixtures', 'mappings', 'invalid', 'unknown-key.yaml')], ndjson({ type: 'track' }));
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('error UNKNOWN_KEY /rules/0/whn');
  });

  it('editing the YAML changes the output with no code change', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-edit-'));
    cpSync(join(ROOT, 'mappings'), dir, { recursive: true });
    const file = join(dir, 'braze.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/home_city/g, 'city_of_residence').replace(/ab_segment_group_/g, 'org_'));
    const input = ndjson({ type: 'identify', userId: 'u', traits: { address: { city: 'Oslo' } } }, { type: 'group', userId: 'u', groupId: 'g7' });
    const run = await cli(['map', '--mappings', dir], input);
    expect(run.code).toBe(0);
    expect(lines(run.stdout)).toMatchObject([
      { requests: [{ body: { attributes: [{ external_id: 'u', city_of_residence: 'Oslo' }] } }] },
      { requests: [{ body: { attributes: [{ external_id: 'u', org_g7: true }] } }] },
    ]);
  });
});

describe('the installed command', () => {
  // `npm test` builds first (pretest), as `npm ci` does through `prepare`.
  const bin = join(ROOT, 'bin', 'segment-braze.js');

  it('validates and maps through bin/segment-braze.js', () => {
    expect(execFileSync('node', [bin, 'validate'], { cwd: ROOT, encoding: 'utf8' })).toMatch(/^valid:/m);
    const run = spawnSync('node', [bin, 'map'], { cwd: ROOT, input: ndjson({ type: 'track', userId: 'u', event: 'E', timestamp: T }, 'oops'), encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(lines(run.stdout)).toMatchObject([{ requests: [{ endpoint: '/users/track' }] }, { error: { code: 'INVALID_JSON' } }]);
  });
});
