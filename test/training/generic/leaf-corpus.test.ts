/**
 * The cross-fitting folds of the generic model's training values: a model that calibrates on one fold
 * of sites never learns a value only that fold's sites sent, and learns every other.
 */
import { expect, test } from "bun:test";
import type { Leaf } from "../../../src/decompose/leaf.ts";
import { CALIBRATION_FOLDS, foldOf, LeafCorpus, type LabelledLeaf } from "../../../src/training/generic/leaf-corpus.ts";

const value = (text: string, source = "sites"): LabelledLeaf => ({
  leaf: { location: "query", path: "query.q", name: "q", text, kind: "value", encodings: [] } satisfies Leaf,
  findings: [],
  label: 0,
  source,
});
const texts = (ls: LabelledLeaf[]) => ls.map((l) => l.leaf.text).sort();

test("a value only one fold's sites sent is left out of that fold's models; shared and other values are in every model", () => {
  const corpus = new LeafCorpus();
  expect(texts(corpus.add([value("generated")]))).toEqual(["generated"]);
  expect(texts(corpus.add([value("only-0"), value("both"), value("generated")], 0))).toEqual(["both", "only-0"]);
  expect(texts(corpus.add([value("only-1"), value("both")], 1))).toEqual(["only-1"]);
  // Each value once, whatever sent it.
  expect(texts(corpus.all())).toEqual(["both", "generated", "only-0", "only-1"]);
  expect(texts(corpus.without(0))).toEqual(["both", "generated", "only-1"]);
  expect(texts(corpus.without(1))).toEqual(["both", "generated", "only-0"]);
  // A value a later source sends too (a generator's, CSIC's) is no fold's own any more.
  corpus.add([value("only-0", "csic")]);
  expect(texts(corpus.without(0))).toEqual(["both", "generated", "only-0", "only-1"]);
});

test("sites fall in folds by a hash of their name, every fold used", () => {
  const folds = Array.from({ length: 200 }, (_, i) => foldOf(`site-${i}.example`));
  expect(folds.every((f) => f >= 0 && f < CALIBRATION_FOLDS)).toBe(true);
  expect(new Set(folds).size).toBe(CALIBRATION_FOLDS);
  expect(foldOf("site-7.example")).toBe(foldOf("site-7.example"));
});
