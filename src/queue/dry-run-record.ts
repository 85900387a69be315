import { DryRunRecord } from './ports/dry-run-sink.port';

/** A kept dry-run request as the port returns it, from what every backend stores: the endpoint, the body's JSON, when. */
export function dryRunRecordOf(id: number, at: number, endpoint: string, bodyJson: string): DryRunRecord {
  const body = JSON.parse(bodyJson) as Record<string, unknown>;
  // fromEntries defines own members, whatever the stored keys are called.
  const objects = Object.fromEntries(Object.entries(body).flatMap(([key, value]) => (Array.isArray(value) ? [[key, value.length]] : [])));
  return { id, at: new Date(at).toISOString(), endpoint, objects, body };
}
