import { MappingPlan } from '../engine';
import { InboxLog } from '../queue/inbox-log';
import { SqliteQueue } from '../queue/sqlite-queue.adapter';
import { ExpanderObserver, ExpanderOptions, InboxExpander } from './inbox-expander';
import { ExpansionHost } from './expansion-host';

/** The inbox expanded on the request path's own event loop (`INBOX_EXPANDER=loop`), woken by each append. */
export class LoopExpansion implements ExpansionHost {
  private readonly expander: InboxExpander;

  constructor(
    store: SqliteQueue,
    private readonly inbox: InboxLog,
    plan: () => MappingPlan,
    options: Omit<ExpanderOptions, 'load'>,
    observer: ExpanderObserver,
  ) {
    this.expander = new InboxExpander({ inbox: store.inboxSource(), queue: store }, plan, options, observer);
  }

  start(): void {
    this.inbox.onAccepted = () => this.expander.kick();
    this.expander.start();
  }

  stop(): Promise<void> {
    this.inbox.onAccepted = null;
    return this.expander.stop();
  }
}
