#!/usr/bin/env bun
/**
 * The least any mirror target can cost: a server that reads each copy's body and answers 204, nothing
 * else. bench:check copies to it from the same nginx set-up as to Moat, so that what nginx's `mirror`
 * costs by itself is told apart from what Moat adds. Run as its own process: `bun bench/lib/mirror-floor.ts <port>`.
 */
const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write("usage: bun bench/lib/mirror-floor.ts <port>\n");
  process.exit(2);
}
Bun.serve({
  hostname: "127.0.0.1",
  port,
  fetch: async (request) => {
    await request.arrayBuffer();
    return new Response(null, { status: 204 });
  },
});
