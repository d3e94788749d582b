/**
 * Values that are identifiers rather than text: UUIDs and runs of 16 or more hex digits (session ids,
 * hashes, trace ids). The site profile folds them out of endpoint paths; the lexical model does not
 * score them, because they hold none of the syntax an attack class needs.
 */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const HEX_ID = /^[0-9a-f]{16,}$/i;

/** Longest value taken for an identifier: a SHA-512 in hex. A longer hex run may be encoded data. */
const MAX_IDENTIFIER = 128;

export function isIdentifier(value: string): boolean {
  return value.length >= 16 && value.length <= MAX_IDENTIFIER && (HEX_ID.test(value) || UUID.test(value));
}
