/** A Completion as the ordered list of stream deltas real providers send (contract.md 4.3, 4.5, 6). */
import { textDetailType } from "../contract/wire.js";
import type { Rng } from "../util/random.js";
import type { ChunkSpec } from "./chunk-spec.js";
import { chunkText } from "./chunking.js";
import type { Completion, PiecedText } from "./completion.js";

export interface StreamDelta {
  delta: Record<string, unknown>;
  /** Tokens this delta carries, for pacing; 0 for bookkeeping deltas. */
  tokens: number;
}

function chunks(text: PiecedText, spec: ChunkSpec, rng: Rng) {
  return chunkText({ pieces: text.pieces, text: text.text, spec, rng });
}

export function streamDeltas(c: Completion, spec: ChunkSpec, rng: Rng): StreamDelta[] {
  const out: StreamDelta[] = [];
  const hasText = c.reasoning !== null || c.content !== null;
  out.push({ delta: { role: "assistant", content: hasText ? "" : null }, tokens: 0 });

  if (c.reasoning) {
    const type = textDetailType(c.reasoningFormat);
    const field = type === "reasoning.text" ? "text" : "summary";
    for (const chunk of chunks(c.reasoning, spec, rng)) {
      out.push({
        delta: {
          content: "",
          reasoning: chunk.text,
          reasoning_details: [{ type, [field]: chunk.text, format: c.reasoningFormat, index: 0 }],
        },
        tokens: chunk.tokens,
      });
    }
  }
  if (c.closingDetails.length > 0) {
    out.push({ delta: { content: "", reasoning: null, reasoning_details: c.closingDetails }, tokens: 0 });
  }
  if (c.content) {
    for (const chunk of chunks(c.content, spec, rng)) out.push({ delta: { content: chunk.text }, tokens: chunk.tokens });
  }
  c.toolCalls.forEach((call, index) => {
    out.push({
      delta: { tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: "" } }] },
      tokens: 0,
    });
    for (const chunk of chunks(call.arguments, spec, rng)) {
      out.push({ delta: { tool_calls: [{ index, function: { arguments: chunk.text } }] }, tokens: chunk.tokens });
    }
  });
  return out;
}
