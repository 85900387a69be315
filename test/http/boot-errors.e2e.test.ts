import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { boot, exited, freshDir, spawnService, stop } from '../helpers/service-process';

jest.setTimeout(60_000);

/** Starts the real process and answers what it wrote to stderr, once it has exited 1. */
async function refusal(env: Record<string, string>): Promise<string> {
  const service = spawnService({ DATA_DIR: freshDir('sb-boot-'), LOG_LEVEL: 'info', ...env });
  let stderr = '';
  service.child.stderr!.on('data', (d) => (stderr += d));
  expect(await exited(service.child)).toBe(1);
  return stderr;
}

/** One line, naming the variable, and no stack trace. */
const oneLine = (variable: string) => new RegExp(`^segment-braze: ${variable}[^\\n]*\\n$`);

describe('a service that cannot start says why in one line', () => {
  it('HOST that is not an IP address and does not resolve', async () => {
    expect(await refusal({ HOST: '999.1.1.1' })).toMatch(oneLine('HOST "999\\.1\\.1\\.1" is not a valid IP address and does not resolve'));
    expect(await refusal({ HOST: 'no-such-host.invalid' })).toMatch(oneLine('HOST "no-such-host\\.invalid" is not an IP address and does not resolve'));
  });

  it('PORT in use', async () => {
    const other = createServer();
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = other.address() as { port: number };
      expect(await refusal({ PORT: String(port) })).toMatch(oneLine(`PORT ${port} is in use on HOST 127\\.0\\.0\\.1`));
    } finally {
      other.close();
    }
  });

  it('DATA_DIR that is a file', async () => {
    const file = join(freshDir('sb-boot-'), 'not-a-dir');
    writeFileSync(file, '');
    expect(await refusal({ DATA_DIR: file })).toMatch(oneLine('DATA_DIR .*not-a-dir is not a directory'));
    expect(await refusal({ DATA_DIR: join(file, 'below') })).toMatch(oneLine('DATA_DIR .*not-a-dir/below is not a directory'));
  });
});

/** The messages of the pino lines at level warn. */
const warningsIn = (output: string) =>
  output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: number; msg: string })
    .filter((l) => l.level === 40)
    .map((l) => l.msg);

describe('unknown settings', () => {
  it('warns at boot about a misspelt setting, naming the one meant and never its value', async () => {
    const { child, output } = await boot({ LOG_LEVEL: 'info', DATA_DIR: freshDir('sb-boot-'), BRAZE_APIKEY: 'misspelt-key-value-123' });
    await stop(child);
    expect(warningsIn(output())).toContain('BRAZE_APIKEY is not a setting; did you mean BRAZE_API_KEY?');
    expect(output()).not.toContain('misspelt-key-value-123');
  });

  it('boots with INBOX_EXPANDER=loop, a setting now gone, and says so once', async () => {
    const { child, output } = await boot({ LOG_LEVEL: 'info', DATA_DIR: freshDir('sb-boot-'), INBOX_EXPANDER: 'loop' });
    await stop(child);
    expect(warningsIn(output()).filter((w) => w.includes('INBOX_EXPANDER'))).toEqual(['INBOX_EXPANDER is gone: the expansion always runs on its own thread; remove the setting']);
  });

  it('adds the hint to a configuration error it may have caused', async () => {
    const stderr = await refusal({ BRAZE_REST_ENDPOINT: 'http://127.0.0.1:9', BRAZE_APIKEY: 'misspelt-key-value-123' });
    expect(stderr).toMatch(/BRAZE_REST_ENDPOINT and BRAZE_API_KEY go together/);
    expect(stderr).toMatch(/\n {2}BRAZE_APIKEY is not a setting; did you mean BRAZE_API_KEY\?\n/);
    expect(stderr).not.toContain('misspelt-key-value-123');
  });
});
