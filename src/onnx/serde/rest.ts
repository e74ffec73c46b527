import { create, fromBinary, isFieldSet, toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';

/**
 * The fields of a proto message that the IR does not model, serialized on their own. Serialization writes fields
 * in field-number order and unknown fields last, so re-parsing this blob and then setting the modeled fields gives
 * back the original message, byte for byte.
 */
export function restOf<D extends DescMessage>(schema: D, msg: MessageShape<D>, modeled: ReadonlySet<string>): Uint8Array | undefined {
  const copy = create(schema) as Record<string, unknown>;
  const src = msg as unknown as Record<string, unknown>;
  let any = false;
  for (const field of schema.fields) {
    if (modeled.has(field.localName) || !isFieldSet(msg, field)) continue;
    if (field.oneof) copy[field.oneof.localName] = src[field.oneof.localName];
    else copy[field.localName] = src[field.localName];
    any = true;
  }
  const unknown = (msg as { $unknown?: unknown[] }).$unknown;
  if (unknown && unknown.length > 0) {
    (copy as { $unknown?: unknown[] }).$unknown = unknown;
    any = true;
  }
  return any ? toBinary(schema, copy as MessageShape<D>) : undefined;
}

/** A message holding the preserved fields (or an empty one), ready for the modeled fields to be set. */
export function withRest<D extends DescMessage>(schema: D, rest: Uint8Array | undefined): MessageShape<D> {
  return rest && rest.length > 0 ? fromBinary(schema, rest) : create(schema);
}

/** True when a proto2 optional field was present in the parsed message (set, even to its default). */
export function has(msg: object, key: string): boolean {
  return Object.hasOwn(msg, key);
}
