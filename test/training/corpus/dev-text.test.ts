/** The developer and content text the benign generator writes: moderate evidence in prose, never proof. */
import { expect, test } from "bun:test";
import { Faker, base, en } from "@faker-js/faker";
import { rng } from "../../../src/core/random.ts";
import { LeafAnalysis } from "../../../src/detect/analyzers/index.ts";
import { PROOF_STRENGTH } from "../../../src/detect/analyzers/finding.ts";
import { devTextParam } from "../../../src/training/corpus/dev-text.ts";

test("developer and content text holds weak and moderate findings, never one at proof strength", () => {
  const f = new Faker({ locale: [en, base] });
  f.seed(11);
  const r = rng(11);
  const analysis = new LeafAnalysis();
  let withFinding = 0;
  for (let i = 0; i < 3000; i++) {
    const [name, text] = devTextParam(f, r);
    const findings = analysis.analyze({ location: "body", path: `body.${name}`, name, text, kind: "value", encodings: [] });
    if (findings.length) withFinding++;
    const proof = findings.find((x) => x.strength >= PROOF_STRENGTH);
    expect(proof ? [text, proof.rule, proof.strength] : null).toBeNull();
  }
  // It is there to teach the combiner what such evidence in prose is: most of it has some.
  expect(withFinding).toBeGreaterThan(1000);
});
