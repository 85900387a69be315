/** Where each kind of output object goes in a Braze request. */
export interface OutputKind {
  readonly endpoint: '/users/track' | '/users/alias/new' | '/users/identify';
  /** The array of the request body that holds these objects. */
  readonly array: string;
  /** Objects of this kind get the message's user identifiers added. */
  readonly identified: boolean;
  /** Braze's per-request limit for the array. */
  readonly limit: number;
}

export const OUTPUT_KINDS = Object.freeze({
  attributes: { endpoint: '/users/track', array: 'attributes', identified: true, limit: 75 },
  events: { endpoint: '/users/track', array: 'events', identified: true, limit: 75 },
  purchases: { endpoint: '/users/track', array: 'purchases', identified: true, limit: 75 },
  alias: { endpoint: '/users/alias/new', array: 'user_aliases', identified: false, limit: 50 },
  identify: { endpoint: '/users/identify', array: 'aliases_to_identify', identified: false, limit: 50 },
} as const satisfies Record<string, OutputKind>);

export type OutputKindName = keyof typeof OUTPUT_KINDS;
export const OUTPUT_KIND_NAMES = Object.freeze(Object.keys(OUTPUT_KINDS) as OutputKindName[]);
