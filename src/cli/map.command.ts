import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { compileMappingSet, hasErrors, mapMessage, MappingPlan } from '../engine';
import { readMappingSources } from '../mapping/mapping-files';
import { formatDiagnostics } from './diagnostic-format';
import { CliIo } from './io';

export interface MapCommandOptions {
  mappings: string;
  file?: string;
  trace: boolean;
}

interface Tally {
  lines: number;
  mapped: number;
  withWarnings: number;
  failed: number;
}

function messageIdOf(message: unknown): unknown {
  const id = message !== null && typeof message === 'object' ? (message as { messageId?: unknown }).messageId : undefined;
  return id === undefined ? null : id;
}

/** One output line per input line; never throws for bad input. */
export function mapLine(plan: MappingPlan, line: string, lineNumber: number, trace: boolean, tally: Tally): string {
  let message: unknown;
  try {
    message = JSON.parse(line);
  } catch (error) {
    tally.failed++;
    return JSON.stringify({ messageId: null, line: lineNumber, error: { code: 'INVALID_JSON', message: (error as Error).message } });
  }
  const result = mapMessage(plan, message, { trace });
  const messageId = messageIdOf(message);
  const extra = { ...(result.warnings.length > 0 ? { warnings: result.warnings } : {}), ...(result.trace ? { trace: result.trace } : {}) };
  if (!result.ok) {
    tally.failed++;
    return JSON.stringify({ messageId, line: lineNumber, error: result.error, ...extra });
  }
  let text: string;
  try {
    text = JSON.stringify({ messageId, requests: result.requests, ...extra });
  } catch (error) {
    // Absurdly nested input maps fine but cannot be written back as JSON.
    tally.failed++;
    return JSON.stringify({ messageId: typeof messageId === 'string' ? messageId : null, line: lineNumber, error: { code: 'INVALID_MESSAGE', message: `the mapped requests cannot be written as JSON: ${(error as Error).message}` } });
  }
  tally.mapped++;
  if (result.warnings.length > 0) tally.withWarnings++;
  return text;
}

async function openInput(file: string | undefined, io: CliIo): Promise<Readable> {
  if (file === undefined || file === '-') return io.stdin;
  const stream = createReadStream(file);
  await once(stream, 'open');
  return stream;
}

/**
 * Streams NDJSON Segment messages to NDJSON Braze requests. Exit 0 when every line mapped,
 * 2 when some did not, 1 when the mappings are invalid or the input cannot be read.
 */
export async function mapCommand(options: MapCommandOptions, io: CliIo): Promise<number> {
  const read = await readMappingSources([options.mappings], io.cwd);
  const compiled = compileMappingSet(read.sources);
  const diagnostics = [...read.diagnostics, ...compiled.diagnostics];
  if (hasErrors(diagnostics) || !compiled.plan) {
    io.stderr(formatDiagnostics(diagnostics, 'text', new Map(read.sources.map((s) => [s.file, s.text])), {}));
    io.stderr(`map: the mappings in ${options.mappings} are invalid; nothing was mapped\n`);
    return 1;
  }
  let input: Readable;
  try {
    input = await openInput(options.file, io);
  } catch (error) {
    io.stderr(`map: cannot read ${options.file}: ${(error as NodeJS.ErrnoException).code ?? error}\n`);
    return 1;
  }
  const plan = compiled.plan;
  const tally: Tally = { lines: 0, mapped: 0, withWarnings: 0, failed: 0 };
  let buffer = '';
  const flush = async () => {
    if (buffer === '') return;
    const ok = io.out.write(buffer);
    buffer = '';
    if (!ok) await once(io.out, 'drain');
  };
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNumber = 0;
  try {
    for await (const raw of lines) {
      lineNumber++;
      // A byte-order mark may open a file saved by a Windows editor.
      const line = lineNumber === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      if (line.trim() === '') continue;
      tally.lines++;
      buffer += mapLine(plan, line, lineNumber, options.trace, tally) + '\n';
      if (buffer.length > 1 << 16) await flush();
    }
  } catch (error) {
    await flush();
    io.stderr(`map: reading the input failed after line ${lineNumber}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}\n`);
    return 1;
  }
  await flush();
  const warned = tally.withWarnings > 0 ? ` (${tally.withWarnings} with warnings)` : '';
  io.stderr(`map: ${tally.lines} message(s): ${tally.mapped} mapped${warned}, ${tally.failed} failed\n`);
  return tally.failed > 0 ? 2 : 0;
}
