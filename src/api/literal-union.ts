/** The API's `t` unions of the enumerations in core/enums.ts: the schema, the OpenAPI document and the type follow the one list. */
import { t } from "elysia";
import type { SchemaOptions, TLiteral, TUnion } from "@sinclair/typebox";

/** A tuple of literal schemas, one per value: Elysia infers a union of an array's schemas as `never`. */
type Literals<T extends readonly string[]> = { -readonly [K in keyof T]: TLiteral<T[K]> };

/** `t.Union` of one `t.Literal` per value, in the list's order. */
export function literalUnion<const T extends readonly string[]>(values: T, options?: SchemaOptions): TUnion<Literals<T>> {
  return t.Union(values.map((v) => t.Literal(v)), options) as unknown as TUnion<Literals<T>>;
}
