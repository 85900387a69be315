import { parseArgs } from 'node:util';
import { FORMATS, Format } from './diagnostic-format';
import { CliIo, processIo } from './io';
import { deadLettersCommand } from './dead-letters.command';
import { mapCommand } from './map.command';
import { validateCommand } from './validate.command';

const USAGE = `Usage: segment-braze <command> [options]

Commands:
  validate [PATH...]        Check mapping files (default: mappings/): schema, compile, examples.
      --format text|json|github   Output format (default text; github = Actions annotations).
  map [--mappings DIR] [FILE]
                            Map NDJSON Segment messages (FILE, or stdin) to NDJSON Braze requests.
      --mappings DIR        Mapping directory or file (default: mappings).
      --trace               Add which rules matched and which paths fed which fields.
  dead-letters list|show ID|replay ID...|purge ID...
                            Inspect and replay failed Braze work in the service's store.
      --data-dir DIR        The service's DATA_DIR (default: $DATA_DIR or ./data).
      --all                 replay/purge every dead letter.
      --remap               replay: map the stored Segment message again with --mappings.
      --limit N, --json     list: how many, and JSON output.
  help                      Show this text.

Exit status: validate 0 clean, 1 errors; map 0 all mapped, 2 some failed, 1 unusable mappings/input;
dead-letters 0 done, 2 some not replayed, 1 errors.
`;

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
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
      case 'dead-letters': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: {
            'data-dir': { type: 'string', default: process.env.DATA_DIR ?? './data' },
            all: { type: 'boolean', default: false },
            remap: { type: 'boolean', default: false },
            mappings: { type: 'string', default: process.env.MAPPINGS_DIR ?? 'mappings' },
            limit: { type: 'string', default: '50' },
            json: { type: 'boolean', default: false },
          },
        });
        const [action = 'list', ...ids] = positionals;
        return await deadLettersCommand(
          { action, ids, dataDir: values['data-dir']!, all: values.all!, remap: values.remap!, mappings: values.mappings!, limit: Number(values.limit) || 50, json: values.json! },
          io,
        );
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout(USAGE);
        return command === undefined ? 1 : 0;
      default:
        throw new TypeError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof TypeError) {
      io.stderr(`segment-braze: ${error.message}\n\n${USAGE}`);
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
