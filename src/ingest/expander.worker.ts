import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { compileMappingSet, MappingPlan, MappingSource } from '../engine';
import { LogPosition } from '../queue/inbox-reader';
import { RedisInboxSource } from '../queue/redis/redis-inbox';
import { RedisWorkQueue } from '../queue/redis/redis-work-queue';
import { SqliteQueue } from '../queue/sqlite-queue.adapter';
import { FromExpander, ExpanderThreadData, ExpansionStoreData, ToExpander } from './expander-messages';
import { ExpansionEnds, InboxExpander } from './inbox-expander';

/**
 * The expansion thread: its own connection to the store, its own reader of the inbox, its
 * own compiled plan. The service told it what mapping serves (and, for the local inbox, where
 * completed appends end); it reports each committed transaction back, for the metrics and to
 * wake delivery.
 */
const port = parentPort!;
const data = workerData as ExpanderThreadData;
const post = (message: FromExpander) => port.postMessage(message);

function compile(sources: readonly MappingSource[]): MappingPlan {
  const { plan } = compileMappingSet(sources);
  // The service compiled these same texts before sending them: no plan here would be a bug, not a user's typo.
  if (!plan) throw new Error('the mapping the service serves did not compile on the expansion thread');
  return plan;
}

/**
 * Below the request path's priority: with a core to spare this changes nothing; where the
 * two compete for one, acknowledging requests wins (about 10:1 at nice 10 under Linux's
 * scheduler) and the backlog waits on disk. On Linux this sets the calling thread only.
 */
const NICE = 10;
try {
  setPriority(NICE);
} catch {
  // not permitted here: run at the service's priority
}

/** The SQLite store beside the service, read up to what the service said was appended; or the Redis inbox as this instance's reader. */
async function openEnds(store: ExpansionStoreData, writeEnd: () => LogPosition): Promise<ExpansionEnds & { close(): Promise<void> }> {
  if (store.kind === 'redis') {
    const queue = await RedisWorkQueue.open(store.url, () => Date.now(), { prefix: store.prefix });
    const inbox = new RedisInboxSource(queue, store.consumer, { claimAfterMs: store.claimAfterMs });
    return { inbox, queue, onCommitted: (listener) => queue.wakeUp.listen(listener), close: () => queue.close() };
  }
  const sqlite = new SqliteQueue(store.dataDir, () => Date.now(), { synchronous: store.synchronous, beside: true, disk: store.disk });
  const inbox = sqlite.inboxSourceBeside(writeEnd);
  const close = async () => {
    inbox.close();
    await sqlite.close();
  };
  return { inbox, queue: sqlite, close };
}

let plan = compile(data.sources);
let writeEnd = data.writeEnd;

// The service's loop, as it last reported. Under saturation the thread holds back: on a
// machine with few cores a thread that never sleeps crowds the request path and its clients
// onto fewer cores (2 cores here: a nice-19 spinner cut the bare ceiling's rate by a quarter).
let saturated = false;

// Should opening fail (Redis unreachable), the rejection ends the thread and the service starts another a second later.
const opened = openEnds(data.store, () => writeEnd!).then((ends) => {
  const expander = new InboxExpander(ends, () => plan, { batchMessages: data.batchMessages, shareUnderLoad: data.shareUnderLoad, saturated: () => saturated }, {
    expanded: (report) => post({ type: 'expanded', ...report }),
    warn: (message) => post({ type: 'warn', message }),
    failed: (message) => post({ type: 'failed', message }),
    idle: (untilKicked) => post({ type: 'idle', untilKicked, writeEnd }),
  });
  expander.start();
  return { ends, expander };
});

port.on('message', (message: ToExpander) => {
  if (message.type === 'appended') {
    writeEnd = message.writeEnd;
    void opened.then(({ expander }) => expander.kick());
  } else if (message.type === 'load') {
    saturated = message.saturated;
  } else if (message.type === 'mappings') {
    plan = compile(message.sources);
  } else if (message.type === 'stop') {
    void opened
      .then(async ({ ends, expander }) => {
        await expander.stop();
        await ends.close();
      })
      .finally(() => port.close()); // nothing left to keep the thread alive: it exits, which is what the service waits for
  }
});
