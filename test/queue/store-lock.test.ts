import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteQueue } from '../../src/queue/sqlite-queue.adapter';
import { LEGACY_PID_FILE, StoreLockedError, takeLock } from '../../src/queue/store-lock';
import { eventually } from '../helpers/delivery';
import { ROOT } from '../helpers/engine';
import { exited, freshDir } from '../helpers/service-process';

jest.setTimeout(60_000);

const LOCK_MODULE = JSON.stringify(join(ROOT, 'dist', 'queue', 'store-lock.js'));

/** Node code for a child process that takes the lock on `dir` and says so, then holds it. */
const holder = (dir: string) => `require(${LOCK_MODULE}).takeLock(${JSON.stringify(dir)}); console.log('held ' + process.pid); setInterval(() => {}, 1000);`;

/** A process that takes the lock, whose parent never reaps it: killed, it stays a zombie until the parent ends. */
function zombieParentOfHolder(dir: string) {
  // `exec sleep` replaces the shell with a process that never calls wait().
  const parent = spawn('sh', ['-c', `"${process.execPath}" -e "$HOLDER" & exec sleep 60`], { env: { ...process.env, HOLDER: holder(dir) }, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  parent.stdout!.on('data', (d) => (output += d));
  const holderPid = async () => {
    await eventually(() => /held \d+/.test(output), 'the child to hold the lock', 20_000);
    return Number(/held (\d+)/.exec(output)![1]);
  };
  return { parent, holderPid };
}

function tryLock(dir: string): boolean {
  try {
    takeLock(dir, 0).release();
    return true;
  } catch (error) {
    if (!(error instanceof StoreLockedError)) throw error;
    return false;
  }
}

/** The directory as a killed service leaves it: its lock file there, its process gone. */
async function leftByKilledOwner(dir: string): Promise<void> {
  const owner = spawn(process.execPath, ['-e', holder(dir)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  owner.stdout!.on('data', (d) => (output += d));
  await eventually(() => output.includes('held'), 'the owner to hold the lock', 20_000);
  owner.kill('SIGKILL');
  await exited(owner);
}

const processState = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '')[0];

describe('the DATA_DIR lock', () => {
  it('is refused to a second holder in this process until released', () => {
    const dir = freshDir('sb-lock-');
    const first = takeLock(dir);
    expect(() => takeLock(dir, 0)).toThrow(StoreLockedError);
    first.release();
    takeLock(dir).release();
  });

  it('is refused to another process, and free as soon as its holder is killed, zombie or not', async () => {
    const dir = freshDir('sb-lock-');
    const { parent, holderPid } = zombieParentOfHolder(dir);
    try {
      const pid = await holderPid();
      expect(() => takeLock(dir, 0)).toThrow(/another segment-braze process owns .*owner\.lock/);
      process.kill(pid, 'SIGKILL');
      await eventually(() => processState(pid) === 'Z', 'the killed holder to be a zombie');
      // The old pid lock asked kill(pid, 0), which says a zombie is alive. The kernel drops the lock as the
      // process's last thread ends (its main thread may show Z a moment before): poll for it.
      await eventually(() => tryLock(dir), 'the lock to be free');
      expect(processState(pid)).toBe('Z');
    } finally {
      parent.kill('SIGKILL');
      await exited(parent);
    }
  });

  it('pays no attention to pids: the pid file older versions left, naming a live process, does not stop a start', async () => {
    const dir = freshDir('sb-lock-');
    writeFileSync(join(dir, LEGACY_PID_FILE), String(process.ppid));
    await new SqliteQueue(dir, () => 0).close();
  });

  it('names its owner in the pid file older versions check, so that one started beside it refuses, and removes it on release', () => {
    const dir = freshDir('sb-lock-');
    const lock = takeLock(dir);
    expect(readFileSync(join(dir, LEGACY_PID_FILE), 'utf8')).toBe(String(process.pid));
    lock.release();
    expect(existsSync(join(dir, LEGACY_PID_FILE))).toBe(false);
  });

  it('is let go when opening the store fails, so that an open in the same process can be tried again', async () => {
    const dir = freshDir('sb-lock-');
    mkdirSync(join(dir, 'segment-braze.db')); // a directory where the database should be: SQLite cannot open it
    expect(() => new SqliteQueue(dir, () => 0)).toThrow(/unable to open|directory/i);
    rmSync(join(dir, 'segment-braze.db'), { recursive: true });
    await new SqliteQueue(dir, () => 0).close(); // StoreLockedError if the failed open had kept the lock
  });

  it('leaves the store open beside its owner (the CLI, the expansion thread) and refuses a second owner', async () => {
    const dir = freshDir('sb-lock-');
    const owner = new SqliteQueue(dir, () => 0);
    const beside = new SqliteQueue(dir, () => 0, { beside: true });
    expect(await beside.stats()).toMatchObject({ pending: 0, leased: 0 });
    expect(() => new SqliteQueue(dir, () => 0)).toThrow(StoreLockedError);
    await beside.close();
    await owner.close();
    await new SqliteQueue(dir, () => 0).close();
  });

  it('goes to exactly one of 20 processes that ask at the same instant after its owner was killed, every round', async () => {
    const rounds = 5;
    const winners: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const dir = freshDir('sb-lock-race-');
      await leftByKilledOwner(dir);
      // Each racer loads, says so, then spins until the instant it is sent; the winner holds the lock until its stdin ends.
      const racer = `const { takeLock } = require(${LOCK_MODULE}); console.log('ready'); process.stdin.once('data', (at) => { while (Date.now() < Number(at)); try { takeLock(${JSON.stringify(dir)}); console.log('won'); } catch (e) { if (e.name !== 'StoreLockedError') throw e; console.log('refused'); process.exit(); } });`;
      const children = Array.from({ length: 20 }, () => spawn(process.execPath, ['-e', racer], { stdio: ['pipe', 'pipe', 'inherit'] }));
      const outputs = children.map((child) => {
        let out = '';
        child.stdout!.on('data', (d) => (out += d));
        return () => out;
      });
      await eventually(() => outputs.every((out) => out().startsWith('ready')), 'every racer to load', 30_000);
      const at = String(Date.now() + 200);
      for (const child of children) child.stdin!.write(at);
      await eventually(() => outputs.every((out) => /won|refused/.test(out())), 'every racer to answer', 30_000);
      for (const child of children) child.stdin!.end();
      await Promise.all(children.map(exited));
      winners.push(outputs.filter((out) => out().includes('won')).length);
    }
    process.stdout.write(`lock race: winners per round of 20 racers: ${winners.join(',')}\n`);
    expect(winners).toEqual(Array(rounds).fill(1));
  });
});
