import { Finding, pointerJoin } from '../diagnostics';
import { MappingPlan } from '../plan';
import { mapMessage } from '../run';
import { firstDifference, show } from './json-diff';

interface Expectation {
  requests?: unknown[];
  warnings?: { code: string; message?: string }[];
  error?: { code: string; message?: string };
}

export interface Example {
  name: string;
  message: unknown;
  expect: Expectation;
}

/** Runs one example; a finding names the first JSON pointer where output and expectation part. */
export function checkExample(plan: MappingPlan, example: Example, pointer: string): Finding | null {
  const result = mapMessage(plan, example.message);
  const expect = example.expect;
  const failed = (at: string, message: string): Finding => ({
    code: 'EXAMPLE_FAILED',
    severity: 'error',
    pointer: pointerJoin(pointer, 'expect') + at,
    message: `example "${example.name}": ${message}`,
  });

  if (expect.error) {
    if (result.ok) return failed('/error', `expected error ${expect.error.code}, but the message mapped to ${result.requests.length} request(s)`);
    if (result.error.code !== expect.error.code) return failed('/error/code', `expected error ${expect.error.code}, got ${result.error.code}: ${result.error.message}`);
    if (expect.error.message !== undefined && expect.error.message !== result.error.message) {
      return failed('/error/message', `expected message ${show(expect.error.message)}, got ${show(result.error.message)}`);
    }
    return null;
  }
  if (!result.ok) return failed('', `expected requests, got error ${result.error.code}: ${result.error.message}`);
  const difference = firstDifference(expect.requests ?? [], JSON.parse(JSON.stringify(result.requests)));
  if (difference) {
    return failed('/requests' + difference.pointer, `at /requests${difference.pointer} expected ${show(difference.expected)}, got ${show(difference.actual)}`);
  }
  const expectedWarnings = expect.warnings ?? [];
  if (expectedWarnings.length !== result.warnings.length) {
    const got = result.warnings.map((w) => `${w.code} (${w.message})`).join('; ') || 'none';
    return failed('/warnings', `expected ${expectedWarnings.length} warning(s), got ${result.warnings.length}: ${got}`);
  }
  for (let i = 0; i < expectedWarnings.length; i++) {
    for (const [key, value] of Object.entries(expectedWarnings[i])) {
      const actual = (result.warnings[i] as unknown as Record<string, unknown>)[key];
      if (actual !== value) return failed(`/warnings/${i}/${key}`, `warning ${i}: expected ${key} ${show(value)}, got ${show(actual)}`);
    }
  }
  return null;
}
