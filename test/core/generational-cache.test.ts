import { describe, expect, test } from "bun:test";
import { GenerationalCache, RepeatCache } from "../../src/core/generational-cache.ts";

describe("GenerationalCache", () => {
  test("never holds more than its capacity", () => {
    const cache = new GenerationalCache<number, number>(100);
    for (let i = 0; i < 10_000; i++) {
      cache.set(i, i * 2);
      expect(cache.size).toBeLessThanOrEqual(100);
    }
    expect(cache.get(9_999)).toBe(19_998);
  });

  test("forgets entries that are not used, keeps the ones that are", () => {
    const cache = new GenerationalCache<string, number>(10);
    cache.set("hot", 1);
    for (let i = 0; i < 100; i++) {
      cache.set(`cold-${i}`, i);
      expect(cache.get("hot")).toBe(1);
    }
    expect(cache.get("cold-0")).toBeUndefined();
    expect(cache.get("cold-99")).toBe(99);
  });

  test("overwriting a key keeps one value for it", () => {
    const cache = new GenerationalCache<string, number>(4);
    cache.set("a", 1);
    cache.set("a", 2);
    expect(cache.get("a")).toBe(2);
    expect(cache.size).toBe(1);
  });

  test("clear drops the entries of both generations", () => {
    const cache = new GenerationalCache<string, number>(4);
    for (const k of ["a", "b", "c", "d", "e"]) cache.set(k, 1);
    cache.clear();
    expect([cache.size, cache.get("a"), cache.get("e")]).toEqual([0, undefined, undefined]);
  });
});

describe("RepeatCache", () => {
  /** A cache of `capacity` whose generations have turned once: from now on each turn lets entries go. */
  const full = (capacity: number) => {
    const cache = new RepeatCache<number>(capacity);
    for (let i = 0; i <= capacity / 2; i++) cache.set(`fill-${i}`, 0);
    return cache;
  };

  test("keeps a value at once while there is room", () => {
    const cache = new RepeatCache<number>(10);
    cache.set("a", 1);
    expect(cache.get("a")).toBe(1);
  });

  test("once full, keeps a value from its second sighting on", () => {
    const cache = full(10);
    cache.set("a", 1);
    expect(cache.get("a")).toBeUndefined();
    cache.set("a", 1);
    expect(cache.get("a")).toBe(1);
  });

  test("once full, a flood of values sent once does not push out a repeated one", () => {
    const cache = full(10);
    cache.set("hot", 1);
    cache.set("hot", 1);
    for (let i = 0; i < 1_000; i++) cache.set(`once-${i}`, i);
    expect(cache.get("hot")).toBe(1);
    expect(cache.get("once-999")).toBeUndefined();
  });

  test("a value whose crc32 is 0 (four appended bytes force it) is not taken for one seen before", () => {
    const forged = "user-agent-6-TpC\u0002";
    expect(Bun.hash.crc32(forged)).toBe(0);
    const cache = full(10);
    cache.set(forged, 1);
    expect(cache.get(forged)).toBeUndefined();
  });

  test("a key already held is updated at once, as in any cache", () => {
    const cache = full(10);
    cache.set("a", 1);
    cache.set("a", 1);
    cache.set("a", 2);
    expect(cache.get("a")).toBe(2);
  });

  test("cleared, it keeps values at once again until its generations turn", () => {
    const cache = full(10);
    cache.clear();
    cache.set("a", 1);
    expect(cache.get("a")).toBe(1);
  });

  test("a kept value read from the old generation stays kept, whatever the filter has seen since", () => {
    const cache = full(4);
    const slot = (key: string) => Bun.hash.crc32(key) & 0xffff;
    // Another key that lands on "a"'s slot of the filter: its sighting overwrites "a"'s.
    let other = 0;
    while (slot(`k${other}`) !== slot("a") || Bun.hash.crc32(`k${other}`) === Bun.hash.crc32("a")) other++;
    for (const k of ["a", "a", "b", "b", "c", "c"]) cache.set(k, 1);
    cache.set(`k${other}`, 1);
    // "a" is in the old generation: reading it copies it into the young one, as a kept value, not a sighting.
    expect(cache.get("a")).toBe(1);
    for (const k of ["d", "d", "e", "e"]) cache.set(k, 1);
    expect(cache.get("a")).toBe(1);
  });
});
