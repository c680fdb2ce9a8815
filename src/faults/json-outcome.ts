/** What a fault does to a non-streamed (JSON) answer, where there are no chunks to break between. */
import type { Fault } from "./fault-spec.js";

export type JsonAction =
  /** The answer as usual. */
  | "send"
  /** A 502 with the contract's error body, in place of the answer. */
  | "error"
  /** The socket is destroyed, with no response. */
  | "destroy"
  /** No response; the connection stays open. */
  | "stall"
  /** A 200 whose body is not JSON. */
  | "malformed"
  /** A 200 whose body is cut in half. */
  | "truncate";

export interface JsonOutcome {
  delayMs: number;
  action: JsonAction;
}

export function jsonOutcome(faults: readonly Fault[]): JsonOutcome {
  let delayMs = 0;
  let action: JsonAction = "send";
  const act = (a: JsonAction) => {
    if (action === "send") action = a;
  };
  for (const f of faults) {
    switch (f.kind) {
      case "ttfb":
      case "slow":
        delayMs += f.ms;
        break;
      case "stall":
        if (f.ms === undefined) act("stall");
        else delayMs += f.ms;
        break;
      case "error":
        act("error");
        break;
      case "disconnect":
        act("destroy");
        break;
      case "malformed":
        act("malformed");
        break;
      case "truncate":
        act("truncate");
        break;
      case "http":
      case "quirk":
        break; // http is answered earlier; quirks are about stream framing
    }
  }
  return { delayMs, action };
}
