import { startBrazeSandbox } from './braze-sandbox';

/**
 * `npm run braze-sandbox`: a local Braze for trying the service without a Braze account.
 * SANDBOX_PORT (default 4010), SANDBOX_API_KEY (default sandbox-key).
 * Point the service at it: BRAZE_REST_ENDPOINT=http://127.0.0.1:4010 BRAZE_API_KEY=sandbox-key.
 */
async function main(): Promise<void> {
  const sandbox = await startBrazeSandbox({
    port: Number(process.env.SANDBOX_PORT ?? 4010),
    apiKey: process.env.SANDBOX_API_KEY ?? 'sandbox-key',
    log: (line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`),
  });
  process.stdout.write(`Braze sandbox listening on ${sandbox.url} (POST /users/track, /users/identify, /users/alias/new)\n`);
  const stop = () => void sandbox.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
