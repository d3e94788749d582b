/**
 * Every line of the shared real nginx logs parses in both formats, and the combined and JSON copies of
 * each request agree on the fields they share. Skipped when ../shared/datasets is absent.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { readRequests } from "../../src/ingest/read.ts";
import { Rejections } from "../../src/parse/rejections.ts";
import type { HttpRequest } from "../../src/core/http-request.ts";
import { DATASETS, HAVE_DATASETS } from "../helpers/datasets.ts";

async function readAll(path: string) {
  const rejections = new Rejections();
  const requests: HttpRequest[] = [];
  const formats: string[] = [];
  for await (const batch of readRequests([path], { format: "auto" }, rejections, { onInput: (_, p) => formats.push(p.name) })) requests.push(...batch);
  return { requests, rejections, formats };
}

(HAVE_DATASETS ? describe : describe.skip)("shared nginx logs of CSIC 2010", () => {
  for (const split of ["train", "test"]) {
    test(`csic-${split}: both formats parse with zero errors and agree`, async () => {
      const combined = await readAll(join(DATASETS, "nginx", `csic-${split}.combined.log.gz`));
      const json = await readAll(join(DATASETS, "nginx", `csic-${split}.json.log.gz`));
      const labels = (await Bun.file(join(DATASETS, "nginx", `csic-${split}.labels`)).text()).trim().split("\n");
      expect(combined.formats).toEqual(["combined"]);
      expect(json.formats).toEqual(["json"]);
      expect(combined.rejections.total).toBe(0);
      expect(json.rejections.total).toBe(0);
      expect(combined.requests.length).toBe(labels.length);
      expect(json.requests.length).toBe(labels.length);
      let rejectedByNginx = 0;
      for (let i = 0; i < labels.length; i++) {
        const c = combined.requests[i]!;
        const j = json.requests[i]!;
        expect(c.origin.line).toBe(i + 1);
        const shared = (r: HttpRequest) => [r.time, r.clientIp, r.status, r.bytesSent, r.userAgent, r.referer, r.query, r.params.filter((p) => p.location === "query")];
        expect(shared(j)).toEqual(shared(c));
        if (j.method === "") {
          // nginx rejected the request (400) before it set $request_method; $request still shows the line.
          expect(j.status).toBe(400);
          rejectedByNginx++;
          continue;
        }
        expect([j.method, j.path, j.protocol]).toEqual([c.method, c.path, c.protocol]);
      }
      expect(rejectedByNginx).toBeLessThan(labels.length * 0.01);
    });
  }
});

(HAVE_DATASETS ? describe : describe.skip)("shared CSIC 2010 raw requests", () => {
  test("every request of the three files is framed and parsed", async () => {
    const expected: Record<string, number> = { "normalTrafficTraining.txt.gz": 36_000, "normalTrafficTest.txt.gz": 36_000, "anomalousTrafficTest.txt.gz": 25_065 };
    for (const [file, count] of Object.entries(expected)) {
      const { requests, rejections, formats } = await readAll(join(DATASETS, "csic2010", file));
      expect(formats).toEqual(["raw-http"]);
      expect(rejections.total).toBe(0);
      expect(requests.length).toBe(count);
      const posts = requests.filter((r) => r.method === "POST");
      expect(posts.every((r) => r.body !== null && r.params.some((p) => p.location === "body"))).toBe(true);
    }
  });
});
