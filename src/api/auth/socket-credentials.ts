/**
 * A WebSocket passes the auth guard once, at its upgrade, and may then stay open for days. This gives the
 * hub, for each socket, a check that the credentials of its upgrade still hold: the key is not revoked
 * and the session neither ended nor expired. It asks the database each time, because `moat apikey revoke`
 * runs in another process.
 */
import type { Store } from "../../store/db.ts";
import { identify } from "./guard.ts";

/** For an upgrade request: a check of its credentials, or null when it came without any (nothing to revoke). */
export function socketCredentialWatcher(store: Store, now: () => number) {
  return (request: Request): (() => boolean) | null => {
    const caller = identify(store, request, now());
    if (caller === null || caller === "invalid") return null;
    return () => {
      const again = identify(store, request, now());
      return again !== null && again !== "invalid" && again.keyId === caller.keyId;
    };
  };
}
