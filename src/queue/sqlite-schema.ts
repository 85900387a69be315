/**
 * Accepted requests wait in the inbox log beside this file (inbox-log.ts) until they are made into work.
 * One row per Braze object in `work` (the unit that is leased, retried and dead-lettered).
 * Each row carries the original Segment message, so a dead letter can be re-mapped after a
 * mapping fix; most messages make one object, so this costs no second table on the ingest path.
 */
export const SCHEMA = `
-- How far the inbox log (DATA_DIR/inbox) has been made into work: updated in the same transaction as that work.
CREATE TABLE IF NOT EXISTS inbox_position (id INTEGER PRIMARY KEY CHECK (id = 1), segment INTEGER NOT NULL, offset INTEGER NOT NULL);
INSERT OR IGNORE INTO inbox_position (id, segment, offset) VALUES (1, 1, 0);
CREATE TABLE IF NOT EXISTS dedup (
  message_id TEXT PRIMARY KEY,
  received_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS work (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id TEXT NOT NULL,
  user_key TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  arr TEXT NOT NULL,
  options TEXT,
  object TEXT NOT NULL,
  position INTEGER NOT NULL,
  merge_key TEXT,
  -- The message's event time (epoch ms) and the changes-only policy as JSON; NULL: none, send everything (WorkObject).
  event_time INTEGER,
  changes_only TEXT,
  enqueued_at INTEGER NOT NULL,
  payload TEXT,
  -- 0: pending; otherwise the id of the lease that holds it (leases.id).
  state INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  not_before INTEGER NOT NULL DEFAULT 0
);
-- Leases read the head in id order (see lease()); a per-user index cost a random B-tree write per object.
DROP INDEX IF EXISTS work_user;
-- Appended in order (enqueued_at only grows), so cheap to keep: it lets stats count rows and find the oldest without reading them.
CREATE INDEX IF NOT EXISTS work_enqueued ON work(enqueued_at);
-- Who holds which work rows until when (epoch ms); the ids, as a JSON array, let the sweep give them back without reading \`work\`.
CREATE TABLE IF NOT EXISTS leases (id INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL, expires_at INTEGER NOT NULL, items TEXT NOT NULL, n INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS dead_letters (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id TEXT NOT NULL,
  user_key TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  arr TEXT NOT NULL,
  options TEXT,
  object TEXT NOT NULL,
  position INTEGER NOT NULL,
  merge_key TEXT,
  payload TEXT,
  attempts INTEGER NOT NULL,
  reason TEXT NOT NULL,
  status INTEGER,
  failed_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS merged_aliases (merge_key TEXT PRIMARY KEY, merged_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dry_run (id INTEGER PRIMARY KEY AUTOINCREMENT, endpoint TEXT NOT NULL, body TEXT NOT NULL, at INTEGER NOT NULL);
-- Accepted messages the mapping made nothing of, on purpose (EACH_EMPTY, …): the most recent 10,000, for segment-braze dropped.
CREATE TABLE IF NOT EXISTS dropped (id INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT NOT NULL, user_key TEXT NOT NULL, code TEXT NOT NULL, payload TEXT, at INTEGER NOT NULL);
`;

/** The columns `work` and `dead_letters` share, as better-sqlite3 returns them: a Braze object and where it came from. */
export interface StoredObjectRow {
  id: number;
  message_id: string;
  user_key: string;
  endpoint: string;
  arr: string;
  options: string | null;
  object: string;
  position: number;
  attempts: number;
  merge_key: string | null;
}

/** The columns only \`work\` has, read with a lease. */
export interface WorkRow extends StoredObjectRow {
  event_time: number | null;
  changes_only: string | null;
}

/** Columns added to \`work\` after stores were in use: added when missing, NULL in older rows (which then send everything). */
export const WORK_COLUMNS_ADDED: readonly [name: string, type: string][] = [
  ['event_time', 'INTEGER'],
  ['changes_only', 'TEXT'],
];
