import { describe, expect, test } from "bun:test";
import { GenerationalCache } from "../../src/core/generational-cache.ts";

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
