/**
 * The decompose stage: a request → every value it carries as a Leaf with its location path, however
 * deeply nested or encoded, plus flags for what could not be looked at. It never throws and never cuts a
 * value; limits bound the work on hostile input and are flagged when reached.
 */
import type { HttpRequest } from "../core/http-request.ts";
import { addBodyLeaves, inflateLimit } from "./body/index.ts";
import { expandEncodings, wholeTextReadings } from "./encodings.ts";
import type { Decomposed } from "./leaf.ts";
import { DEFAULT_DECOMPOSE_LIMITS, type DecomposeLimits } from "./limits.ts";
import { addCookieLeaves, addHeaderLeaves, addPathLeaf, addQueryLeaves } from "./request.ts";
import { LeafSink } from "./sink.ts";

export { DEFAULT_DECOMPOSE_LIMITS, type DecomposeLimits } from "./limits.ts";

export function decompose(req: HttpRequest, limits?: Partial<DecomposeLimits>): Decomposed {
  const bounds = limits ? { ...DEFAULT_DECOMPOSE_LIMITS, ...limits } : DEFAULT_DECOMPOSE_LIMITS;
  const sink = new LeafSink(bounds, expandEncodings, () => restBudget(req, bounds));
  try {
    addPathLeaf(sink, req);
    addQueryLeaves(sink, req);
    addCookieLeaves(sink, req);
    addHeaderLeaves(sink, req);
    addBodyLeaves(sink, req);
  } catch {
    // Every reader above is written not to throw; should one still (a parser's unforeseen edge, a stack
    // overflow), the leaves found so far are kept and the request is flagged rather than lost.
    sink.flag("body-unparsed");
  }
  // Past the leaf limit: what each part held after it, one text leaf a part (beyond the limit: five at
  // most), each with its whole-text decodings.
  for (const rest of sink.restLeaves()) sink.leaves.push(rest, ...wholeTextReadings(rest, bounds.maxEncodingLayers, bounds.maxEncodingLayers * rest.text.length));
  return { leaves: sink.leaves, flags: sink.flags };
}

/**
 * What the values past the leaf limit can hold at most: a part's values are no longer than the part
 * (decoding shortens; an inflated body is at most the body limit), and a GraphQL document is read
 * twice, whole and as its arguments. So the budget is never reached by a request as it came; it bounds
 * the work should a reader misbehave.
 */
function restBudget(req: HttpRequest, limits: DecomposeLimits): number {
  let head = req.path.length + req.query.length;
  for (const [name, value] of req.headers) head += name.length + value.length;
  return 2 * (inflateLimit(req.body?.length ?? 0, limits.maxBodyBytes) + head);
}
