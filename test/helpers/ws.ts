/** WebSocket handshakes from tests. Apart from api.ts: the dashboard tests import that one under the DOM library, whose WebSocket takes no headers. */
/** Whether a WebSocket handshake with these headers opens (Bun's WebSocket takes any header; a browser sets Origin itself, and its cookie). */
export function upgradeOutcome(url: string, headers: Record<string, string>): Promise<"opened" | "refused"> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.onopen = () => {
      resolve("opened");
      ws.close();
    };
    ws.onerror = () => resolve("refused");
    ws.onclose = () => resolve("refused");
  });
}
