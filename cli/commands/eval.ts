import { Command } from "commander";
import { readFileSync, writeFileSync } from "node:fs";
import { readRequests } from "../../src/ingest/read.ts";
import { Rejections } from "../../src/parse/rejections.ts";
import type { HttpRequest } from "../../src/core/http-request.ts";
import { evaluate, renderMarkdown, type LabelledRequest } from "../../src/training/eval/run.ts";
import { injectPayloads } from "../../src/training/eval/inject.ts";
import { addInputOptions, formatOptions, type InputFlags } from "./scan.ts";
import { addDetectOptions, loadDetector, payloadLinesFrom, type DetectFlags } from "../detect-options.ts";
import { createProgress } from "../progress.ts";
import { CliError, EXIT } from "../exit-codes.ts";
import { warn, writeText } from "../output.ts";
import { evaluateNamedSet, wantsNamedSet, type SetFlags } from "./eval-sets.ts";

interface EvalFlags extends InputFlags, DetectFlags, SetFlags {
  labels?: string;
  benign?: string[];
  attacks?: string[];
  inject?: string;
  stripHeader?: string[];
  out?: string;
  title?: string;
}

async function read(paths: string[], flags: EvalFlags): Promise<HttpRequest[]> {
  const out: HttpRequest[] = [];
  const rejections = new Rejections();
  for await (const batch of readRequests(paths, formatOptions(flags), rejections, { onInputError: (i, e) => warn(e.message) })) out.push(...batch);
  if (rejections.total) warn(`${rejections.total} records did not parse and are not evaluated`);
  const strip = new Set((flags.stripHeader ?? []).map((h) => h.toLowerCase()));
  return strip.size ? out.map((r) => ({ ...r, headers: r.headers.filter(([h]) => !strip.has(h)) })) : out;
}

async function labelled(paths: string[], flags: EvalFlags): Promise<{ items: LabelledRequest[]; description: string }> {
  if (flags.labels) {
    if (!paths.length) throw new CliError("--labels needs the labelled inputs as arguments", EXIT.usage);
    const labels = readFileSync(flags.labels, "utf8").trim().split(/\r?\n/);
    const requests = await read(paths, flags);
    if (labels.length !== requests.length) throw new CliError(`${flags.labels} has ${labels.length} labels for ${requests.length} requests`, EXIT.dataError);
    return { items: requests.map((request, i) => ({ request, positive: labels[i] === "1", groups: [] })), description: `${paths.join(", ")} labelled by ${flags.labels}` };
  }
  if (!flags.benign?.length) throw new CliError("give --labels <file> with inputs, or --benign <paths> with --attacks <paths> or --inject <payload dir>", EXIT.usage);
  const benign = await read(flags.benign, flags);
  const items: LabelledRequest[] = benign.map((request) => ({ request, positive: false, groups: [] }));
  if (flags.attacks?.length) {
    for (const path of flags.attacks) items.push(...(await read([path], flags)).map((request) => ({ request, positive: true, groups: [] })));
    return { items, description: `benign ${flags.benign.join(", ")} vs attacks ${flags.attacks.join(", ")}` };
  }
  if (flags.inject) {
    for (const x of injectPayloads(benign, payloadLinesFrom(flags.inject, "test"))) items.push({ request: x.request, positive: true, groups: [`class ${x.cls}`, `list ${x.list}`, `placement ${x.placement}`] });
    return { items, description: `payload lists' test split injected into ${flags.benign.join(", ")} (query parameter, path segment, POST field)` };
  }
  throw new CliError("--benign needs --attacks <paths> or --inject <payload dir>", EXIT.usage);
}

export function evalCommand(): Command {
  const cmd = new Command("eval")
    .description("measure detection on labelled input (TPR, FPR, precision, F1, ROC-AUC, TPR at FPR 0.1% and 1%) or on a named evaluation set, on its honest split")
    .argument("[paths...]", "labelled inputs, with --labels")
    .option("--labels <file>", "one 0 (benign) or 1 (attack) per request of the inputs, in order")
    .option("--benign <paths...>", "benign requests")
    .option("--attacks <paths...>", "attack requests (with --benign)")
    .option("--inject <dir>", "payload lists (<dir>/payloads/<class>.txt or the payloads folder): their test split is injected into the --benign requests")
    .option("--strip-header <names...>", "drop these headers before judging (e.g. CSIC's accept-charset artifact)")
    .option("--out <prefix>", "write <prefix>.json and <prefix>.md (the named sets: <prefix>.md)")
    .option("--title <text>", "title of the Markdown table")
    .option("--crs-tests <dir>", "the OWASP CRS regression tests (crs-regression/): detection per CRS family and placement, FPR on the no-expect tests")
    .option("--blazehttp <path>", "blazehttp benign requests (requests.jsonl.gz, or its folder blazehttp-benign/): FPR split by site and what the false positives are flagged on")
    .option("--datasets <dir>", "the shared datasets folder: every detection figure on its honest split (CRS, blazehttp, legit-queries, CSIC, payload lists)")
    .option("--split <side>", "which half of the set: dev, test or all (default: all; --datasets: test)")
    .option("--show-fp <n>", "with --blazehttp --split dev: list the first n false positives")
    .option("--csic-model <dir>", "with --datasets: a site model trained on CSIC's training file, for the CSIC rows")
    .option("--placements <dir>", "the shared datasets folder: payloads of the lists' test split in every part of a request (query, path, header, cookie, form, JSON, multipart, XML, SOAP, GraphQL), plain, URL-encoded, base64 and padded")
    .option("--per-class <n>", "with --placements: payloads per class (default 30)");
  addInputOptions(cmd);
  addDetectOptions(cmd);
  return cmd.action(async (paths: string[], flags: EvalFlags) => {
    if (wantsNamedSet(flags)) {
      const md = await evaluateNamedSet(flags);
      if (flags.out) writeFileSync(`${flags.out}.md`, md);
      return writeText(md);
    }
    const detector = await loadDetector(flags);
    const { items, description } = await labelled(paths, flags);
    const progress = createProgress();
    const report = await evaluate(detector, items, flags.title ?? description, (done, total) => progress.update({ label: "judging", done, unit: "requests", fraction: done / total }));
    progress.finish();
    const md = renderMarkdown(report);
    if (flags.out) {
      writeFileSync(`${flags.out}.json`, JSON.stringify(report, null, 2));
      writeFileSync(`${flags.out}.md`, md);
    }
    await writeText(md);
  });
}
