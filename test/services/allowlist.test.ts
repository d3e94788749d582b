/**
 * Allowlist rules match the request field a reason's leaf belongs to: the same content read as a route
 * value (`path.segment[2]`) or decoded (`query.q~base64`) is still its field's, so a rule marked from
 * either reading covers the other, and a payload in another field is still flagged.
 */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { join } from "node:path";
import { fieldOfLeaf } from "../../src/decompose/leaf.ts";
import { Allowlist } from "../../src/services/allowlist.ts";
import { openStore, type Store } from "../../src/store/db.ts";
import { tempDir } from "../helpers/tmp.ts";

let store: Store;
beforeEach(() => {
  store = openStore(join(tempDir(), "allowlist.db"));
});
afterEach(() => store.close());

const THRESHOLD = 0.99;
const reason = (field: string, weight: number) => ({ field, detector: "generic" as const, weight });
const finding = (...reasons: ReturnType<typeof reason>[]) => ({ endpoint: "/wiki/*", attackType: "sqli", reasons, genericThreshold: THRESHOLD });

test("a leaf's field: derived readings and route values belong to the field they came from", () => {
  expect(fieldOfLeaf("path.segment[2]")).toBe("path");
  expect(fieldOfLeaf("path~unpadded#2")).toBe("path");
  expect(fieldOfLeaf("query.q~base64~json.a")).toBe("query.q");
  expect(fieldOfLeaf("header.referer.query.id")).toBe("header.referer.query.id");
});

test("a rule for the path covers the same content scored as a route value, and the other way round; another field still flags", () => {
  const rules = new Allowlist(store);
  const rule = rules.add({ endpoint: "/wiki/*", field: "path", attackType: "sqli", note: "", threatId: null, createdAt: 0 });
  // `/wiki/Sleep%20(film)`: both readings of the path score.
  expect(rules.covering(finding(reason("path.segment[2]", 1), reason("path", 0.998)))?.id).toBe(rule.id);
  expect(rules.covering(finding(reason("path", 1), reason("path.segment[2]", 0.998)))?.id).toBe(rule.id);
  expect(rules.covering(finding(reason("path.segment[2]", 1), reason("query.id", 0.998)))).toBeUndefined();
  expect(rules.covering(finding(reason("query.id", 1)))).toBeUndefined();

  const fromSegment = new Allowlist(store);
  fromSegment.remove(rule.id);
  fromSegment.add({ endpoint: "/wiki/*", field: "path.segment[2]", attackType: "sqli", note: "", threatId: null, createdAt: 0 });
  expect(fromSegment.covering(finding(reason("path", 1), reason("path.segment[2]", 0.998)))).toBeDefined();
});
