/** The followed logs and how they are doing (notes/console-api.md, item 5). */
import { Elysia, t } from "elysia";
import { Source, toSource } from "../../console-contract.ts";
import { envelope, ok } from "../../envelope.ts";
import type { ApiServices } from "../../services.ts";

export function sourceRoutes(s: ApiServices) {
  return new Elysia({ name: "console-sources", prefix: "/api" }).get("/sources", () => ok(s.sources().map(toSource)), {
    response: envelope(t.Array(Source)),
    detail: { tags: ["sources"], summary: "Every followed log: format, whether it is open, lines and parse errors since start, lag, rotations" },
  });
}
