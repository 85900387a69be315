import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A small file system of the test's own, to fill: a tmpfs mounted on a fresh directory. */
export interface SmallDisk {
  readonly dir: string;
  /** Bytes an unprivileged writer could still use, as `df` counts them. */
  freeBytes(): number;
  unmount(): void;
}

/**
 * Mounts a tmpfs of `sizeMb` (the tests run as root, here and in CI). A machine where it cannot
 * be mounted fails the test with the reason: a disk-full test that skipped would prove nothing.
 */
export function mountSmallDisk(sizeMb: number): SmallDisk {
  const dir = mkdtempSync(join(tmpdir(), 'sb-small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const why = (error as { stderr?: Buffer }).stderr?.toString().trim() || (error as Error).message;
    throw new Error(`could not mount a ${sizeMb} MB tmpfs for the disk-full test (it needs root, or CAP_SYS_ADMIN): ${why}`);
  }
  return {
    dir,
    freeBytes: () => {
      const s = statfsSync(dir);
      return s.bavail * s.bsize;
    },
    unmount: () => {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
