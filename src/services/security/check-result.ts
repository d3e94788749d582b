/** One security check's outcome: what the checks (checks.ts) and the deny list's own check (deny-list/check.ts) return. */
import type { CheckStatus } from "../../core/enums.ts";

export interface CheckResult {
  key: string;
  name: string;
  status: CheckStatus;
  message: string;
  details?: string;
}
