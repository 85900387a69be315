/**
 * Segment's own mapping runtime (`transform` from @segment/actions-core) with mappings that
 * read and produce the same fields as mappings/braze.yaml. Mapping-kit has no conditions over
 * the message (Segment routes with subscriptions), no gender codes and no calendar dates, so
 * a small dispatcher picks the mapping by type and the same shared transforms finish the job,
 * as Segment's Braze destination does in code. Output matches ours on the fields compared.
 */
import { transform } from '@segment/actions-core';
import { TRANSFORMS, TRANSFORM_FAILED } from '../src/engine/transforms';

type Json = Record<string, unknown>;
const path = (p: string) => ({ '@path': p });
const firstOf = (a: string, b: string) => ({ '@if': { exists: path(a), then: path(a), else: path(b) } });

const IDENTITY = {
  external_id: path('$.userId'),
  user_alias: { alias_name: path('$.anonymousId'), alias_label: 'segment_anonymous_id' },
};

const IDENTIFY = {
  ...IDENTITY,
  first_name: firstOf('$.traits.firstName', '$.traits.first_name'),
  last_name: firstOf('$.traits.lastName', '$.traits.last_name'),
  dob: path('$.traits.birthday'),
  image_url: path('$.traits.avatar'),
  home_city: path('$.traits.address.city'),
  country: path('$.traits.address.country'),
  gender: path('$.traits.gender'),
  email: path('$.traits.email'),
  phone: path('$.traits.phone'),
  traits: path('$.traits'),
};

const ORDER = {
  ...IDENTITY,
  time: path('$.timestamp'),
  order_currency: path('$.properties.currency'),
  purchases: {
    '@arrayPath': ['$.properties.products', { product_id: { '@if': { exists: path('$.product_id'), then: path('$.product_id'), else: firstOf('$.id', '$.sku') } }, price: path('$.price'), quantity: path('$.quantity'), currency: path('$.currency') }],
  },
};

const TRACK = { ...IDENTITY, name: path('$.event'), time: path('$.timestamp'), properties: path('$.properties') };
const GROUP = { ...IDENTITY, key: { '@template': 'ab_segment_group_{{groupId}}' } };
const PAGE = { ...IDENTITY, name: { '@if': { exists: path('$.name'), then: { '@template': 'Viewed {{name}} Page' }, else: 'Loaded a Page' } }, time: path('$.timestamp'), properties: path('$.properties') };

const CONSUMED = new Set(['firstName', 'first_name', 'lastName', 'last_name', 'birthday', 'avatar', 'gender', 'email', 'phone']);
const use = (name: string, value: unknown) => {
  if (value === undefined || value === null) return value;
  const out = TRANSFORMS[name].apply(value);
  return out === TRANSFORM_FAILED ? undefined : out;
};

function who(o: Json): Json {
  if (o.external_id !== undefined) return { external_id: String(o.external_id) };
  return { user_alias: o.user_alias, _update_existing_only: false };
}

export function mapWithMappingKit(message: Json): unknown {
  switch (message.type) {
    case 'identify': {
      const o = transform(IDENTIFY, message as never) as Json;
      const { traits, ...fields } = o;
      const out: Json = { ...who(o) };
      for (const [k, v] of Object.entries(fields)) if (k !== 'external_id' && k !== 'user_alias' && v !== undefined) out[k] = v;
      out.dob = use('date', out.dob);
      out.gender = use('gender', out.gender);
      for (const [k, v] of Object.entries((traits as Json) ?? {})) if (!CONSUMED.has(k) && !(k in out)) out[k] = v;
      return [{ endpoint: '/users/track', body: { attributes: [out] } }];
    }
    case 'track': {
      if (message.event === 'Order Completed' || message.event === 'Completed Order') {
        const o = transform(ORDER, message as never) as Json;
        const purchases = ((o.purchases as Json[]) ?? []).map((p) => ({ ...who(o), product_id: String(p.product_id), currency: String(p.currency ?? o.order_currency ?? 'USD').toUpperCase(), price: use('number', p.price), quantity: use('integer', p.quantity) ?? 1, time: use('iso8601', o.time) }));
        return [{ endpoint: '/users/track', body: { purchases } }];
      }
      const o = transform(TRACK, message as never) as Json;
      return [{ endpoint: '/users/track', body: { events: [{ ...who(o), name: o.name, time: use('iso8601', o.time), properties: o.properties }] } }];
    }
    case 'group': {
      const o = transform(GROUP, message as never) as Json;
      return [{ endpoint: '/users/track', body: { attributes: [{ ...who(o), [o.key as string]: true }] } }];
    }
    default: {
      const o = transform(PAGE, message as never) as Json;
      return [{ endpoint: '/users/track', body: { events: [{ ...who(o), name: o.name, time: use('iso8601', o.time), properties: o.properties }] } }];
    }
  }
}
