import { BrazeRequest, compileMappingSet, Diagnostic, ExampleOutcome, mapMessage, MapTrace, MapWarning, MappingSource } from '../engine';
import { isJsonObject } from '../engine/json';
import { pack, PackLimits } from '../delivery/pack';
import { userKeyOf } from '../ingest/admit';
import { WorkId, WorkItem } from '../queue/ports/work-queue.port';
import { workObjectsOf } from '../queue/work-objects';
import { readInput } from './playground-input';

/** What the page sends: the files as edited, and the input pane's text. */
export interface PlaygroundRequest {
  readonly files: readonly MappingSource[];
  readonly input: string;
}

/** One input message, as `map --trace` answers it. */
export interface MessageOutcome {
  readonly index: number;
  readonly messageId: unknown;
  readonly requests?: BrazeRequest[];
  readonly error?: { code: string; message: string };
  readonly warnings: MapWarning[];
  readonly trace?: MapTrace;
}

/**
 * With the changes-only memory on, the attributes delivery would leave out. The memory is
 * issue 15's: until it is built the playground is given none and answers `available: false`.
 * An implementation is handed the packed requests and answers per user what it would drop.
 */
export interface ChangesOnlyPreview {
  leftOut(requests: readonly BrazeRequest[]): Promise<{ user: string; attributes: string[] }[]> | { user: string; attributes: string[] }[];
}

export type ChangesOnlyAnswer = { readonly available: false; readonly note: string } | { readonly available: true; readonly leftOut: { user: string; attributes: string[] }[] };

export interface PlaygroundAnswer {
  /** As `validate` reports them; examples' failures are among them. */
  readonly diagnostics: Diagnostic[];
  readonly examples: ExampleOutcome[];
  /** The input pane could not be read. */
  readonly inputError?: { code: string; message: string; line: number };
  readonly messages: MessageOutcome[];
  /** The Braze requests as delivery would send them, had these messages been leased in one round. */
  readonly requests: BrazeRequest[];
  readonly changesOnly: ChangesOnlyAnswer;
  readonly timings: { compileMs: number; mapMs: number };
}

export const NO_CHANGES_ONLY: ChangesOnlyAnswer = { available: false, note: 'the changes-only memory (issue 15) is not part of this build yet' };

/** The files compiled as the playground wants them: examples run, and only reported. */
export const compileForPlayground = (files: readonly MappingSource[]) => compileMappingSet(files, { examplesGateThePlan: false });

/**
 * Compiles the edited files and maps the input. Pure but for the clock it reads for timings;
 * never throws for any text. `compile` may answer from a cache: typing in the input pane
 * leaves the files as they were.
 */
export function runPlayground(
  request: PlaygroundRequest,
  limits: PackLimits,
  compile: typeof compileForPlayground = compileForPlayground,
  now: () => number = performance.now.bind(performance),
): Omit<PlaygroundAnswer, 'changesOnly'> {
  const started = now();
  const compiled = compile(request.files);
  const compileMs = now() - started;
  const base = { diagnostics: compiled.diagnostics, examples: compiled.examples };
  const input = readInput(request.input);
  if (!input.ok) return { ...base, inputError: input.error, messages: [], requests: [], timings: { compileMs, mapMs: 0 } };
  const plan = compiled.plan;
  if (!plan) return { ...base, messages: [], requests: [], timings: { compileMs, mapMs: 0 } };

  const mapStarted = now();
  const items: WorkItem[] = [];
  const messages = input.messages.map((message, index): MessageOutcome => {
    const result = mapMessage(plan, message, { trace: true });
    const messageId = isJsonObject(message) && message.messageId !== undefined ? message.messageId : null;
    if (!result.ok) return { index, messageId, error: result.error, warnings: result.warnings, trace: result.trace };
    const userKey = userKeyOf(message as Parameters<typeof userKeyOf>[0]);
    for (const object of workObjectsOf(result.requests)) {
      items.push({ ...object, id: `${index}.${items.length}` as WorkId, messageId: String(messageId ?? index), userKey, options: object.options ?? {}, attempts: 0 });
    }
    return { index, messageId, requests: result.requests, warnings: result.warnings, trace: result.trace };
  });
  // delivery's own packing: a request's `placed` is delivery's bookkeeping, not what Braze receives.
  const requests = pack(items, limits).map(({ endpoint, body }) => ({ endpoint, body }));
  return { ...base, messages, requests, timings: { compileMs, mapMs: now() - mapStarted } };
}
