/** The dev/test halves of the evaluation sets: dev may be looked at and tuned on, test is only measured. */
import { splitPoint } from "./sample.ts";

export type DevTest = "dev" | "test";
/** Which half a command measures: one of them, or both together. */
export type EvalSplit = DevTest | "all";

/** dev when the content's split point is in the upper half (the convention every set here follows). */
export function devOrTest(key: string): DevTest {
  return splitPoint(key) >= 0.5 ? "dev" : "test";
}

export function inSplit(side: DevTest, split: EvalSplit): boolean {
  return split === "all" || split === side;
}
