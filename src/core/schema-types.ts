/** Schema pieces shared by the API and the agent's wire format (src/core/agent-wire.ts). */
import { t } from "elysia";
import { Type, type IntegerOptions, type SchemaOptions, type TLiteral, type TSchema, type TUnion } from "@sinclair/typebox";
import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler";

/** A tuple of literal schemas, one per value: Elysia infers a union of an array's schemas as `never`. */
type Literals<T extends readonly string[]> = { -readonly [K in keyof T]: TLiteral<T[K]> };

/**
 * Whole numbers in JSON bodies, asked and answered: TypeBox's own integer. (Elysia's `t.Integer` also
 * takes "5", which no JSON client needs, and shows in the OpenAPI document as a string with a default
 * of 0, below the minimum. Whole numbers in a URL are WholeNumber, src/api/contract.ts.)
 */
export const jsonInteger = (options: IntegerOptions = {}) => Type.Integer(options);

/** The `t` union of an enumeration of core/enums.ts: the schema, the OpenAPI document and the type follow the one list. `t.Union` of one `t.Literal` per value, in the list's order. */
export function literalUnion<const T extends readonly string[]>(values: T, options?: SchemaOptions): TUnion<Literals<T>> {
  return t.Union(values.map((v) => t.Literal(v)), options) as unknown as TUnion<Literals<T>>;
}

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

/** A schema's compiled check, compiled once: checks run on hot paths (every inline check, every agent answer). */
export function compiledCheck<T extends TSchema>(schema: T): TypeCheck<T> {
  let check = compiled.get(schema);
  if (!check) compiled.set(schema, (check = TypeCompiler.Compile(schema)));
  return check as TypeCheck<T>;
}
