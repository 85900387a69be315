import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMappingSources } from '../../src/mapping/mapping-files';

const freshDir = () => mkdtempSync(join(tmpdir(), 'sb-files-'));

describe('reading a mapping directory', () => {
  it("reads a ConfigMap volume through its visible symlinks, not its hidden ..data and timestamped directories", async () => {
    const dir = freshDir();
    // Mid-update: the old timestamped directory is still there next to the new one.
    for (const stamp of ['..2026_12_02_07_00_00.1', '..2026_12_02_07_00_01.2']) {
      mkdirSync(join(dir, stamp));
      writeFileSync(join(dir, stamp, 'braze.yaml'), `# ${stamp}\n`);
    }
    symlinkSync('..2026_12_02_07_00_01.2', join(dir, '..data'));
    symlinkSync(join('..data', 'braze.yaml'), join(dir, 'braze.yaml'));
    const read = await readMappingSources([dir], dir);
    expect(read).toEqual({ sources: [{ file: 'braze.yaml', text: '# ..2026_12_02_07_00_01.2\n' }], diagnostics: [] });
  });

  it('follows symlinked directories but not back up the tree, skips hidden files, and reports a dangling symlink', async () => {
    const dir = freshDir();
    mkdirSync(join(dir, 'shared'));
    writeFileSync(join(dir, 'shared', 'a.yaml'), 'a');
    symlinkSync('..', join(dir, 'shared', 'loop')); // back up the tree
    symlinkSync('shared', join(dir, 'linked'));
    writeFileSync(join(dir, '.hidden.yaml'), 'hidden');
    symlinkSync('nowhere.yaml', join(dir, 'gone.yaml'));
    const read = await readMappingSources([dir], dir);
    expect(read.sources.map((s) => s.file)).toEqual(['linked/a.yaml', 'shared/a.yaml']);
    expect(read.diagnostics).toEqual([expect.objectContaining({ code: 'FILE_UNREADABLE', file: 'gone.yaml' })]);
  });
});
