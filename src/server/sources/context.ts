/** What every source of answers (scenarios, cassettes, the upstream) gets for one request. */
import type { ServerResponse } from "node:http";
import type { ChatRequest } from "../../contract/request-schema.js";
import type { FaultSpec } from "../../faults/fault-spec.js";
import type { Latency, LatencyOverrides } from "../../stream/latency.js";
import type { PromptTokens } from "../../usage/prompt-tokens.js";
import type { ControlHeaders } from "../control-headers.js";
import type { RequestRecord } from "../record-request.js";
import type { BodyRequest } from "../respond.js";
import type { MockState, Session } from "../state.js";

export interface ChatContext {
  state: MockState;
  req: BodyRequest;
  res: ServerResponse;
  record: RequestRecord;
  control: ControlHeaders;
  request: ChatRequest;
  stream: boolean;
  session: Session;
  prompt: PromptTokens;
  seed: string;
  /** The fingerprint of the request body (redacted, as cassettes store it). */
  print: string;
  /** The latency of this answer: the x-mock-latency header, else the scenario's `stream:`, else the server's. */
  latency(scenario?: (LatencyOverrides & { latency?: string | undefined }) | undefined): Latency;
  /** Picks the fault for this request, given the scenario's own (if any). */
  chooseFault(scenarioFault: FaultSpec | undefined): FaultSpec | undefined;
}
