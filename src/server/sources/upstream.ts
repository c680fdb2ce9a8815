/** Answers by forwarding to the real API, streaming its answer through as it arrives, and recording it when asked. */
import type { ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import type { Interaction } from "../../cassettes/schema.js";
import { errorChunk } from "../../contract/wire.js";
import type { Fault } from "../../faults/fault-spec.js";
import { type LiveFaults, liveFaults } from "../../faults/live.js";
import { forward, type UpstreamResponse, upstreamHeaders } from "../../proxy/forward.js";
import { isEventStream, relay, responseHeaders } from "../../proxy/relay.js";
import { faultError } from "../chat-errors.js";
import type { ChatContext } from "./context.js";

interface Target {
  cassette: string;
  record: boolean;
  redactedBody: unknown;
  redactedPrint: string;
}

/** The live stream's state that the error chunk and the close handler share. */
interface Live {
  generationId: string;
  cutByFault: boolean;
  faults: LiveFaults | undefined;
  errorFrame(): string;
}

export async function answerFromUpstream(ctx: ChatContext, target: Target): Promise<void> {
  const { state, req, res, record } = ctx;
  const { options } = state;
  record.source = "upstream";
  res.setHeader("x-mock-source", "upstream");
  const faults: readonly Fault[] = ctx.chooseFault(undefined)?.faults ?? [];
  // A pre-stream fault answers without troubling the upstream.
  const refused = faultError(faults, ctx.prompt.total, state.catalogue.get(ctx.request.model));
  if (refused) throw refused;

  const started = performance.now();
  // Live traffic has no id known in advance: the upstream's x-generation-id, then the first chunk's id, name it.
  const live: Live = {
    generationId: "gen-mock-error",
    cutByFault: false,
    faults: undefined,
    errorFrame: () => errorChunk({ id: live.generationId, created: Math.floor(Date.now() / 1000), model: ctx.request.model }),
  };
  live.faults = liveFaults(faults, live.errorFrame);
  const client = new AbortController();
  // A client that goes away takes the upstream request with it; a fault's cut does not.
  res.once("close", () => {
    if (!res.writableFinished && !live.cutByFault) client.abort();
  });
  const upstream = await forward({
    url: `${options.upstream}/chat/completions`,
    headers: upstreamHeaders(req.headers, options.upstreamKey),
    body: JSON.stringify(req.body),
    signal: client.signal,
    timeoutMs: options.upstreamTimeoutMs,
  });
  // From here on the work may outlive the client's connection (a fault cut it, the recording
  // goes on); the server's close() waits for it.
  const done = relayAndRecord(ctx, { target, upstream, started, live });
  state.recordings.add(done);
  try {
    await done;
  } finally {
    state.recordings.delete(done);
  }
}

async function relayAndRecord(
  ctx: ChatContext,
  params: { target: Target; upstream: UpstreamResponse; started: number; live: Live },
): Promise<void> {
  const { state, req, res } = ctx;
  const { target, upstream, started, live } = params;
  const headers = responseHeaders(upstream);
  const streamed = isEventStream(upstream);
  live.generationId = headers["x-generation-id"] ?? live.generationId;
  if (live.faults?.headerDelayMs) await sleep(live.faults.headerDelayMs);
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
    keep: target.record,
    faults: live.faults,
    onCut: () => {
      live.cutByFault = true;
    },
    onStreamId: (id) => {
      live.generationId = id;
    },
  });
  if (!relayed.cut) endClientStream(res, { broken: relayed.broken !== undefined, streamed, errorFrame: live.errorFrame });
  if (!target.record || relayed.clientLeft) return;

  const redact = state.redactor;
  const interaction: Interaction = {
    recordedAt: new Date().toISOString(),
    request: {
      method: "POST",
      path: (req.url ?? "/api/v1/chat/completions").split("?")[0] ?? "",
      headers: redact.headers(req.headers),
      body: target.redactedBody,
      fingerprint: target.redactedPrint,
    },
    response: {
      status: upstream.status,
      headers: redact.headers(headers),
      ...(relayed.events
        ? {
            events: relayed.events.map((e) =>
              "data" in e ? { ms: e.ms, data: redact.text(e.data) } : "raw" in e ? { ms: e.ms, raw: redact.text(e.raw) } : e,
            ),
          }
        : {}),
      ...(relayed.body !== undefined ? { body: redact.body(relayed.body) } : {}),
      ...(relayed.broken ? { broken: relayed.broken } : {}),
    },
  };
  try {
    await state.cassettes.record(target.cassette, interaction, state.options.mode === "record");
  } catch (error) {
    // The client has its answer already; the failure is the operator's to see.
    console.error(`cline-mock: could not write cassette "${target.cassette}": ${(error as Error).message}`);
  }
}

/** Ends the client's response; an upstream that died mid-stream gives the contract's mid-stream error first. */
function endClientStream(res: ServerResponse, params: { broken: boolean; streamed: boolean; errorFrame: () => string }): void {
  if (res.destroyed || res.writableEnded) return;
  if (!params.broken) res.end();
  else if (params.streamed) res.end(params.errorFrame());
  else res.destroy();
}
