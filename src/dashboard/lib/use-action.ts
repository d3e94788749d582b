/** Running an action from a component (a button, a form): whether it is running, and what came of it. */
import { useCallback, useState } from "react";

/** What `Note` shows: nothing while `text` is empty. */
export interface Outcome {
  ok: boolean;
  text: string;
}

const NONE: Outcome = { ok: true, text: "" };

export interface Action {
  busy: boolean;
  outcome: Outcome;
  /**
   * Runs `action`, clearing the last outcome first. The text it answers is the outcome when it works
   * (none: nothing to say); a throw's message when it fails. Never rejects.
   */
  run: (action: () => Promise<string | void>) => Promise<void>;
}

export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(NONE);
  const run = useCallback(async (action: () => Promise<string | void>) => {
    setBusy(true);
    setOutcome(NONE);
    try {
      setOutcome({ ok: true, text: (await action()) ?? "" });
    } catch (e) {
      setOutcome({ ok: false, text: (e as Error).message });
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, outcome, run };
}
