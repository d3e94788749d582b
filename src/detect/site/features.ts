/**
 * How far a request departs from the site's profile, as a small dense vector for the site scorer and
 * as findings that name the field and the text that departed (for the verdict's reasons).
 */
import type { HttpRequest } from "../../core/http-request.ts";
import { gramTree, own, unseenGramShare, valueShape, type GramTree, type ParamProfile, type SiteProfile } from "./profile.ts";
import { endpointKey, extensionOf, templateOf } from "./endpoint-templates.ts";
import { isCommonParam } from "./common-params.ts";
import { isSecretName } from "../redact.ts";

export const SITE_FEATURES = [
  "generic", "unknownEndpoint", "unknownExtension", "unusualMethod", "unknownParams", "lengthExcess",
  "novelKinds", "riskyNovelKinds", "shapeNovelty", "typeViolation", "enumViolation", "unknownHeaders",
] as const;
export type SiteFeature = (typeof SITE_FEATURES)[number];

export interface SiteFinding {
  feature: SiteFeature;
  /** `path`, `query.<name>`, `body.<name>`, `header.<name>`. */
  field: string;
  /** The text that departed from the profile. */
  evidence: string;
  /** What was expected, for a person. */
  detail: string;
  value: number;
}

const RISKY = new Set(["'", '"', "<", ">", ";", "|", "&", "$", "`", "(", ")", "{", "}", "[", "]", "%", "\\", "*", "=", "#", "!", "~", "^", "ctl", "\n", "\r"]);

/** Set views of a parameter's profile, built once per profile object (the profile itself stays plain JSON). */
const paramSets = new WeakMap<ParamProfile, { kinds: Set<string>; shapes: GramTree; enumValues: Set<string> | null }>();
function setsOf(pp: ParamProfile) {
  let sets = paramSets.get(pp);
  if (!sets) paramSets.set(pp, (sets = { kinds: new Set(pp.kinds), shapes: gramTree(pp.shapes), enumValues: pp.enumValues && new Set(pp.enumValues) }));
  return sets;
}

/** Set views of a profile's header and extension lists, and the known extensions as a person reads them. */
const profileSets = new WeakMap<SiteProfile, { headers: Set<string>; extensions: Set<string>; knownExtensions: string }>();
function profileSetsOf(profile: SiteProfile) {
  let sets = profileSets.get(profile);
  if (!sets) {
    const knownExtensions = profile.extensions.slice(0, 8).map((e) => `.${e || "(none)"}`).join(" ");
    profileSets.set(profile, (sets = { headers: new Set(profile.headers), extensions: new Set(profile.extensions), knownExtensions }));
  }
  return sets;
}

/** Each feature's place in the vector. */
const FEATURE_INDEX = Object.fromEntries(SITE_FEATURES.map((f, i) => [f, i])) as Record<SiteFeature, number>;

/** Generic score → a bounded logit, so that the scorer can weigh it linearly. */
function genericLogit(p: number): number {
  const q = Math.min(Math.max(p, 1e-6), 1 - 1e-6);
  return Math.log(q / (1 - q));
}

export function siteFeatures(profile: SiteProfile, req: HttpRequest, genericScore: number): { vector: Float32Array; findings: SiteFinding[] } {
  const v = new Float32Array(SITE_FEATURES.length);
  const findings: SiteFinding[] = [];
  const known = profileSetsOf(profile);
  const set = (f: SiteFeature, value: number, finding: Omit<SiteFinding, "feature" | "value"> | null) => {
    const i = FEATURE_INDEX[f];
    if (value > v[i]!) v[i] = value;
    if (finding && value > 0) findings.push({ feature: f, value, ...finding });
  };
  set("generic", genericLogit(genericScore), null);
  const key = endpointKey(req);
  const template = templateOf(profile.endpoints, key);
  const ep = template === null ? undefined : profile.endpoints[template];
  if (!ep) {
    set("unknownEndpoint", 1, { field: "path", evidence: key, detail: `endpoint never seen in ${profile.requests} training requests` });
    const ext = extensionOf(key);
    if (!known.extensions.has(ext)) set("unknownExtension", 1, { field: "path", evidence: ext ? `.${ext}` : key, detail: `file type never served (known: ${known.knownExtensions})` });
  } else if (!ep.methods.includes(req.method)) {
    set("unusualMethod", 1, { field: "method", evidence: req.method, detail: `this endpoint takes ${ep.methods.join(", ")}` });
  }
  let unknownParams = 0;
  for (const p of req.params) {
    if (isCommonParam(p.name)) continue; // see common-params.ts
    const field = `${p.location}.${p.name}`;
    const pp = ep ? own(ep.params, p.name) : undefined;
    if (!pp) {
      if (ep) {
        unknownParams++;
        findings.push({ feature: "unknownParams", field, evidence: p.name, detail: `parameter never seen on ${template}`, value: 1 });
      }
      continue;
    }
    // A secret's value (a password, a token) is random by nature, and stored redacted, so a retrain
    // from stored traffic could not learn it: the site model knows only that it is sent. The generic
    // model still judges the real value.
    if (isSecretName(p.name)) continue;
    const value = p.value;
    const sets = setsOf(pp);
    const p995 = pp.lengths[2];
    if (value.length > p995) {
      set("lengthExcess", Math.log2((value.length + 1) / (p995 + 1)), { field, evidence: value.length > 80 ? `${value.slice(0, 80)}…` : value, detail: `${value.length} characters, usually at most ${p995}` });
    }
    const shape = valueShape(value);
    // A set: a value of many distinct symbols (each its own kind) would make a list's lookups quadratic.
    const novelKinds = new Set<string>();
    for (const k of shape) if (!sets.kinds.has(k)) novelKinds.add(k);
    const novel = [...novelKinds];
    if (novel.length) {
      const risky = novel.filter((k) => RISKY.has(k));
      const evidence = novel.map((k) => (k.length === 1 ? k : `<${k}>`)).join(" ");
      set("novelKinds", Math.log1p(novel.length), { field, evidence, detail: `characters never seen in this parameter (value ${JSON.stringify(value.slice(0, 60))})` });
      if (risky.length) set("riskyNovelKinds", Math.log1p(risky.length), { field, evidence: risky.join(" "), detail: "unusual special characters for this parameter" });
    }
    const unseen = unseenGramShare(shape, sets.shapes);
    if (unseen > 0) set("shapeNovelty", unseen, { field, evidence: value.slice(0, 60), detail: `${Math.round(unseen * 100)}% of the value's shape never seen here` });
    if (pp.numeric >= 0.99 && value !== "" && !/^\d+$/.test(value)) set("typeViolation", 1, { field, evidence: value.slice(0, 60), detail: "this parameter is always a number" });
    if (pp.enumValues && !sets.enumValues!.has(value)) set("enumViolation", 1, { field, evidence: value.slice(0, 60), detail: `this parameter takes one of ${pp.enumValues.slice(0, 5).map((e) => JSON.stringify(e)).join(", ")}` });
  }
  set("unknownParams", Math.log1p(unknownParams), null);
  const unknownHeaders = profile.headers.length ? req.headers.filter(([h]) => !known.headers.has(h)) : [];
  if (unknownHeaders.length) set("unknownHeaders", Math.log1p(unknownHeaders.length), { field: `header.${unknownHeaders[0]![0]}`, evidence: unknownHeaders.map(([h]) => h).join(", "), detail: "headers never seen in training traffic" });
  return { vector: v, findings };
}
