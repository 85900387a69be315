import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { COMMAND_USAGE } from '../../src/cli/usage';
import { cli } from '../helpers/cli';
import { ROOT } from '../helpers/engine';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const COMMANDS = [...COMMAND_USAGE.keys()];

describe('segment-braze --version and --help', () => {
  it('--version and -v print package.json’s version', async () => {
    for (const flag of ['--version', '-v']) expect(await cli([flag])).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  it('has a usage for every command the overview lists', async () => {
    const overview = (await cli(['--help'])).stdout;
    const listed = [...overview.matchAll(/^ {2}([a-z][a-z-]+) /gm)].map((m) => m[1]).filter((c) => c !== 'help');
    expect(listed.sort()).toEqual([...COMMANDS].sort());
  });

  it.each(COMMANDS)('%s: --help, -h and `help <command>` print its usage and exit 0', async (command) => {
    for (const args of [[command, '--help'], [command, '-h'], ['help', command], [command, 'list', '--bogus', '--help']]) {
      const run = await cli(args);
      expect({ args, code: run.code, stderr: run.stderr }).toEqual({ args, code: 0, stderr: '' });
      expect(run.stdout).toBe(COMMAND_USAGE.get(command));
      expect(run.stdout.startsWith(`Usage: segment-braze ${command} `)).toBe(true);
    }
  });

  it('help without a command is the overview; help for an unknown one is an error', async () => {
    expect(await cli(['help'])).toEqual(await cli(['--help']));
    expect(await cli(['help', 'deploy'])).toMatchObject({ code: 1, stdout: '', stderr: expect.stringMatching(/^segment-braze: unknown command "deploy"\n/) });
    expect(await cli([])).toMatchObject({ code: 1 });
  });

  it('a wrong option prints the error and that command’s usage, exit 1', async () => {
    const run = await cli(['validate', '--colour']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^segment-braze: Unknown option '--colour'/);
    expect(run.stderr).toContain(COMMAND_USAGE.get('validate'));
  });

  it('`--` ends the options: a file named --help is a file', async () => {
    const run = await cli(['map', '--', '--help']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/--help/);
  });

  it('works from the installed bin, exit codes included', async () => {
    const bin = join(ROOT, 'bin', 'segment-braze.js');
    const run = (...args: string[]) => promisify(execFile)(process.execPath, [bin, ...args], { cwd: ROOT });
    expect((await run('--version')).stdout).toBe(`${VERSION}\n`);
    expect((await run('validate', '--help')).stdout).toBe(COMMAND_USAGE.get('validate'));
    await expect(run('validate', '--nope')).rejects.toMatchObject({ code: 1 });
  });
});
