/**
 * One sign-in method called over and over in one request: XML-RPC's `system.multicall` (WordPress's
 * `wp.getUsersBlogs` a few hundred times, each with another password) and JSON-RPC's batch arrays
 * (`[{"method": "auth.login", ...}, ...]`). A limit that counts requests sees one; nobody signs in three
 * times in one call. GraphQL's own batches are graphql.ts's (operationBatch).
 */
import { isReadingOf, type Leaf } from "../../decompose/leaf.ts";
import type { Finding } from "./finding.ts";
import { finding } from "./text.ts";

/** A method name whose last part signs in or checks a secret: `wp.getUsersBlogs`, `auth.login`, `user/verifyOtp`. */
const SIGN_IN_METHOD = /(?:^|[._/:])(?:log_?in|sign_?in|auth(?:enticate)?|get_?users_?blogs|verify_?(?:otp|pin|password|code)|check_?password)$/i;
/** Calls of one such method in one request that make a guessing batch (GraphQL's SECRET_BATCH_ALIASES). */
const SIGN_IN_CALLS = 3;
/** Longest method name read. */
const MAX_METHOD = 96;

/**
 * Where an RPC body names the method a call runs: anywhere under XML-RPC's `<methodCall>` (a multicall's
 * calls are structs of `methodName` and `params`), and a JSON-RPC call's `method`. An analytics batch's
 * `{"event": "login"}` names what happened, not a call.
 */
const isMethodPlace = (leaf: Leaf) => leaf.path.startsWith("body.xml.methodCall.") || (leaf.name === "method" && leaf.path.startsWith("body.json"));

/**
 * The request-scope rule: a sign-in method named in a method's place three times or more (a value's
 * decoded readings, `path~...`, are that value again). The finding goes on the first.
 */
export function rpcBatch(leaves: readonly Leaf[]): { at: number; finding: Finding }[] {
  const calls = new Map<string, { first: number; count: number }>();
  let lastPath: string | null = null;
  for (let at = 0; at < leaves.length; at++) {
    const leaf = leaves[at]!;
    const { kind, text, path } = leaf;
    if (kind !== "value" || text.length > MAX_METHOD || !SIGN_IN_METHOD.test(text) || !isMethodPlace(leaf)) continue;
    if (lastPath !== null && isReadingOf(path, lastPath)) continue;
    lastPath = path;
    const method = text.toLowerCase();
    const seen = calls.get(method) ?? { first: at, count: 0 };
    seen.count++;
    calls.set(method, seen);
    if (seen.count === SIGN_IN_CALLS) return [{ at: seen.first, finding: finding("scanner", "rpc.sign-in-batch", 0.85, 0, leaves[seen.first]!.text.length) }];
  }
  return [];
}
