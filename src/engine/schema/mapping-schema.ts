import { OPERATOR_NAMES } from '../logic/operators';
import { TRANSFORMS, TRANSFORM_NAMES } from '../transforms';

/**
 * The one definition of the mapping language (version 1). `mappings/schema.json` is
 * generated from it (`npm run schema`) and a test keeps the two equal.
 */
const pathString = {
  type: 'string',
  title: 'Source path',
  description: 'A dotted path into the Segment message (`traits.address.city`, `properties.products[0].price`), or into the current item with `$item.` inside an output that has `each`.',
  minLength: 1,
  examples: ['traits.email', 'properties.products', '$item.price'],
};

/** What every output takes; attributes outputs add the changes-only keys. */
const OUTPUT_PROPERTIES = {
  description: { type: 'string' },
  each: { ...pathString, description: 'Emit one object per element of this array; `$item` is the element.' },
  fields: { $ref: '#/definitions/fields' },
  rest: { $ref: '#/definitions/rest' },
};

const transformName = {
  type: 'string',
  enum: [...TRANSFORM_NAMES],
  description: TRANSFORM_NAMES.map((n) => `\`${n}\`: ${TRANSFORMS[n].description}`).join('\n'),
};

const valueObject = {
  type: 'object',
  title: 'Value expression',
  description: 'Exactly one source (`path`, `const`, `template`, `first`, `object`, `rest`), optionally followed by `transform`, `default` and `required`.',
  additionalProperties: false,
  properties: {
    path: { ...pathString, description: 'Read the value at this path.' },
    const: { title: 'Constant', description: 'A constant JSON value.' },
    template: { type: 'string', title: 'Template', description: 'Text with `{{path}}` placeholders, e.g. `Viewed {{name}} Page`. Absent when a placeholder has no value.', examples: ['Viewed {{name}} Page'] },
    first: {
      type: 'array',
      title: 'First present',
      description: 'The first present, non-null value among several expressions (plain strings are paths).',
      minItems: 1,
      items: { $ref: '#/definitions/value' },
      examples: [['$item.product_id', '$item.id', '$item.sku']],
    },
    object: { $ref: '#/definitions/fields', title: 'Nested object', description: 'An object built from fields; absent when none of them has a value.' },
    rest: { $ref: '#/definitions/rest' },
    transform: {
      title: 'Transforms',
      description: 'One transform or a list applied in order. A value a transform cannot use is left out with a TRANSFORM_FAILED warning. Nulls pass untouched.',
      anyOf: [transformName, { type: 'array', items: transformName, minItems: 1 }],
    },
    default: { title: 'Default', description: 'Used when the source is absent or null (not transformed).' },
    required: { type: 'boolean', title: 'Required', description: 'Without a usable value the message fails (or, inside `each`, the item is skipped with a warning).' },
  },
};

