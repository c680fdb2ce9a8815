/**
 * The floor to measure against: servers that answer every request with one fixed SSE body, with
 * no work per request. `node` is bare node:http; `express` adds Express routing and its JSON body
 * parser, so the two together show Express's own per-request cost.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";

const kind = process.argv[2] ?? "node";
const body = process.argv[3] ?? "data: [DONE]\n\n";
const headers = { "content-type": "text/event-stream", "cache-control": "no-cache", "x-request-id": "req_fixed" };

let server: ReturnType<typeof createServer>;
if (kind === "express-raw") {
  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");
  app.post("/api/v1/chat/completions", (req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (d: Buffer) => parts.push(d));
    req.on("end", () => {
      JSON.parse(Buffer.concat(parts).toString("utf8"));
      res.writeHead(200, headers);
      res.end(body);
    });
  });
  server = createServer(app);
} else if (kind === "express") {
  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");
  app.post("/api/v1/chat/completions", express.json({ type: () => true }), (_req, res) => {
    res.writeHead(200, headers);
    res.end(body);
  });
  server = createServer(app);
} else {
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, headers);
      res.end(body);
    });
  });
}
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
