import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { compileMappingSet, MappingPlan, MappingSource } from '../engine';
import { LogPosition } from '../queue/inbox-reader';
import { SqliteQueue } from '../queue/sqlite-queue.adapter';
import { FromExpander, ExpanderThreadData, ToExpander } from './expander-messages';
import { InboxExpander } from './inbox-expander';

/**
 * The expansion thread: its own SQLite connection, its own reader of the inbox, its own
 * compiled plan. The service told it where completed appends end and what mapping serves;
 * it reports each committed transaction back, for the metrics and to wake delivery.
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

let plan = compile(data.sources);
let writeEnd: LogPosition = data.writeEnd;
const store = new SqliteQueue(data.dataDir, () => Date.now(), { synchronous: data.synchronous, beside: true });
const inbox = store.inboxSourceBeside(() => writeEnd);

// The service's loop, as it last reported. Under saturation the thread holds back: on a
// machine with few cores a thread that never sleeps crowds the request path and its clients
// onto fewer cores (2 cores here: a nice-19 spinner cut the bare ceiling's rate by a quarter).
let saturated = false;

const expander = new InboxExpander({ inbox, queue: store }, () => plan, { batchMessages: data.batchMessages, shareUnderLoad: data.shareUnderLoad, saturated: () => saturated }, {
  expanded: (report) => post({ type: 'expanded', ...report }),
  warn: (message) => post({ type: 'warn', message }),
});

port.on('message', (message: ToExpander) => {
  if (message.type === 'appended') {
    writeEnd = message.writeEnd;
    expander.kick();
  } else if (message.type === 'load') {
    saturated = message.saturated;
  } else if (message.type === 'mappings') {
    plan = compile(message.sources);
  } else if (message.type === 'stop') {
    void expander.stop().then(() => {
      inbox.close();
      return store.close();
    }).then(() => {
      port.close(); // nothing left to keep the thread alive: it exits, which is what the service waits for
    });
  }
});
expander.start();
