import { startBrazeSandbox } from './braze-sandbox';

/**
 * `npm run braze-sandbox`: a local Braze for trying the service without a Braze account.
 * SANDBOX_PORT (default 4010), SANDBOX_API_KEY (default sandbox-key), SANDBOX_TRACK_LIMITS
 * (default 75: objects per /users/track request across its arrays, 50 as on MAU plans;
 * `legacy`: 75 per array),
 * SANDBOX_UNKNOWN_KEY_STATUS (401, the default, or 404).
 * Point the service at it: BRAZE_REST_ENDPOINT=http://127.0.0.1:4010 BRAZE_API_KEY=sandbox-key.
 */
async function main(): Promise<void> {
  const legacy = process.env.SANDBOX_TRACK_LIMITS === 'legacy';
  const combined = legacy ? 75 : Number(process.env.SANDBOX_TRACK_LIMITS ?? 75);
  if (!Number.isInteger(combined) || combined < 1) throw new Error(`SANDBOX_TRACK_LIMITS must be legacy or a number of objects (got "${process.env.SANDBOX_TRACK_LIMITS}")`);
  const sandbox = await startBrazeSandbox({
    port: Number(process.env.SANDBOX_PORT ?? 4010),
    apiKey: process.env.SANDBOX_API_KEY ?? 'sandbox-key',
    limits: legacy ? { trackCombined: null } : { trackArray: Math.min(75, combined), trackCombined: combined },
    unknownKeyStatus: process.env.SANDBOX_UNKNOWN_KEY_STATUS === '404' ? 404 : 401,
    log: (line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`),
  });
  process.stdout.write(`Braze sandbox listening on ${sandbox.url} (POST /users/track, /users/identify, /users/alias/new; /users/track limit: ${legacy ? '75 per array' : `${combined} combined`})\n`);
  const stop = () => void sandbox.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: Error) => {
  process.stderr.write(`braze-sandbox: ${error.message}\n`);
  process.exit(1);
});
