import { describe, expect, test } from "bun:test";
import { MemoryGuard } from "../../src/core/memory.ts";

describe("MemoryGuard", () => {
  test("collects when resident memory is over the limit, at most once per interval", () => {
    let now = 0;
    const guard = new MemoryGuard(1, () => now); // any process is over one byte
    guard.relieve();
    guard.relieve();
    expect(guard.collections).toBe(1);
    now += 1000;
    guard.relieve();
    expect(guard.collections).toBe(2);
  });

  test("does nothing under the limit, or with no limit", () => {
    const roomy = new MemoryGuard(Number.MAX_SAFE_INTEGER);
    const off = new MemoryGuard(0);
    roomy.relieve();
    off.relieve();
    expect(roomy.collections + off.collections).toBe(0);
  });
});
