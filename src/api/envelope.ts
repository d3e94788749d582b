/**
 * The contract's envelope `{ success, data, message?, timestamp }`, and the errors every route may
 * throw: an ApiError carries its HTTP status; validation errors become 400s that say what is wrong;
 * nothing unexpected becomes anything but a 500 with a generic message (details go to the log).
 */
import { t, type TSchema } from "elysia";

export function ok<T>(data: T, message?: string) {
  return { success: true as const, data, ...(message ? { message } : {}), timestamp: new Date().toISOString() };
}

export function failure(message: string) {
  return { success: false as const, data: null, message, timestamp: new Date().toISOString() };
}

/** The envelope schema around `data`, for the route's response (and the OpenAPI document). */
export function envelope<T extends TSchema>(data: T) {
  return t.Object({ success: t.Boolean(), data, message: t.Optional(t.String()), timestamp: t.String() });
}

export const ErrorEnvelope = t.Object({ success: t.Literal(false), data: t.Null(), message: t.String(), timestamp: t.String() });

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = "ApiError";
  }
}

/**
 * An onError hook for plugins that throw ApiErrors: their answers stay the same wherever the plugin is
 * mounted (the app maps them too). Anything else is left to the next handler. An arrow function, as
 * Elysia reads hooks' source.
 */
export const answerApiError = ({ error, set }: { error: unknown; set: { status?: number | string } }) => {
  if (!(error instanceof ApiError)) return;
  set.status = error.status;
  return failure(error.message);
};
