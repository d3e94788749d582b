/**
 * Where the decompose stage puts what it finds: the leaves in order, the request flags, and the leaf
 * limit. Every leaf added is handed to the expander (the nested-encodings pass), so each part's walker
 * only says what it found and the decodings of every value happen in one place.
 *
 * Past the leaf limit the walkers go on, and what they find is kept by request part as it was read, to
 * be judged as one text leaf a part (`restLeaves`): an attacker who pads a body with harmless keys and
 * puts the payload after them is still judged, and what was already read is not read again.
 */
import { embeddedInflate } from "./body/gzip.ts";
import type { Encoding, FieldLocation, Leaf, LeafKind, RequestFlag } from "./leaf.ts";
import type { DecomposeLimits } from "./limits.ts";

/**
 * Compressed runs inside values (gzip in base64, and gzip in that...) inflate within one budget per
 * request: at most this many bytes in all, at most this many zlib calls, each run at most a quarter of
 * the bytes. A request of a few kilobytes must not make the decompose stage inflate gigabytes.
 */
const INFLATE_BUDGET_BYTES = 1 << 20;
const INFLATE_CALLS = 32;
const INFLATE_RUN_BYTES = INFLATE_BUDGET_BYTES / 4;

/** Adds a leaf's decoded children; `layer` is how many encodings were undone to reach the leaf. */
export type Expander = (sink: LeafSink, leaf: Leaf, layer: number) => void;

/** Word characters, `.`, `-`, `:` and brackets: parameter, key and tag names that cannot carry code. */
const PLAIN_NAME = /^[\w.:[\]-]*$/;
/** Three or more dotted parts: a property path that Spring, Struts and OGNL bind (`class.module.classLoader`). */
const PROPERTY_PATH = /^[^.]+\.[^.]+\./;
/**
 * JavaScript's way to an object's prototype (`__proto__`, `constructor.prototype`): a key that merges
 * into it pollutes every object, whatever value it carries (`{"__proto__": {"isAdmin": true}}` has no
 * string value to be a leaf).
 */
const PROTOTYPE_NAME = /__proto__|(?:^|[.[])prototype(?:$|[.\]])/;
/**
 * A long name in the base64 alphabet, in both cases and with a digit: base64 of a payload sent as a
 * parameter's name (an application that reads its parameters' names, as PHP's `$_GET` gives them, or
 * logs them). A key leaf, so that it is decoded; names such as `productId` or `g-recaptcha-response` are not.
 */
const BASE64_NAME = /^(?=[^]*[A-Z])(?=[^]*[a-z])(?=[^]*\d)[A-Za-z0-9_-]+$/;

/**
 * A name worth judging as a key leaf (`<script>`, `$where`, `a'or'1`, `java.lang.Runtime`,
 * `__proto__`), unlike `user_id` or `soap:Body`.
 */
export function isPlainName(name: string): boolean {
  // `proto` first: most names are no prototype, and a key is tested for every JSON member.
  return PLAIN_NAME.test(name) && !PROPERTY_PATH.test(name) && !(name.indexOf("proto") !== -1 && PROTOTYPE_NAME.test(name)) && !(name.length >= 16 && BASE64_NAME.test(name));
}

export class LeafSink {
  readonly leaves: Leaf[] = [];
  readonly flags: RequestFlag[] = [];
  /** Texts found past the leaf limit, by request part. */
  private readonly rest = new Map<FieldLocation, string[]>();
  private restChars = 0;
  /** Worked out when the first value goes past the leaf limit: most requests never get there. */
  private restBudget: number | undefined;

  /**
   * `budgetOfRest`: characters kept past the leaf limit. The caller gives what the request's own parts
   * can hold (index.ts); past it the rest is not kept, flagged as `body-oversize`.
   */
  constructor(
    readonly limits: DecomposeLimits,
    private readonly expand: Expander,
    private readonly budgetOfRest = () => 2 * limits.maxBodyBytes,
  ) {}

  private inflateLeft = INFLATE_BUDGET_BYTES;
  private inflateCalls = INFLATE_CALLS;

  /** zlib calls made so far: a reading that made one is charged to its request, never replayed from a memo. */
  get inflations(): number {
    return INFLATE_CALLS - this.inflateCalls;
  }

  /**
   * The bytes a compressed run found inside a value inflates to, within the request's budget; null
   * when they are no compressed stream, or when the budget is spent (flagged too-deep: a reading not
   * taken).
   */
  inflate(bytes: Uint8Array, raw: boolean): Uint8Array | null {
    const inflate = embeddedInflate(bytes, raw);
    if (!inflate) return null;
    if (this.inflateCalls <= 0 || this.inflateLeft <= 0) {
      this.flag("too-deep");
      return null;
    }
    this.inflateCalls--;
    const out = inflate(bytes, Math.min(INFLATE_RUN_BYTES, this.inflateLeft));
    if (out) this.inflateLeft -= Math.max(1, out.length);
    return out;
  }

  /** Times a flag was raised, again or not: whether a reading met a limit, though its flag was already up. */
  private raised = 0;

  get flagsRaised(): number {
    return this.raised;
  }

  flag(flag: RequestFlag): void {
    this.raised++;
    if (!this.flags.includes(flag)) this.flags.push(flag);
  }

  /**
   * Adds a leaf, then its decoded children. An empty text is no leaf (nothing to judge). Past the leaf
   * limit (flagged) a value goes to its part's rest as its part decoded it; its further readings
   * (base64, hex, the pieces between padding) are not kept, the value itself being judged. Returns
   * false only when even the rest is full, and walkers stop.
   */
  add(leaf: Leaf, layer = 0): boolean {
    if (leaf.text === "") return true;
    if (this.leaves.length < this.limits.maxLeaves) {
      this.leaves.push(leaf);
      this.expand(this, leaf, layer);
      return true;
    }
    this.flag("too-many-leaves");
    if (layer > 0) return true;
    this.restBudget ??= this.budgetOfRest();
    if (this.restChars + leaf.text.length > this.restBudget) {
      this.flag("body-oversize");
      return false;
    }
    this.restChars += leaf.text.length + 1;
    const texts = this.rest.get(leaf.location);
    if (texts) texts.push(leaf.text);
    else this.rest.set(leaf.location, [leaf.text]);
    return true;
  }

  /**
   * Leaves read before, with their readings, taken as they are when they all fit under the leaf limit
   * (the header cache, request.ts). False when they do not: the caller reads them afresh.
   */
  replay(leaves: readonly Leaf[]): boolean {
    if (this.leaves.length + leaves.length > this.limits.maxLeaves) return false;
    this.leaves.push(...leaves);
    return true;
  }

  /**
   * The texts found past the leaf limit: one text leaf a request part (`query`, `body`, ...), joined by
   * spaces. Not by line breaks: to a shell each line is a new command, and a value such as `id` or
   * `sort` would be one.
   */
  restLeaves(): Leaf[] {
    return [...this.rest].map(([location, texts]) => ({ location, path: location, name: "", text: texts.join(" "), kind: "text", encodings: [] }));
  }

  /** A value leaf. */
  value(location: FieldLocation, path: string, name: string, text: string, kind: LeafKind = "value", encodings: Encoding[] = [], layer = 0): boolean {
    return this.add({ location, path, name, text, kind, encodings }, layer);
  }

  /** A name as a key leaf, when it is not a plain word. */
  key(location: FieldLocation, path: string, name: string, encodings: Encoding[] = [], layer = 0): boolean {
    return isPlainName(name) || this.add({ location, path, name, text: name, kind: "key", encodings }, layer);
  }
}
