/** Answers by forwarding to the real API, streaming its answer through as it arrives, and recording it when asked. */

import { setTimeout as sleep } from "node:timers/promises";
import type { Interaction } from "../../cassettes/schema.js";
import { errorChunk } from "../../contract/wire.js";
import type { Fault } from "../../faults/fault-spec.js";
import { liveFaults } from "../../faults/live.js";
import { forward, upstreamHeaders } from "../../proxy/forward.js";
import { isEventStream, relay, responseHeaders } from "../../proxy/relay.js";
import { faultError } from "../chat-errors.js";
import type { ChatContext } from "./context.js";

export async function answerFromUpstream(
  ctx: ChatContext,
  params: { cassette: string; record: boolean; redactedBody: unknown; redactedPrint: string },
): Promise<void> {
  const { state, req, res, record } = ctx;
  const { options } = state;
  record.source = "upstream";
  res.setHeader("x-mock-source", "upstream");
  const faults: readonly Fault[] = ctx.chooseFault(undefined)?.faults ?? [];
  // A pre-stream fault answers without troubling the upstream.
  const refused = faultError(faults, ctx.prompt.total, state.catalogue.get(ctx.request.model));
  if (refused) throw refused;

  const started = performance.now();
  const client = new AbortController();
  // Live traffic has no id known in advance; the upstream's x-generation-id names it when sent.
  let generationId = "gen-mock-error";
  const errorFrame = () => errorChunk({ id: generationId, created: Math.floor(Date.now() / 1000), model: ctx.request.model });
  const live = liveFaults(faults, errorFrame);
  let cutByFault = false;
  // A client that goes away takes the upstream request with it; a fault's cut does not.
  res.once("close", () => {
    if (!res.writableFinished && !cutByFault) client.abort();
  });
  const upstream = await forward({
    url: `${options.upstream}/chat/completions`,
    headers: upstreamHeaders(req.headers, options.upstreamKey),
    body: JSON.stringify(req.body),
    signal: client.signal,
    timeoutMs: options.upstreamTimeoutMs,
  });
  const headers = responseHeaders(upstream);
  const streamed = isEventStream(upstream);
  generationId = headers["x-generation-id"] ?? generationId;
  if (live?.headerDelayMs) await sleep(live.headerDelayMs);
  res.writeHead(upstream.status, {
    ...headers,
    "x-mock-source": "upstream",
    "x-request-id": headers["x-request-id"] ?? String(res.getHeader("x-request-id")),
  });
  if (streamed) res.flushHeaders();
  const relayed = await relay({
    upstream,
    res,
    started,
    keep: params.record,
    faults: live,
    onCut: () => {
      cutByFault = true;
    },
  });
  if (relayed.cut) {
    // The fault decided how the client's stream ended.
  } else if (relayed.broken && !res.destroyed) {
    // The upstream died mid-stream: the client gets the contract's mid-stream error, then the end.
    if (streamed) res.end(errorFrame());
    else res.destroy();
  } else if (!res.writableEnded) res.end();
  if (!params.record || relayed.clientLeft) return;

  const interaction: Interaction = {
    recordedAt: new Date().toISOString(),
    request: {
      method: "POST",
      path: (req.url ?? "/api/v1/chat/completions").split("?")[0] ?? "",
      headers: state.redactor.headers(req.headers),
      body: params.redactedBody,
      fingerprint: params.redactedPrint,
    },
    response: {
      status: upstream.status,
      headers: state.redactor.headers(headers),
      ...(relayed.events
        ? {
            events: relayed.events.map((e) =>
              "data" in e
                ? { ms: e.ms, data: state.redactor.text(e.data) }
                : "raw" in e
                  ? { ms: e.ms, raw: state.redactor.text(e.raw) }
                  : e,
            ),
          }
        : {}),
      ...(relayed.body !== undefined ? { body: state.redactor.body(relayed.body) } : {}),
      ...(relayed.broken ? { broken: relayed.broken } : {}),
    },
  };
  try {
    await state.cassettes.record(params.cassette, interaction, options.mode === "record");
  } catch (error) {
    // The client has its answer already; the failure is the operator's to see.
    console.error(`cline-mock: could not write cassette "${params.cassette}": ${(error as Error).message}`);
  }
}
