import { join } from 'node:path';
import { cli } from '../helpers/cli';

const INVALID = join('test', 'fixtures', 'mappings', 'invalid');

describe('segment-braze validate', () => {
  it('accepts the default mappings directory and says what it checked', async () => {
    const run = await cli(['validate']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^valid: 1 file\(s\), 8 rule\(s\), \d+ example\(s\); 0 error\(s\), 0 warning\(s\)$/m);
  });

  it('prints file:line:col severity CODE /pointer message and a code frame, exit 1', async () => {
    const run = await cli(['validate', join(INVALID, 'unknown-operator.yaml')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${join(INVALID, 'unknown-operator.yaml')}:5:55 error UNKNOWN_OPERATOR /rules/0/when/and/1/contains unknown json-logic operator "contains"`);
    expect(run.stdout).toMatch(/^> 5 \| .*contains.*\n\s+\| \s+\^{8}$/m);
  });

  it('reports all files and all problems in one run', async () => {
    const run = await cli(['validate', join(INVALID, 'many-problems.yaml'), join(INVALID, 'wrong-type.yaml')]);
    expect(run.code).toBe(1);
    expect(run.stdout.match(/ error [A-Z_]+ /g)).toHaveLength(9);
  });

  it('--format json gives machine-readable diagnostics', async () => {
    const run = await cli(['validate', '--format', 'json', join(INVALID, 'unknown-transform.yaml')]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report.summary).toMatchObject({ files: 1, errors: 2 });
    expect(report.diagnostics[0]).toMatchObject({ code: 'UNKNOWN_TRANSFORM', severity: 'error', file: join(INVALID, 'unknown-transform.yaml'), line: 8, col: 41, pointer: '/rules/0/attributes/fields/a/transform' });
  });

  it('--format github prints workflow annotations', async () => {
    const run = await cli(['validate', '--format', 'github', join(INVALID, 'unsupported-version.yaml')]);
    expect(run.code).toBe(1);
    expect(run.stdout.trim()).toBe(`::error file=${join(INVALID, 'unsupported-version.yaml')},line=2,col=10,title=UNSUPPORTED_VERSION::/version only version 1 of the mapping language exists`);
  });

  it('an unreadable path is a diagnostic, not a crash', async () => {
    const run = await cli(['validate', 'no/such/dir']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('no/such/dir error FILE_UNREADABLE / cannot read no/such/dir: ENOENT');
  });

  it('bad usage exits 1 with the usage text', async () => {
    const run = await cli(['validate', '--format', 'xml']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/--format must be one of text, json, github[\s\S]*Usage:/);
    expect((await cli(['frobnicate'])).stderr).toContain('unknown command "frobnicate"');
    expect((await cli(['help'])).code).toBe(0);
  });
});
