/**
 * A bounded cache with O(1) eviction: two generations of at most `capacity / 2` entries each. New
 * entries go into the young generation; when it is full it becomes the old one and the previous old
 * generation is dropped whole. A hit in the old generation is copied into the young one, so what is
 * used often survives (close to LRU, without per-entry bookkeeping).
 *
 * Why not one Map with "delete the first key" eviction: JavaScriptCore keeps deleted Map entries as
 * holes until it rehashes, so `keys().next()` walks ever more holes and eviction becomes O(n) — under a
 * full cache that one line took over half of the scoring time.
 */
export class GenerationalCache<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private readonly generationSize: number;

  constructor(capacity: number) {
    this.generationSize = Math.max(1, Math.floor(capacity / 2));
  }

  get(key: K): V | undefined {
    const hit = this.young.get(key);
    if (hit !== undefined) return hit;
    const aged = this.old.get(key);
    if (aged !== undefined) this.store(key, aged);
    return aged;
  }

  set(key: K, value: V): void {
    this.store(key, value);
  }

  private store(key: K, value: V): void {
    if (this.young.size >= this.generationSize && !this.young.has(key)) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }

  /** Drops every entry. */
  clear(): void {
    this.young = new Map();
    this.old = new Map();
  }

  /**
   * Whether the generations have turned since the cache was made or cleared (its first half filled):
   * from now on each turn lets the oldest entries go.
   */
  protected get turned(): boolean {
    return this.old.size > 0;
  }

  /** Whether the key is held, in either generation. */
  protected holds(key: K): boolean {
    return this.young.has(key) || this.old.has(key);
  }

  /** Entries held (an entry present in both generations counts twice; at most `capacity`). */
  get size(): number {
    return this.young.size + this.old.size;
  }
}

/** Slots of the filter below: 64 Ki fingerprints, 256 KB. */
const SEEN_SLOTS = 1 << 16;

/**
 * A value's fingerprint in its slot: the crc32's high half (the slot is its low half), with a bit set
 * that no empty slot has. A hash of 0, which four appended bytes can force, must not read as seen.
 */
const seenTag = (hash: number) => (hash >>> 16) | 0x10000;

/**
 * A cache of request values that, once its generations turn (its first half filled, so that each turn
 * lets entries go), keeps a new value only when it comes a second time. Before that a value is kept at
 * once: that costs no other value its place. After, every value kept pushes older ones towards
 * eviction, and real traffic's repeated values were pushed out by the ones sent once (an unseen
 * body's, a scanner's, a flood's); each kept value was also memory the collector had to carry: with
 * 8 KB bodies of new values, one request in forty paused for 3 to 10 ms. A value's first sighting is
 * remembered as a fingerprint in a fixed table, where another value can overwrite it: that costs a
 * repeat one more miss, never a wrong answer (the entries are keyed by the whole value). A key already
 * held is updated as in any cache. (Admitting only repeats from the start cost batch scoring a tenth:
 * a site's first pass over its values judged each twice.)
 */
export class RepeatCache<V> extends GenerationalCache<string, V> {
  private readonly seen = new Uint32Array(SEEN_SLOTS);

  override set(key: string, value: V): void {
    if (this.turned && !this.holds(key)) {
      const hash = Bun.hash.crc32(key);
      const slot = hash & (SEEN_SLOTS - 1);
      const tag = seenTag(hash);
      if (this.seen[slot] !== tag) {
        this.seen[slot] = tag;
        return;
      }
    }
    super.set(key, value);
  }
}
