/** What the input pane holds, read as Segment messages: one message, a JSON array of them, or NDJSON. */
export type InputRead =
  | { readonly ok: true; readonly messages: readonly unknown[] }
  | { readonly ok: false; readonly error: { readonly code: 'INVALID_INPUT'; readonly message: string; readonly line: number } };

/** More would only make the page slow to read; the service's batch limit is of the same order. */
export const MAX_INPUT_MESSAGES = 500;

/** Never throws: a line that is not JSON is reported with its number. */
export function readInput(text: string): InputRead {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed === '') return { ok: true, messages: [] };
  let whole: unknown;
  let wholeError: Error | null = null;
  try {
    whole = JSON.parse(trimmed);
  } catch (error) {
    wholeError = error as Error;
  }
  if (wholeError === null) return capped(Array.isArray(whole) ? whole : [whole]);
  // Not one JSON value: NDJSON, one message per non-blank line.
  const lines = trimmed.split(/\r?\n/);
  if (lines.length === 1) return { ok: false, error: { code: 'INVALID_INPUT', message: `not JSON: ${wholeError.message}`, line: 1 } };
  const messages: unknown[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    try {
      messages.push(JSON.parse(lines[i]));
    } catch (error) {
      return { ok: false, error: { code: 'INVALID_INPUT', message: `line ${i + 1} is not JSON (one message, a JSON array or NDJSON): ${(error as Error).message}`, line: i + 1 } };
    }
  }
  return capped(messages);
}

function capped(messages: unknown[]): InputRead {
  if (messages.length <= MAX_INPUT_MESSAGES) return { ok: true, messages };
  return { ok: false, error: { code: 'INVALID_INPUT', message: `${messages.length} messages: the playground maps at most ${MAX_INPUT_MESSAGES} at once`, line: 1 } };
}
