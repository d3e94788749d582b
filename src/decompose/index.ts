/**
 * The decompose stage: a request → every value it carries as a Leaf with its location path, however
 * deeply nested or encoded, plus flags for what could not be looked at. It never throws and never cuts a
 * value; limits bound the work on hostile input and are flagged when reached.
 */
import type { HttpRequest } from "../core/http-request.ts";
import { addBodyLeaves } from "./body/index.ts";
import { expandEncodings } from "./encodings.ts";
import type { Decomposed } from "./leaf.ts";
import { DEFAULT_DECOMPOSE_LIMITS, type DecomposeLimits } from "./limits.ts";
import { addCookieLeaves, addHeaderLeaves, addPathLeaf, addQueryLeaves } from "./request.ts";
import { LeafSink } from "./sink.ts";

export { DEFAULT_DECOMPOSE_LIMITS, type DecomposeLimits } from "./limits.ts";

export function decompose(req: HttpRequest, limits?: Partial<DecomposeLimits>): Decomposed {
  let body: string | null = null;
  const sink = new LeafSink(limits ? { ...DEFAULT_DECOMPOSE_LIMITS, ...limits } : DEFAULT_DECOMPOSE_LIMITS, expandEncodings);
  try {
    addPathLeaf(sink, req);
    addQueryLeaves(sink, req);
    addCookieLeaves(sink, req);
    addHeaderLeaves(sink, req);
    body = addBodyLeaves(sink, req);
  } catch {
    // Every reader above is written not to throw; should one still (a parser's unforeseen edge, a stack
    // overflow), the leaves found so far are kept and the request is flagged rather than lost.
    sink.flag("body-unparsed");
  }
  if (sink.flags.includes("too-many-leaves")) readPastTheLimit(sink, req, body);
  return { leaves: sink.leaves, flags: sink.flags };
}

/**
 * Past the leaf limit, an attacker could pad a body with harmless keys and put the payload after
 * them: the query and the body are then also judged whole, as text leaves (beyond the limit: two more).
 */
function readPastTheLimit(sink: LeafSink, req: HttpRequest, body: string | null): void {
  const whole = (path: string) => sink.leaves.some((l) => l.path === path && l.kind === "text");
  if (req.query && !whole("query")) sink.leaves.push({ location: "query", path: "query", name: "", text: req.query, kind: "text", encodings: [] });
  // The body as it was read (a gzip body inflated), unless it was judged as text already.
  if (body && !whole("body")) sink.leaves.push({ location: "body", path: "body", name: "", text: body, kind: "text", encodings: [] });
}
