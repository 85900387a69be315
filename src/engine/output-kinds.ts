/** Where each kind of output object goes in a Braze request. */
export interface OutputKind {
  readonly endpoint: '/users/track' | '/users/alias/new' | '/users/identify';
  /** The array of the request body that holds these objects. */
  readonly array: string;
  /** Objects of this kind get the message's user identifiers added. */
  readonly identified: boolean;
}

export const OUTPUT_KINDS = Object.freeze({
  attributes: { endpoint: '/users/track', array: 'attributes', identified: true },
  events: { endpoint: '/users/track', array: 'events', identified: true },
  purchases: { endpoint: '/users/track', array: 'purchases', identified: true },
  alias: { endpoint: '/users/alias/new', array: 'user_aliases', identified: false },
  identify: { endpoint: '/users/identify', array: 'aliases_to_identify', identified: false },
} as const satisfies Record<string, OutputKind>);

export type OutputKindName = keyof typeof OUTPUT_KINDS;
export const OUTPUT_KIND_NAMES = Object.freeze(Object.keys(OUTPUT_KINDS) as OutputKindName[]);
