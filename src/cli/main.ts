import { parseArgs } from 'node:util';
import { FORMATS, Format } from './diagnostic-format';
import { CliIo, processIo } from './io';
import { deadLettersCommand } from './dead-letters.command';
import { mapCommand } from './map.command';
import { playgroundCommand } from './playground.command';
import { memoryCommand } from './memory.command';
import { DROPPED_RECORDS } from './dropped.command';
import { DRY_RUN_RECORDS } from './dry-run.command';
import { keptRecordsCommand } from './kept-records.command';
import { asksForHelp, COMMAND_USAGE, packageVersion, USAGE } from './usage';
import { validateCommand } from './validate.command';

/** The options of the commands that open the service's store; without --data-dir, the environment says which (store-beside.ts). */
const STORE_OPTIONS = {
  'data-dir': { type: 'string' },
  all: { type: 'boolean', default: false },
  limit: { type: 'string', default: '50' },
  json: { type: 'boolean', default: false },
} as const;

function limitOf(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new TypeError(`--limit takes a whole number above 0 (got "${text}")`);
  return n;
}

/** A mistake on the command line: ours, or parseArgs' (checked by code, which holds across realms such as jest's). */
function isUsageError(error: unknown): error is Error {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof TypeError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_'));
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  const usage = command === undefined ? undefined : COMMAND_USAGE.get(command);
  try {
    if (usage !== undefined && asksForHelp(rest)) {
      io.stdout(usage);
      return 0;
    }
    switch (command) {
      case 'validate': {
        const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { format: { type: 'string', default: 'text' } } });
        if (!FORMATS.includes(values.format as Format)) throw new TypeError(`--format must be one of ${FORMATS.join(', ')}`);
        return await validateCommand(positionals, values.format as Format, io);
      }
      case 'map': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: { mappings: { type: 'string', default: 'mappings' }, trace: { type: 'boolean', default: false } },
        });
        if (positionals.length > 1) throw new TypeError('map takes at most one input file');
        return await mapCommand({ mappings: values.mappings!, file: positionals[0], trace: values.trace! }, io);
      }
      case 'playground': {
        const { values } = parseArgs({ args: rest, options: { mappings: { type: 'string', default: 'mappings' }, port: { type: 'string', default: '4180' } } });
        const port = Number(values.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`--port takes a port number, 0 for any free one (got "${values.port}")`);
        const stop = new Promise((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        return await playgroundCommand({ mappings: values.mappings!, port, stop }, io);
      }
      case 'dead-letters': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: { ...STORE_OPTIONS, remap: { type: 'boolean', default: false }, mappings: { type: 'string', default: io.env.MAPPINGS_DIR ?? 'mappings' } },
        });
        const [action = 'list', ...ids] = positionals;
        return await deadLettersCommand(
          { action, ids, dataDir: values['data-dir'], all: values.all, remap: values.remap, mappings: values.mappings, limit: limitOf(values.limit), json: values.json },
          io,
        );
      }
      case 'dry-run':
      case 'dropped': {
        const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: STORE_OPTIONS });
        const [action = 'list', ...ids] = positionals;
        const options = { action, ids, dataDir: values['data-dir'], all: values.all, limit: limitOf(values.limit), json: values.json };
        return command === 'dry-run' ? await keptRecordsCommand(DRY_RUN_RECORDS, options, io) : await keptRecordsCommand(DROPPED_RECORDS, options, io);
      }
      case 'memory': {
        const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { 'data-dir': STORE_OPTIONS['data-dir'], all: STORE_OPTIONS.all, json: STORE_OPTIONS.json } });
        const [action = 'show', ...users] = positionals;
        return await memoryCommand({ action, users, dataDir: values['data-dir'], all: values.all, json: values.json }, io);
      }
      case '--version':
      case '-v':
        io.stdout(`${packageVersion()}\n`);
        return 0;
      case 'help': {
        const about = rest[0] === undefined ? USAGE : COMMAND_USAGE.get(rest[0]);
        if (about === undefined) throw new TypeError(`unknown command "${rest[0]}"`);
        io.stdout(about);
        return 0;
      }
      case undefined:
      case '--help':
      case '-h':
        io.stdout(USAGE);
        return command === undefined ? 1 : 0;
      default:
        throw new TypeError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (isUsageError(error)) {
      // The usage of the command that was given, when there is one: it is what the reader needs.
      io.stderr(`segment-braze: ${error.message}\n\n${usage ?? USAGE}`);
      return 1;
    }
    throw error;
  }
}

/** Entry point for bin/segment-braze.js. */
export function main(): void {
  runCli(process.argv.slice(2), processIo()).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.stderr.write(`segment-braze: ${error instanceof Error ? error.stack : error}\n`);
      process.exitCode = 1;
    },
  );
}
