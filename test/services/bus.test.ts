import { describe, expect, test } from "bun:test";
import { batched } from "../../src/pipeline/bus.ts";

describe("batched", () => {
  test("what arrives in one turn is handed over once, in order; the next turn is another batch", async () => {
    const batches: number[][] = [];
    const add = batched((items: number[]) => batches.push(items), (e) => { throw e; });
    add(1);
    add(2);
    add(3);
    expect(batches).toEqual([]); // not before the turn ends
    await Promise.resolve();
    add(4);
    await Promise.resolve();
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  test("a consumer that throws is reported, and the next batch is delivered all the same", async () => {
    const errors: string[] = [];
    const delivered: number[][] = [];
    const add = batched((items: number[]) => {
      if (items.includes(0)) throw new Error("database or disk is full");
      delivered.push(items);
    }, (e) => errors.push(e.message));
    add(0);
    await Promise.resolve();
    add(5);
    await Promise.resolve();
    expect(errors).toEqual(["database or disk is full"]);
    expect(delivered).toEqual([[5]]);
  });
});
