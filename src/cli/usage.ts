import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const DATA_DIR_OPTION = `  --data-dir DIR              the service's DATA_DIR (default: $DATA_DIR, else ./data); works beside a running service
                              With QUEUE=redis in the environment, the service's Redis instead
                              (REDIS_URL, REDIS_PREFIX as the service reads them; no --data-dir)`;

/** Each command's own usage, as `segment-braze <command> --help` prints it. */
export const COMMAND_USAGE: ReadonlyMap<string, string> = new Map([
  [
    'validate',
    `Usage: segment-braze validate [PATH...] [--format text|json|github]

Checks mapping files (default: mappings/): schema, compilation and every example.
  --format text|json|github   output format (default text, with code frames; github: Actions annotations)

Exit status: 0 clean (warnings allowed), 1 errors.
`,
  ],
  [
    'map',
    `Usage: segment-braze map [--mappings DIR] [--trace] [FILE]

Maps NDJSON Segment messages (FILE, or stdin) to one JSON line each, in order:
{"messageId", "requests", "warnings"?} or {"messageId", "line", "error": {"code", "message"}}.
  --mappings DIR              mapping directory or file (default: mappings)
  --trace                     add which rules matched and which paths fed which fields

Exit status: 0 all mapped, 2 some did not (summary on stderr), 1 invalid mappings or unreadable input.
`,
  ],
  [
    'playground',
    `Usage: segment-braze playground [--mappings DIR] [--port N]

Serves a page on 127.0.0.1 to edit mappings and see, as you type, the Braze requests, the
diagnostics, the trace and the examples' verdicts. Prints the URL and opens nothing. No
queue, no Braze, nothing stored: edits stay in the page (copy or download them).
  --mappings DIR              the mapping set the page opens with (default: mappings)
  --port N                    the port (default 4180; 0: any free one)

Exit status: 0 stopped (Ctrl-C), 1 no mapping files or the port is taken.
`,
  ],
  [
    'dead-letters',
    `Usage: segment-braze dead-letters list|show ID|replay ID...|purge ID... [options]

Inspects and replays the Braze work that failed, in the service's store.
  list                        id, time, endpoint/array, message, user, reason
  show ID                     the object and the original Segment message
  replay ID...|--all          back into the queue as stored (after fixing a key)
  purge ID...|--all           delete them
${DATA_DIR_OPTION}
  --all                       replay/purge every dead letter
  --remap                     replay: map the stored Segment message again with --mappings
  --mappings DIR              the mapping for --remap (default: $MAPPINGS_DIR, else mappings)
  --limit N, --json           list: how many (default 50), and JSON output

Exit status: 0 done, 2 some not replayed, 1 errors.
`,
  ],
  [
    'dry-run',
    `Usage: segment-braze dry-run list|show ID|purge ID... [options]

Reads the requests a service without BRAZE_REST_ENDPOINT/BRAZE_API_KEY built and kept
instead of sending them (the most recent 10,000).
  list                        id, time, endpoint and objects per request, most recent first
  show ID                     one request's body, as it would have been sent
  purge ID...|--all           delete them
${DATA_DIR_OPTION}
  --all                       purge every kept request
  --limit N, --json           list: how many (default 50), and JSON output with the bodies

Exit status: 0 done, 1 errors.
`,
  ],
  [
    'dropped',
    `Usage: segment-braze dropped list|show ID|purge ID... [options]

Reads the accepted messages the mapping made no Braze object of, on purpose, with the code
that says why (EACH_EMPTY, ALL_ITEMS_SKIPPED, NO_OBJECTS; the most recent 10,000). Each is
also counted in segment_braze_messages_dropped_total{code}.
  list                        id, time, code, messageId and user, most recent first
  show ID                     one of them, with the Segment message as it was stored
  purge ID...|--all           delete them
${DATA_DIR_OPTION}
  --all                       purge every kept record
  --limit N, --json           list: how many (default 50), and JSON output with the messages and the counts by code

Exit status: 0 done, 1 errors.
`,
  ],
  [
    'memory',
    `Usage: segment-braze memory show USER|forget USER...|forget --all [options]

What the service remembers Braze accepted of a user's attributes: an attribute whose value
is unchanged is left out of the next update (README, Sending only what changed). Forget a
user when their profile was changed in Braze by another source: the next update sends
every attribute again. USER is a Braze identifier key (external_id:ID, user_alias:NAME:LABEL,
braze_id:ID, email:ADDRESS, phone:NUMBER); a bare ID is an external_id.
  show USER                   attribute, fingerprint and event time of each remembered value
  forget USER...|--all        forget these users, or everyone
${DATA_DIR_OPTION}
  --json                      show: JSON output

Exit status: 0 done, 1 errors.
`,
  ],
]);

export const USAGE = `Usage: segment-braze <command> [options]

Commands:
  validate [PATH...]          check mapping files (default: mappings/): schema, compile, examples
  map [--mappings DIR] [FILE] map NDJSON Segment messages (FILE, or stdin) to NDJSON Braze requests
  playground [--mappings DIR] [--port N]
                              a local page to edit mappings and see requests, diagnostics, trace
  dead-letters list|show|replay|purge
                              inspect and replay failed Braze work in the service's store
  dry-run list|show|purge     read the requests a dry-run service built instead of sending them
  dropped list|show|purge     read the accepted messages the mapping made nothing of, and why
  memory show|forget          what is remembered of a user's attributes in Braze; forget it
  help [COMMAND]              show this text, or a command's

Options:
  --help, -h                  this text; after a command, that command's usage
  --version, -v               the version

Exit status: validate 0 clean, 1 errors; map 0 all mapped, 2 some failed, 1 unusable mappings or input;
dead-letters 0 done, 2 some not replayed, 1 errors; dry-run, dropped and memory 0 done, 1 errors;
playground 0 stopped, 1 cannot start.
`;

/** Whether the arguments ask for help: `--help` or `-h` before any `--`. */
export function asksForHelp(args: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}

/** The version package.json states: `../../package.json` from src/cli and from dist/cli alike. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
}
