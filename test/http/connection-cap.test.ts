import { execSync } from 'node:child_process';
import { connectionCap, FALLBACK_MAX_CONNECTIONS, openFileLimit, reservedDescriptors } from '../../src/http/connection-cap';
import { checkingIntervalMs, requestTimeoutMs } from '../../src/http/front-door';

describe('the connection cap', () => {
  it('is derived from the open-file limit, leaving a quarter of it (at least 128) to the store, Redis and Braze', () => {
    expect(connectionCap('derived', 1024)).toEqual({ maxConnections: 768, reason: 'open-file limit 1024, 256 kept for the store, Redis and Braze' });
    expect(connectionCap('derived', 20000).maxConnections).toBe(15000);
    expect(connectionCap('derived', 256).maxConnections).toBe(128);
    expect(connectionCap('derived', 100).maxConnections).toBe(16);
    expect(connectionCap('derived', undefined)).toEqual({ maxConnections: FALLBACK_MAX_CONNECTIONS, reason: expect.stringMatching(/unlimited or unknown/) });
    expect(reservedDescriptors(1_048_576)).toBe(262_144);
  });

  it('is the setting when there is one: 0 for none, and says when it leaves the rest of the process too little', () => {
    expect(connectionCap(0, 1024)).toEqual({ maxConnections: 0, reason: 'no cap (HTTP_MAX_CONNECTIONS=0)' });
    expect(connectionCap(500, 1024)).toEqual({ maxConnections: 500, reason: 'HTTP_MAX_CONNECTIONS=500' });
    expect(connectionCap(1000, 1024).reason).toMatch(/HTTP_MAX_CONNECTIONS=1000, which leaves the rest of the process less than 256 of the open-file limit 1024/);
  });

  it("reads this process's open-file limit, as the shell it starts sees it", () => {
    const shell = execSync('ulimit -n', { encoding: 'utf8' }).trim();
    expect(openFileLimit()).toBe(shell === 'unlimited' ? undefined : Number(shell));
  });
});

describe("Node's own timeouts", () => {
  it('checks for expired headers a tenth of the header timeout apart, within 10 ms and 1 s', () => {
    expect(checkingIntervalMs(10_000)).toBe(1000);
    expect(checkingIntervalMs(300)).toBe(30);
    expect(checkingIntervalMs(100)).toBe(10);
    expect(checkingIntervalMs(600_000)).toBe(1000);
  });

  it("leaves the body reader's deadline to answer first: headers, body and a second", () => {
    expect(requestTimeoutMs({ headersTimeoutMs: 10_000, bodyTimeoutMs: 20_000 })).toBe(31_000);
  });
});
