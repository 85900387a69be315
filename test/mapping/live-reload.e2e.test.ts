import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { startFlags } from '../../bench/start-command';
import { ROOT } from '../helpers/engine';
import { boot, freshDir, RunningService, stop } from '../helpers/service-process';

/**
 * Each kind of save, 20 times in a row, against the built service in its own process. The
 * periodic check is set to 10 minutes, so every edit seen here was seen through a file event.
 */
const EDITS = 20;
const original = readFileSync(join(ROOT, 'mappings', 'braze.yaml'), 'utf8');
/** Version n of the mapping: identify's `home_city` attribute renamed `city_<n>`, examples included. */
const version = (n: number) => original.replace(/home_city/g, `city_${n}`);
const extraFile = (n: number) => `extra-${n}.yaml`;
const extraMapping = (n: number) => `version: 1
rules:
  - name: extra-${n}
    when: { "==": [{ var: event }, Extra ${n}] }
    events:
      fields:
        name: { const: extra-${n} }
        time: { first: [timestamp, receivedAt], transform: iso8601, required: true }
`;

interface Layout {
  /** What MAPPINGS_DIR is set to: a directory, a file, or a symlink to either. */
  mappingsDir: string;
  /** Makes edit number n (1…20). */
  edit(n: number): void;
  /** Whether the service now serves edit number n. */
  serves(service: RunningService, n: number): Promise<boolean>;
}

const cityOf = async (service: RunningService) => {
  const res = await request(service.url).post('/v1/preview').send({ type: 'identify', userId: 'u', traits: { address: { city: 'Oslo' } } }).expect(200);
  return Object.keys(res.body.requests[0].body.attributes[0]).find((key) => key.startsWith('city_'));
};
const servesVersion = async (service: RunningService, n: number) => (await cityOf(service)) === `city_${n}`;
const fileNames = async (service: RunningService): Promise<string[]> => (await request(service.url).get('/v1/mappings').expect(200)).body.files.map((f: { file: string }) => f.file);

/** A directory holding braze.yaml at version 0, edited through `save`. */
function mappingDirectory(save: (file: string, n: number) => void): Layout {
  const dir = freshDir('sb-reload-');
  const file = join(dir, 'braze.yaml');
  writeFileSync(file, version(0));
  return { mappingsDir: dir, edit: (n) => save(file, n), serves: servesVersion };
}

const renameOver = (file: string, n: number) => {
  writeFileSync(`${file}.tmp`, version(n));
  renameSync(`${file}.tmp`, file);
};

