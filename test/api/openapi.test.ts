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
  test("validates against the OpenAPI schema, with no WebSocket operation, no wildcard path and no bodiless answer given content", async () => {
    const app = createApi(await makeApiServices());
    const doc = (await (await app.handle(new Request("http://localhost/openapi.json"))).json()) as OpenAPIV3_1.Document;
    // validate() dereferences in place: it gets a copy.
    await SwaggerParser.validate(structuredClone(doc));

    const paths = doc.paths!;
    expect(Object.keys(paths).filter((p) => p === "/ws" || p.includes("*"))).toEqual([]);
    expect(paths["/api/traffic/endpoint/{endpoint}"]?.get?.parameters).toContainEqual(expect.objectContaining({ name: "endpoint", in: "path", required: true }));
    expect(paths["/check/auth-request"]?.get?.responses?.["204"]).toEqual({ description: "allow" });
    expect(paths["/mirror"]?.post?.responses?.["503"]).toEqual({ description: "the queue is full: dropped" });
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
