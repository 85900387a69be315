// jest globalTeardown: stops the redis-server redis-server.setup.ts started, if it did, and removes its files.
export default async function teardown(): Promise<void> {
  await globalThis.__SB_REDIS__?.stop();
}