const kinds: Record<string, () => Layout> = {
  'written in place': () => mappingDirectory((file, n) => writeFileSync(file, version(n))),
  'renamed over (a temporary file renamed onto it)': () => mappingDirectory(renameOver),
  'sed -i': () => mappingDirectory((file, n) => execFileSync('sed', ['-i', `s/city_${n - 1}/city_${n}/g`, file])),
  'moved away and written anew (vim with backupcopy=no)': () =>
    mappingDirectory((file, n) => {
      renameSync(file, `${file}~`);
      writeFileSync(file, version(n));
      unlinkSync(`${file}~`);
    }),
  'deleted and recreated': () =>
    mappingDirectory((file, n) => {
      unlinkSync(file);
      writeFileSync(file, version(n));
    }),
  'git checkout': () => {
    // One commit per version in a repository inside MAPPINGS_DIR; each edit checks one out.
    const layout = mappingDirectory((_file, n) => git('checkout', '-q', `v${n}`));
    const git = (...args: string[]) => execFileSync('git', ['-C', layout.mappingsDir, '-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args]);
    git('init', '-q');
    for (let n = 0; n <= EDITS; n++) {
      writeFileSync(join(layout.mappingsDir, 'braze.yaml'), version(n));
      git('add', 'braze.yaml');
      git('commit', '-qm', `version ${n}`);
      git('tag', `v${n}`);
    }
    git('checkout', '-q', 'v0');
    return layout;
  },
  'a new file': () => {
    const layout = mappingDirectory(() => undefined);
    return { ...layout, edit: (n) => writeFileSync(join(layout.mappingsDir, extraFile(n)), extraMapping(n)), serves: async (s, n) => (await fileNames(s)).some((f) => f.endsWith(extraFile(n))) };
  },
  'a removed file': () => {
    const layout = mappingDirectory(() => undefined);
    for (let n = 1; n <= EDITS; n++) writeFileSync(join(layout.mappingsDir, extraFile(n)), extraMapping(n));
    return { ...layout, edit: (n) => unlinkSync(join(layout.mappingsDir, extraFile(n))), serves: async (s, n) => !(await fileNames(s)).some((f) => f.endsWith(extraFile(n))) };
  },
  'a single-file MAPPINGS_DIR renamed over': () => {
    const layout = mappingDirectory(renameOver);
    return { ...layout, mappingsDir: join(layout.mappingsDir, 'braze.yaml') };
  },
  'a MAPPINGS_DIR symlink swapped to a new directory': () => {
    const base = freshDir('sb-reload-releases-');
    const release = (n: number) => {
      mkdirSync(join(base, `release-${n}`));
      writeFileSync(join(base, `release-${n}`, 'braze.yaml'), version(n));
    };
    release(0);
    symlinkSync('release-0', join(base, 'current'));
    const edit = (n: number) => {
      release(n); // the old releases stay, as deploy tools keep them
      symlinkSync(`release-${n}`, join(base, 'current.tmp'));
      renameSync(join(base, 'current.tmp'), join(base, 'current'));
    };
    return { mappingsDir: join(base, 'current'), edit, serves: servesVersion };
  },
  'a ConfigMap volume update (..data symlink swap)': () => {
    // What the kubelet does: files are symlinks through `..data` to a timestamped directory;
    // an update writes a new one, renames a new `..data_tmp` symlink over `..data`, removes the old.
    const dir = freshDir('sb-reload-configmap-');
    const stamp = (n: number) => `..2026_12_02_07_00_${String(n).padStart(2, '0')}.000000001`;
    const publish = (n: number) => {
      mkdirSync(join(dir, stamp(n)));
      writeFileSync(join(dir, stamp(n), 'braze.yaml'), version(n));
    };
    publish(0);
    symlinkSync(stamp(0), join(dir, '..data'));
    symlinkSync(join('..data', 'braze.yaml'), join(dir, 'braze.yaml'));
    const edit = (n: number) => {
      publish(n);
      symlinkSync(stamp(n), join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
      rmSync(join(dir, stamp(n - 1)), { recursive: true });
    };
    return { mappingsDir: dir, edit, serves: servesVersion };
  },
};

/** Polls `check` until it holds or the deadline passes; true when it held. */
async function within(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
    if (await check()) return true;
  }
  return check();
}

const env = (mappingsDir: string, extra: Record<string, string> = {}) => ({ MAPPINGS_DIR: mappingsDir, DATA_DIR: freshDir('sb-reload-data-'), MAPPINGS_DEBOUNCE_MS: '25', LOG_LEVEL: 'info', ...extra });
const figures: string[] = [];
jest.setTimeout(120_000);
afterAll(() => console.log(`live reload, edits seen through file events:\n${figures.join('\n')}`));

describe('live reload sees every kind of save, every time', () => {
  for (const [kind, make] of Object.entries(kinds)) {
    it(`${kind}: ${EDITS} edits in a row`, async () => {
      const layout = make();
      const service = await boot(env(layout.mappingsDir, { MAPPINGS_CHECK_MS: '600000' }));
      try {
        expect(await cityOf(service)).toBe('city_0');
        let seen = 0;
        for (let n = 1; n <= EDITS; n++) {
          layout.edit(n);
          if (await within(10_000, () => layout.serves(service, n))) seen++;
        }
        figures.push(`  ${kind}: ${seen}/${EDITS}`);
        expect(seen).toBe(EDITS);
        const status = (await request(service.url).get('/v1/mappings').expect(200)).body;
        expect(status.lastRefused).toBeNull();
        expect(service.output()).not.toMatch(/periodic check found a change/);
      } finally {
        await stop(service.child);
      }
    });
  }
});

describe('what a reload keeps', () => {
  it('a save of the same bytes swaps nothing; an invalid save is refused and shown while the last good version serves', async () => {
    const layout = kinds['renamed over (a temporary file renamed onto it)']();
    const service = await boot(env(layout.mappingsDir, { MAPPINGS_CHECK_MS: '600000', LOG_LEVEL: 'debug' }));
    const status = async () => (await request(service.url).get('/v1/mappings').expect(200)).body;
    try {
      layout.edit(0); // the same text under a new inode
      expect(await within(10_000, async () => /mappings unchanged \(change\)/.test(service.output()))).toBe(true);
      expect(await status()).toMatchObject({ version: 1, lastRefused: null });

      const file = join(layout.mappingsDir, 'braze.yaml');
      writeFileSync(`${file}.tmp`, version(1).replace('transform: gender', 'transform: gendr'));
      renameSync(`${file}.tmp`, file);
      expect(await within(10_000, async () => (await status()).lastRefused !== null)).toBe(true);
      expect((await status()).lastRefused.diagnostics).toContainEqual(expect.objectContaining({ code: 'UNKNOWN_TRANSFORM', pointer: '/rules/1/attributes/fields/gender/transform' }));
      expect(await cityOf(service)).toBe('city_0');

      layout.edit(2);
      expect(await within(10_000, () => servesVersion(service, 2))).toBe(true);
      expect(await status()).toMatchObject({ version: 2, lastRefused: null });
    } finally {
      await stop(service.child);
    }
  });
});

describe('the periodic check', () => {
  it('serves a change within MAPPINGS_CHECK_MS when no file event arrives, and logs that the events missed it', async () => {
    const layout = kinds['renamed over (a temporary file renamed onto it)']();
    const blind = [...startFlags(ROOT), '--require', join(ROOT, 'test', 'fixtures', 'blind-fs-watch.js')];
    const service = await boot(env(layout.mappingsDir, { MAPPINGS_CHECK_MS: '200' }), blind);
    try {
      for (const n of [1, 2]) {
        layout.edit(n);
        expect(await within(10_000, () => servesVersion(service, n))).toBe(true);
      }
      // The log reaches this process a little after the swap: wait for it too.
      expect(await within(10_000, async () => /mappings reloaded \(periodic check\): version 3/.test(service.output()))).toBe(true);
      expect(service.output().match(/periodic check found a change in \S+ that no file event reported/g)).toHaveLength(2);
    } finally {
      await stop(service.child);
    }
  });
});
