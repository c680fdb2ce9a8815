/**
 * Timed stream events: what the writer puts on the socket, and when (ms after the stream starts).
 * Faults and quirks are transformations of this list (src/faults/).
 */
export type StreamEvent =
  /** A `data:` chunk the client counts; `finish` marks the one carrying finish_reason. */
  | { kind: "chunk"; at: number; frame: string; finish?: boolean }
  | { kind: "comment"; at: number; frame: string }
  /** Bytes written as they are, in a write of their own. */
  | { kind: "raw"; at: number; bytes: string | Buffer }
  /** `data: [DONE]`, then the response ends. */
  | { kind: "done"; at: number }
  /** The response ends cleanly, with nothing more. */
  | { kind: "end"; at: number }
  /** The socket is destroyed: the client sees the connection drop. */
  | { kind: "destroy"; at: number }
  /** Nothing more is written; the connection stays open until the client leaves. */
  | { kind: "stall"; at: number };

export interface StreamPlan {
  /** When the status line and headers go out (later than 0 only for a slow first byte). */
  headersAt: number;
  events: StreamEvent[];
}

export const KEEP_ALIVE_FRAME = ": OPENROUTER PROCESSING\n\n";
