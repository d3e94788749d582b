/**
 * What is normal for one site, learned from its own traffic: per endpoint, which parameters appear
 * and, per parameter, the lengths, character kinds, value shapes and (for small vocabularies) the
 * values themselves. Robust on purpose: a character kind or shape counts as normal only when enough
 * distinct requests used it, so a few percent of attacks in the training traffic do not become normal.
 */
import type { HttpRequest } from "../../core/http-request.ts";
import { rng } from "../../core/random.ts";
import { Reservoir } from "./reservoir.ts";
import { isSecretName } from "../redact.ts";
import { isCommonParam } from "./common-params.ts";
import { endpointKey, extensionOf, generalizeEndpoints } from "./endpoint-templates.ts";

export interface ParamProfile {
  count: number;
  /** Length quantiles of the decoded value: [p0.5, p50, p99.5, max]. */
  lengths: [number, number, number, number];
  /** Character kinds seen in enough values (see `charKind`). */
  kinds: string[];
  /** Value shapes (3-grams of kinds) seen in enough values. */
  shapes: string[];
  /** Share of values that were all digits. */
  numeric: number;
  /** The values, when the parameter takes few distinct ones (a menu, a flag). */
  enumValues: string[] | null;
}

export interface EndpointProfile {
  count: number;
  methods: string[];
  params: Record<string, ParamProfile>;
}

export interface SiteProfile {
  requests: number;
  /** By endpoint template (`/products/{id}`, `/blog/{*}`: see endpoint-templates.ts). */
  endpoints: Record<string, EndpointProfile>;
  /** Path extensions seen (for requests to endpoints never seen). */
  extensions: string[];
  headers: string[];
}

/** A record's own entry, never an inherited one (`constructor`, `__proto__`). */
export function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Coarse character kinds: letters and digits by class, punctuation one by one (a quote is not a dash). */
function charKind(ch: string): string {
  if (/[a-z]/.test(ch)) return "a";
  if (/[A-Z]/.test(ch)) return "A";
  if (/[0-9]/.test(ch)) return "9";
  if (ch === " ") return "_";
  if (/\p{L}/u.test(ch)) return "L";
  if (/\p{N}/u.test(ch)) return "N";
  const code = ch.codePointAt(0)!;
  if (code < 0x20 || code === 0x7f) return "ctl";
  return ch;
}

/** The kinds of the ASCII characters, looked up rather than computed: most values are all ASCII. */
const ASCII_KINDS = Array.from({ length: 128 }, (_, c) => charKind(String.fromCharCode(c)));

/** The value as a string of kinds with runs collapsed: `Jam 42-b` → `Aa_9-a`. */
export function valueShape(value: string): string[] {
  const out: string[] = [];
  let last = "";
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    let k: string;
    if (unit < 128) k = ASCII_KINDS[unit]!;
    else {
      // By code point, like `for…of`: a surrogate pair is one character.
      const ch = String.fromCodePoint(value.codePointAt(i)!);
      i += ch.length - 1;
      k = charKind(ch);
    }
    if (k !== last) out.push((last = k));
  }
  return out;
}

/** Between a 3-gram's kinds in its stored form: no kind holds it (a control character's kind is `ctl`). */
const GRAM_SEPARATOR = "\u0001";

/** The kind at position `i` of the shape with its edges (`^`, `$`) around it. */
function kindAt(shape: readonly string[], i: number): string {
  return i === 0 ? "^" : i === shape.length + 1 ? "$" : shape[i - 1]!;
}

/** 3-grams of the shape with its edges (`^`, `$`), as strings (how the profile stores them). */
export function shapeGrams(shape: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 3 <= shape.length + 2; i++) out.push(`${kindAt(shape, i)}${GRAM_SEPARATOR}${kindAt(shape, i + 1)}${GRAM_SEPARATOR}${kindAt(shape, i + 2)}`);
  return out;
}

/** Stored 3-grams as a tree of their kinds, to look a shape's grams up without making their strings. */
export type GramTree = Map<string, Map<string, Set<string>>>;

export function gramTree(grams: readonly string[]): GramTree {
  const tree: GramTree = new Map();
  for (const gram of grams) {
    const [a, b, c] = gram.split(GRAM_SEPARATOR) as [string, string, string];
    let second = tree.get(a);
    if (!second) tree.set(a, (second = new Map()));
    let third = second.get(b);
    if (!third) second.set(b, (third = new Set()));
    third.add(c);
  }
  return tree;
}

/** The share of the shape's 3-grams (those shapeGrams makes) not in the tree; 0 for a shape with none. */
export function unseenGramShare(shape: readonly string[], tree: GramTree): number {
  const grams = shape.length;
  if (grams < 1) return 0;
  let unseen = 0;
  for (let i = 0; i < grams; i++) if (!tree.get(kindAt(shape, i))?.get(kindAt(shape, i + 1))?.has(kindAt(shape, i + 2))) unseen++;
  return unseen / grams;
}

interface EndpointAccumulator {
  count: number;
  methods: Map<string, number>;
  params: Map<string, ParamAccumulator>;
}

interface ParamAccumulator {
  count: number;
  lengths: Reservoir<number>;
  kinds: Map<string, number>;
  shapes: Map<string, number>;
  numeric: number;
  values: Map<string, number>;
}