export const MAPPING_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://segment-braze.dev/schema/mapping-v1.json',
  title: 'segment-braze mapping file',
  description: 'How Segment messages become Braze REST requests. See the README for the language guide.',
  type: 'object',
  additionalProperties: false,
  required: ['version'],
  properties: {
    version: { const: 1, title: 'Language version', description: 'The mapping language version. Only 1 exists.' },
    description: { type: 'string' },
    identity: {
      type: 'object',
      title: 'User identity',
      description: 'How every attributes/events/purchases object names its user: `external_id` when present, else `user_alias` {alias_name, alias_label} with `_update_existing_only: false`. At most one file of a set may declare it; the defaults are userId / anonymousId / "segment_anonymous_id".',
      additionalProperties: false,
      properties: {
        external_id: { $ref: '#/definitions/value' },
        alias_name: { $ref: '#/definitions/value' },
        alias_label: { $ref: '#/definitions/value' },
      },
    },
    rules: { type: 'array', title: 'Rules', description: 'Tried in order (files in name order); every matching rule emits, until one with `stop: true` matches.', items: { $ref: '#/definitions/rule' } },
    examples: { type: 'array', title: 'Examples', description: 'Segment messages and the Braze requests they must map to; `validate` runs them.', items: { $ref: '#/definitions/example' } },
  },
  definitions: {
    value: {
      title: 'Value',
      description: 'A path string, or a value expression object.',
      if: { type: 'string' },
      then: pathString,
      else: valueObject,
    },
    fields: {
      type: 'object',
      title: 'Fields',
      description: 'Output key → value. A key may be a template: `ab_segment_group_{{groupId}}`.',
      additionalProperties: { $ref: '#/definitions/value' },
    },
    rest: {
      title: 'Rest',
      description: 'Copy the members of an object that no named field of this output reads: a path, or {from, except}.',
      if: { type: 'string' },
      then: pathString,
      else: {
        type: 'object',
        additionalProperties: false,
        required: ['from'],
        properties: {
          from: pathString,
          except: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'Keys (relative paths) never copied.' },
        },
      },
    },
    output: {
      type: 'object',
      title: 'Output',
      description: 'One object per message, or one per element of `each`.',
      additionalProperties: false,
      required: ['fields'],
      properties: OUTPUT_PROPERTIES,
    },
    attributesOutput: {
      type: 'object',
      title: 'Attributes output',
      description: 'One attributes object per message, or one per element of `each`. With `changes_only: true`, delivery sends only the attributes whose value differs from what Braze last accepted for the user, and the `always_send` keys every time.',
      additionalProperties: false,
      required: ['fields'],
      properties: {
        ...OUTPUT_PROPERTIES,
        changes_only: {
          type: 'boolean',
          title: 'Send changes only',
          default: false,
          description:
            'true: an attribute whose value equals the one Braze last accepted for this user is left out (deep equality; key order ignored), and an object left with only identifiers is not sent. Identifiers, flags, operator values (`inc`, `add`, `$add`…) are never left out. false or absent: every attribute is sent each time.',
        },
        always_send: {
          type: 'array',
          title: 'Always sent',
          description: 'With `changes_only: true`: attribute keys sent every time, changed or not (e.g. a value another source may overwrite in Braze). Top-level keys of the object, as written by `fields` or `rest`.',
          items: { type: 'string', minLength: 1 },
          uniqueItems: true,
          examples: [['plan', 'email_subscribe']],
        },
      },
    },
    identifyOutput: {
      type: 'object',
      title: '/users/identify output',
      description: 'One `aliases_to_identify` entry; `merge_behavior` is set on the request.',
      additionalProperties: false,
      required: ['fields'],
      properties: {
        description: { type: 'string' },
        each: pathString,
        fields: { $ref: '#/definitions/fields' },
        rest: { $ref: '#/definitions/rest' },
        merge_behavior: { enum: ['merge', 'none'], default: 'merge' },
      },
    },
    rule: {
      type: 'object',
      title: 'Rule',
      additionalProperties: false,
      required: ['name'],
      properties: {
        name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$', description: 'Unique in the set; appears in traces.' },
        description: { type: 'string' },
        when: { title: 'Condition', description: `A json-logic expression over the message. Operators: ${OPERATOR_NAMES.join(', ')}. Absent: always.`, examples: [{ '==': [{ var: 'type' }, 'identify'] }] },
        stop: { type: 'boolean', description: 'When this rule matches, later rules are not tried.' },
        attributes: { $ref: '#/definitions/attributesOutput', description: '/users/track attributes objects; `changes_only` sends only what changed.' },
        events: { $ref: '#/definitions/output', description: '/users/track events objects.' },
        purchases: { $ref: '#/definitions/output', description: '/users/track purchases objects.' },
        alias: { $ref: '#/definitions/output', description: '/users/alias/new user_aliases entries.' },
        identify: { $ref: '#/definitions/identifyOutput', description: '/users/identify aliases_to_identify entries.' },
      },
    },
    example: {
      type: 'object',
      title: 'Example',
      additionalProperties: false,
      required: ['name', 'message', 'expect'],
      properties: {
        name: { type: 'string', minLength: 1 },
        message: { type: 'object', description: 'A Segment message.' },
        expect: {
          type: 'object',
          additionalProperties: false,
          description: 'Either `requests` (and `warnings`, compared by the members given), or `error`.',
          properties: {
            requests: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['endpoint', 'body'], properties: { endpoint: { enum: ['/users/track', '/users/alias/new', '/users/identify'] }, body: { type: 'object' } } } },
            warnings: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['code'], properties: { code: { type: 'string' }, message: { type: 'string' } } } },
            error: { type: 'object', additionalProperties: false, required: ['code'], properties: { code: { type: 'string' }, message: { type: 'string' } } },
          },
        },
      },
    },
  },
} as const;
