/**
 * The `/ws` endpoint: an Elysia plugin that hands Bun's sockets to the WsHub (hub.ts), which does
 * all the work. The hub is the plugin's `wsHub` decorator, so the app can read its client count
 * (ApiServices.wsClients) and stats.
 *
 * Stopping: call `wsHub.close()` before a graceful `app.stop()`. Bun's graceful stop waits for open
 * sockets to close, and Elysia runs onStop hooks only after it, so onStop here can only tidy up.
 */
import { Elysia } from "elysia";
import type { Bus } from "../../services/bus.ts";
import { WsHub, type HubOptions, type HubSocket } from "./hub.ts";

/** Who may connect is the auth guard's decision (auth/guard.ts): an upgrade is an ordinary GET to it. */
export type WsRouteOptions = Partial<HubOptions>;

/**
 * Elysia 1.4 passes Bun's own ServerWebSocket to the pong handler (its type says ElysiaWS), and
 * its ElysiaWS wrapper, whose `raw` is that socket, to the other handlers.
 */
function bunSocket(ws: object): HubSocket {
  return ("raw" in ws ? ws.raw : ws) as HubSocket;
}

export function wsRoute(bus: Bus, options: WsRouteOptions = {}) {
  const hub = new WsHub(options);
  const unsubscribe = bus.subscribe((event) => hub.publish(event));
  return (
    new Elysia()
      .decorate("wsHub", hub)
      .onStop(() => {
        unsubscribe();
        hub.close();
      })
      .ws("/ws", {
        open: (ws) => hub.connect(bunSocket(ws)),
        message: (ws, message) => hub.receive(bunSocket(ws), message),
        pong: (ws) => hub.heardFrom(bunSocket(ws)),
        drain: (ws) => hub.drain(bunSocket(ws)),
        close: (ws) => hub.disconnect(bunSocket(ws)),
      })
  );
}