const ENUM_MAX = 12;
/** Lengths kept per parameter for the quantiles (a uniform sample beyond that). */
const LENGTH_SAMPLE = 4096;
/** Endpoints tracked at most: a scan of random paths must not grow memory without bound. */
const MAX_ENDPOINTS = 50_000;
/** A kind or shape is normal when at least this share of the parameter's values (and 2 of them) used it. */
const SUPPORT = 0.002;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

export class ProfileBuilder {
  private requests = 0;
  private readonly endpoints = new Map<string, EndpointAccumulator>();
  private readonly extensions = new Map<string, number>();
  private readonly headers = new Map<string, number>();
  private readonly random = rng(1);

  add(req: HttpRequest): void {
    this.requests++;
    const key = endpointKey(req);
    let ep = this.endpoints.get(key);
    if (!ep) {
      if (this.endpoints.size >= MAX_ENDPOINTS) return;
      this.endpoints.set(key, (ep = { count: 0, methods: new Map(), params: new Map() }));
    }
    ep.count++;
    ep.methods.set(req.method, (ep.methods.get(req.method) ?? 0) + 1);
    const ext = extensionOf(key);
    this.extensions.set(ext, (this.extensions.get(ext) ?? 0) + 1);
    for (const [h] of req.headers) this.headers.set(h, (this.headers.get(h) ?? 0) + 1);
    for (const p of req.params) {
      if (isCommonParam(p.name)) continue; // see common-params.ts
      let acc = ep.params.get(p.name);
      if (!acc) ep.params.set(p.name, (acc = { count: 0, lengths: new Reservoir(LENGTH_SAMPLE, this.random), kinds: new Map(), shapes: new Map(), numeric: 0, values: new Map() }));
      acc.count++;
      if (isSecretName(p.name)) continue; // only its presence: see siteFeatures
      acc.lengths.add(p.value.length);
      const shape = valueShape(p.value);
      for (const k of new Set(shape)) acc.kinds.set(k, (acc.kinds.get(k) ?? 0) + 1);
      for (const g of new Set(shapeGrams(shape))) acc.shapes.set(g, (acc.shapes.get(g) ?? 0) + 1);
      if (/^\d+$/.test(p.value)) acc.numeric++;
      if (acc.values.size <= ENUM_MAX * 4) acc.values.set(p.value, (acc.values.get(p.value) ?? 0) + 1);
    }
  }

  /** The endpoints by template: the accumulators of the endpoints a template covers, merged. */
  private templates(): Map<string, EndpointAccumulator> {
    const renamed = generalizeEndpoints(new Map([...this.endpoints].map(([key, ep]) => [key, ep.count])));
    const out = new Map<string, EndpointAccumulator>();
    for (const [key, ep] of this.endpoints) {
      const template = renamed.get(key) ?? key;
      const into = out.get(template);
      if (into) mergeEndpoint(into, ep, this.random);
      else out.set(template, ep);
    }
    return out;
  }

  build(): SiteProfile {
    const supported = (m: Map<string, number>, n: number) => [...m].filter(([, c]) => c >= Math.max(2, SUPPORT * n)).map(([k]) => k).sort();
    // Keys are client-controlled (`__proto__` is a fine parameter name): objects are built with
    // Object.fromEntries, which defines own properties, and read with `own`.
    const endpoints: [string, EndpointProfile][] = [];
    for (const [key, ep] of this.templates()) {
      const params: [string, ParamProfile][] = [];
      for (const [name, acc] of ep.params) {
        const sorted = acc.lengths.items.sort((a, b) => a - b);
        // A small vocabulary used over and over is an enumeration; one frequent outlier value does not break it.
        const enumLike = acc.values.size <= ENUM_MAX && acc.count >= acc.values.size * 5;
        params.push([name, {
          count: acc.count,
          lengths: [quantile(sorted, 0.005), quantile(sorted, 0.5), quantile(sorted, 0.995), sorted[sorted.length - 1] ?? 0],
          kinds: supported(acc.kinds, acc.count),
          shapes: supported(acc.shapes, acc.count),
          numeric: acc.numeric / acc.count,
          enumValues: enumLike ? supported(acc.values, acc.count) : null,
        }]);
      }
      endpoints.push([key, { count: ep.count, methods: supported(ep.methods, ep.count), params: Object.fromEntries(params) }]);
    }
    return { requests: this.requests, endpoints: Object.fromEntries(endpoints), extensions: supported(this.extensions, this.requests), headers: supported(this.headers, this.requests) };
  }
}

function addCounts(into: Map<string, number>, from: Map<string, number>, limit = Infinity): void {
  for (const [k, n] of from) if (into.has(k) || into.size < limit) into.set(k, (into.get(k) ?? 0) + n);
}

function mergeEndpoint(into: EndpointAccumulator, from: EndpointAccumulator, random: () => number): void {
  into.count += from.count;
  addCounts(into.methods, from.methods);
  for (const [name, p] of from.params) {
    const acc = into.params.get(name);
    if (!acc) {
      into.params.set(name, p);
      continue;
    }
    acc.count += p.count;
    acc.numeric += p.numeric;
    // The merged lengths are a sample of samples: close enough for quantiles of a few percent.
    const lengths = new Reservoir<number>(LENGTH_SAMPLE, random);
    for (const l of [...acc.lengths.items, ...p.lengths.items]) lengths.add(l);
    acc.lengths = lengths;
    addCounts(acc.kinds, p.kinds);
    addCounts(acc.shapes, p.shapes);
    addCounts(acc.values, p.values, ENUM_MAX * 4 + 1);
  }
}
