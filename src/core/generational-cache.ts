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
    if (aged !== undefined) this.set(key, aged);
    return aged;
  }

  set(key: K, value: V): void {
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

  /** Entries held (an entry present in both generations counts twice; at most `capacity`). */
  get size(): number {
    return this.young.size + this.old.size;
  }
}
