/**
 * Where the decompose stage puts what it finds: the leaves in order, the request flags, and the leaf
 * limit. Every leaf added is handed to the expander (the nested-encodings pass), so each part's walker
 * only says what it found and the decodings of every value happen in one place.
 */
import type { Encoding, FieldLocation, Leaf, LeafKind, RequestFlag } from "./leaf.ts";
import type { DecomposeLimits } from "./limits.ts";

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
 * A name worth judging as a key leaf (`<script>`, `$where`, `a'or'1`, `java.lang.Runtime`,
 * `__proto__`), unlike `user_id` or `soap:Body`.
 */
export function isPlainName(name: string): boolean {
  // `proto` first: most names are no prototype, and a key is tested for every JSON member.
  return PLAIN_NAME.test(name) && !PROPERTY_PATH.test(name) && !(name.indexOf("proto") !== -1 && PROTOTYPE_NAME.test(name));
}

export class LeafSink {
  readonly leaves: Leaf[] = [];
  readonly flags: RequestFlag[] = [];

  constructor(
    readonly limits: DecomposeLimits,
    private readonly expand: Expander,
  ) {}

  /** True once the leaf limit is reached: walkers stop looking. */
  get full(): boolean {
    return this.leaves.length >= this.limits.maxLeaves;
  }

  flag(flag: RequestFlag): void {
    if (!this.flags.includes(flag)) this.flags.push(flag);
  }

  /**
   * Adds a leaf, then its decoded children. An empty text is no leaf (nothing to judge). Returns false
   * once the limit is reached, which is flagged.
   */
  add(leaf: Leaf, layer = 0): boolean {
    if (this.full) {
      this.flag("too-many-leaves");
      return false;
    }
    if (leaf.text === "") return true;
    this.leaves.push(leaf);
    this.expand(this, leaf, layer);
    return true;
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
