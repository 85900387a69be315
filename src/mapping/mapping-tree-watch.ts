import { FSWatcher, watch } from 'chokidar';
import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';

/**
 * Reports every change below a mapping path (a directory or a single file), however it is
 * saved: written in place, renamed over (`sed -i`, vim, JetBrains' safe write, `git checkout`),
 * moved away and written anew, deleted and recreated, or swapped behind a symlink.
 *
 * chokidar watches each directory and each file of the tree on its own and watches a file
 * again when its inode changes, which Node 20's recursive `fs.watch` on Linux does not (it
 * loses a file once it is renamed over). What chokidar does not follow is its root being
 * replaced: a single file renamed over, a symlinked directory pointed elsewhere, a directory
 * moved into place — it keeps the old target. So the root's own entry in its parent directory
 * is watched as well, and after any event the root's real path and inode are compared with
 * the watched ones; when they differ, the tree is watched anew at its new target.
 *
 * A report only says "look again": the caller reloads the whole set and compares its hash,
 * so an event for a file that is not a mapping costs a read and nothing else.
 */
export class MappingTreeWatch {
  private tree: FSWatcher | null = null;
  private treeIdentity: string | null = null;
  private entry: FSWatcher | null = null;
  private rewatching: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly root: string;

  constructor(
    root: string,
    private readonly onChange: () => void,
    private readonly onError: (error: Error) => void,
  ) {
    this.root = resolve(root);
  }

  /** Resolves once both watches are armed: a change made after that is reported. */
  async start(): Promise<void> {
    const parent = dirname(this.root);
    const name = basename(this.root);
    // depth 0 and everything but the root ignored: the parent may be a busy directory.
    this.entry = this.armed(watch(parent, { depth: 0, ignoreInitial: true, followSymlinks: false, ignored: (path) => path !== parent && path !== this.root }));
    this.entry.on('all', (_event, path) => {
      if (path === this.root) this.changed();
    });
    this.entry.on('raw', (_event, path) => {
      if (basename(path) === name) this.changed();
    });
    await ready(this.entry);
    await this.refresh();
  }

  /** Watches the tree anew if its root now resolves to another directory or file. */
  refresh(force = false): Promise<void> {
    this.rewatching = this.rewatching.then(() => this.rewatch(force)).catch((error: Error) => this.onError(error));
    return this.rewatching;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.rewatching;
    await Promise.all([this.tree?.close(), this.entry?.close()]);
  }

  private changed(): void {
    this.onChange();
    void this.refresh();
  }

  private async rewatch(force: boolean): Promise<void> {
    const identity = await identityOf(this.root);
    if (this.closed || (identity === this.treeIdentity && !force)) return;
    await this.tree?.close();
    this.tree = null;
    this.treeIdentity = identity;
    if (identity === null) return; // gone for now: the entry watch reports its return
    const tree = this.armed(watch(await realpath(this.root), { ignoreInitial: true, followSymlinks: true }));
    // `raw` too: chokidar drops what it takes for repeats (a change within 5 ms of the last, a
    // write that leaves the mtime as it was), which without it lost 1–4 of 20 saves of most kinds.
    tree.on('all', () => this.onChange());
    tree.on('raw', () => this.onChange());
    this.tree = tree;
    await ready(tree);
  }

  private armed(watcher: FSWatcher): FSWatcher {
    return watcher.on('error', (error) => this.onError(error instanceof Error ? error : new Error(String(error))));
  }
}

/** Real path and inode: either changes when the root is swapped or replaced. */
async function identityOf(path: string): Promise<string | null> {
  try {
    const real = await realpath(path);
    return `${real}\0${(await stat(real)).ino}`;
  } catch {
    return null;
  }
}

const ready = (watcher: FSWatcher) => new Promise<void>((done) => watcher.once('ready', () => done()));
