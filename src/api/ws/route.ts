/**
 * The `/ws` endpoint: an Elysia plugin that hands Bun's sockets to the WsHub (hub.ts), which does
 * all the work. The hub is the plugin's `wsHub` decorator, so the app can read its client count
 * (ApiServices.wsClients) and stats.
 *
 * Stopping: call `wsHub.close()` before a graceful `app.stop()`. Bun's graceful stop waits for open
 * sockets to close, and Elysia runs onStop hooks only after it, so onStop here can only tidy up.
 *
 * The frame limit is the server's (WS_SERVER_OPTIONS, given to the app that listens): Bun reads a
 * frame's length first and closes the socket with 1009 when it is over the limit, before buffering any
 * of it, so 15 MB frames cost nothing. The hub's own size check only sees what passed it.
 */
import { Elysia } from "elysia";
import type { Bus } from "../../pipeline/bus.ts";
import { MAX_CLIENT_MESSAGE_BYTES, WsHub, type HubOptions, type HubSocket } from "./hub.ts";

/** Bun's WebSocket settings, for the Elysia app that listens (`new Elysia({ websocket: WS_SERVER_OPTIONS })`): Bun has one set per server. */
export const WS_SERVER_OPTIONS = { maxPayloadLength: MAX_CLIENT_MESSAGE_BYTES };

/**
 * Who may connect is the auth guard's and the browser guard's decision (auth/guard.ts, auth/origin.ts):
 * an upgrade is an ordinary GET to them. `watchCredentials` gives, for the upgrade request, a check that
 * its credentials still hold (null when it came without any): the hub closes the socket when they stop.
 */
export interface WsRouteOptions extends Partial<HubOptions> {
  watchCredentials?: (request: Request) => (() => boolean) | null;
}

/**
 * Elysia 1.4 passes Bun's own ServerWebSocket to the pong handler (its type says ElysiaWS), and
 * its ElysiaWS wrapper, whose `raw` is that socket, to the other handlers.
 */
function bunSocket(ws: object): HubSocket {
  return ("raw" in ws ? ws.raw : ws) as HubSocket;
}

export function wsRoute(bus: Bus, { watchCredentials, ...options }: WsRouteOptions = {}) {
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
        open: (ws) => hub.connect(bunSocket(ws), watchCredentials?.(ws.data.request) ?? null),
        message: (ws, message) => hub.receive(bunSocket(ws), message),
        pong: (ws) => hub.heardFrom(bunSocket(ws)),
        drain: (ws) => hub.drain(bunSocket(ws)),
        close: (ws) => hub.disconnect(bunSocket(ws)),
      })
  );
}
