import { BrazeRequest, compileMappingSet, Diagnostic, ExampleOutcome, mapMessage, MapTrace, MapWarning, MappingSource } from '../engine';
import { isJsonObject } from '../engine/json';
import { pack, PackLimits } from '../delivery/pack';
import { userKeyOf } from '../ingest/admit';
import { WorkId, WorkItem, WorkObject } from '../queue/ports/work-queue.port';
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
 * With the changes-only memory on, what delivery would leave out of each attributes object
 * now (issue 15's `ChangesPreviewer`, the one `POST /v1/preview` uses): the service hands it
 * over, read-only; the CLI has no memory and none.
 */
export interface ChangesOnlyPreview {
  readonly enabled: boolean;
  of(objects: readonly WorkObject[]): Promise<readonly unknown[]>;
}

export type ChangesOnlyAnswer =
  | { readonly available: false; readonly note: string }
  /** Per mapped message: the previewer's answer for its attributes objects. */
  | { readonly available: true; readonly messages: readonly { readonly index: number; readonly changes: readonly unknown[] }[] };

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

/** What the run hands the server beside the page's answer: each message's objects as the queue holds them (with their changes-only policy, which a request carries only in-process). */
export interface PlaygroundRun extends Omit<PlaygroundAnswer, 'changesOnly'> {
  readonly objects: readonly (readonly WorkObject[])[];
}

export const NO_CHANGES_ONLY: ChangesOnlyAnswer = { available: false, note: 'no attribute memory here (segment-braze playground has none; the service has one with ATTRIBUTE_MEMORY on)' };

/** The previewer's view of each mapped message's objects. */
export async function changesOnlyOf(preview: ChangesOnlyPreview | undefined, run: Pick<PlaygroundRun, 'messages' | 'objects'>): Promise<ChangesOnlyAnswer> {
  if (!preview?.enabled) return NO_CHANGES_ONLY;
  const mapped = run.messages.filter((m) => m.requests !== undefined);
  return { available: true, messages: await Promise.all(mapped.map(async (m) => ({ index: m.index, changes: await preview.of(run.objects[m.index]) }))) };
}

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
): PlaygroundRun {
  const started = now();
  const compiled = compile(request.files);
  const compileMs = now() - started;
  const base = { diagnostics: compiled.diagnostics, examples: compiled.examples };
  const input = readInput(request.input);
  if (!input.ok) return { ...base, inputError: input.error, messages: [], requests: [], objects: [], timings: { compileMs, mapMs: 0 } };
  const plan = compiled.plan;
  if (!plan) return { ...base, messages: [], requests: [], objects: [], timings: { compileMs, mapMs: 0 } };

  const mapStarted = now();
  const items: WorkItem[] = [];
  const objects: WorkObject[][] = [];
  const messages = input.messages.map((message, index): MessageOutcome => {
    const result = mapMessage(plan, message, { trace: true });
    const messageId = isJsonObject(message) && message.messageId !== undefined ? message.messageId : null;
    objects.push([]);
    if (!result.ok) return { index, messageId, error: result.error, warnings: result.warnings, trace: result.trace };
    const userKey = userKeyOf(message as Parameters<typeof userKeyOf>[0]);
    objects[index] = workObjectsOf(result.requests, message);
    for (const object of objects[index]) {
      items.push({ ...object, id: `${index}.${items.length}` as WorkId, messageId: String(messageId ?? index), userKey, options: object.options ?? {}, attempts: 0 });
    }
    return { index, messageId, requests: result.requests, warnings: result.warnings, trace: result.trace };
  });
  // delivery's own packing: a request's `placed` is delivery's bookkeeping, not what Braze receives.
  const requests = pack(items, limits).map(({ endpoint, body }) => ({ endpoint, body }));
  return { ...base, messages, requests, objects, timings: { compileMs, mapMs: now() - mapStarted } };
}
