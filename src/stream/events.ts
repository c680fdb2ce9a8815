/** Timed stream events: what the writer puts on the socket, and when (ms after the stream starts). */
export type StreamEvent =
  | { kind: "chunk"; at: number; frame: string }
  | { kind: "comment"; at: number; frame: string }
  | { kind: "done"; at: number };

export const KEEP_ALIVE_FRAME = ": OPENROUTER PROCESSING\n\n";
