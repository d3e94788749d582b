/**
 * The OpenAPI document is valid OpenAPI (what a client generator or gateway reads), and the routes
 * whose description needed care answer as documented.
 */
import { describe, expect, test } from "bun:test";
import SwaggerParser from "@apidevtools/swagger-parser";
import type { OpenAPIV3_1 } from "openapi-types";
import { createApi } from "../../src/api/app.ts";
import { apiData, callApi, makeApiServices } from "../helpers/api.ts";
import type { TrafficDataT } from "../../src/api/contract.ts";

describe("the OpenAPI document", () => {
  test("validates against the OpenAPI schema, with no WebSocket operation, no wildcard path, no bodiless answer given content, and every request body described", async () => {
    const app = createApi(await makeApiServices());
    const doc = (await (await app.handle(new Request("http://localhost/openapi.json"))).json()) as OpenAPIV3_1.Document;
    // validate() dereferences in place: it gets a copy.
    await SwaggerParser.validate(structuredClone(doc));

    const paths = doc.paths!;
    expect(Object.keys(paths).filter((p) => p === "/ws" || p.includes("*"))).toEqual([]);
    expect(paths["/api/traffic/endpoint/{endpoint}"]?.get?.parameters).toContainEqual(expect.objectContaining({ name: "endpoint", in: "path", required: true }));
    expect(paths["/check/auth-request"]?.get?.responses?.["204"]).toEqual({ description: "allow" });
    // Every body a route reads is described: its media type and schema (a client generator needs both).
    const bodies = Object.entries(paths).flatMap(([path, item]) =>
      Object.entries(item ?? {}).flatMap(([method, op]) => {
        const body = (op as OpenAPIV3_1.OperationObject).requestBody as OpenAPIV3_1.RequestBodyObject | undefined;
        return body ? [{ at: `${method.toUpperCase()} ${path}`, types: Object.keys(body.content ?? {}), schema: Object.values(body.content ?? {}).every((c) => c.schema !== undefined) }] : [];
      }),
    );
    expect(bodies.length).toBeGreaterThan(5);
    expect(bodies.filter((b) => !b.types.includes("application/json") || !b.schema)).toEqual([]);
    // Answers carry plain integers: no string form with a default under the minimum.
    expect(JSON.stringify(doc)).not.toContain('"default":0');
  });

  test("the traffic of one endpoint: URL-encoded as documented, or with its slashes as they come", async () => {
    const s = await makeApiServices();
    const app = createApi(s);
    expect((await callApi(app, "POST", "/check", { method: "GET", path: "/shop/items", query_params: { id: "7" } })).status).toBe(200);
    s.writeBehind.flush();
    const encoded = await apiData<TrafficDataT[]>(app, "GET", `/api/traffic/endpoint/${encodeURIComponent("/shop/items")}?range=1h`);
    const plain = await apiData<TrafficDataT[]>(app, "GET", "/api/traffic/endpoint/shop/items?range=1h");
    expect(encoded.length).toBe(1);
    expect(plain).toEqual(encoded);
  });
});
