/** The generic model's card: what it was trained on, the command that rebuilt it, and its evaluation. */
import type { GenericBuildResult } from "./build.ts";

export function renderGenericCard(r: GenericBuildResult, command: string): string {
  const m = r.meta;
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const training = Object.entries(r.training).sort((a, b) => b[1] - a[1]).map(([k, n]) => `| ${k} | ${n} |`);
  const evaluation = r.evaluation.map((e) => `| ${e.set} | ${e.split} | ${e.n} | ${pct(e.flagged)} | ${e.auc === undefined ? "" : e.auc.toFixed(4)} |`);
  return `# Generic attack model — ${m.version}

A multinomial logistic regression over hashed character n-grams (1–${m.featurizer.ngramMax}) and word/symbol
tokens of each normalized field (featurizer v${m.featurizer.version}, ${m.featurizer.buckets} buckets), written as
ONNX by Moat's own trainer. Classes: ${m.classes.join(", ")}. A request's score is the highest attack
probability (1 − P(benign)) over its fields.

Threshold **${m.threshold.toFixed(6)}**, calibrated for a false-positive rate of ${m.targetFpr} on the
calibration share (20%) of open-appsec's legitimate queries. Trained ${m.trainedAt}.

## Rebuild

\`\`\`sh
bun run moat ${command}
\`\`\`

## Training data

Payload lists are split by a hash of each line: 70% train, 30% held out (never trained on). The
legitimate queries are split by a hash of each query: 50% train, 20% calibration, 30% test. The
HttpParamsDataset is used with its own train and test files. Faker and grammar samples are generated
by the project (seeded).

| source (label) | samples |
|---|---:|
${training.join("\n")}

## Evaluation at the threshold

"flagged" is the true-positive rate for attack sets and the false-positive rate for benign ones. Each
field-level attack sample is scored as a one-field request; legitimate queries are scored per query
string (all their parameters).

| set | split | n | flagged | ROC-AUC |
|---|---|---:|---:|---:|
${evaluation.join("\n")}
`;
}
