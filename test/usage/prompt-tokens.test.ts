import { describe, expect, it } from "vitest";
import type { ChatRequest } from "../../src/contract/request-schema.js";
import { countPromptTokens } from "../../src/usage/prompt-tokens.js";
import { countTokens } from "../../src/usage/tokens.js";

const req = (over: Partial<ChatRequest>): ChatRequest =>
  ({ model: "m/x", messages: [{ role: "user", content: "hi" }], ...over }) as ChatRequest;

describe("countPromptTokens", () => {
  it("counts message text plus a few tokens of framing per message", () => {
    const text = "What is the capital of France?";
    const one = countPromptTokens(req({ messages: [{ role: "user", content: text }] }));
    expect(one).toBe(countTokens(text) + 3 + 3);
  });

  it("counts text content parts the same as a string", () => {
    const text = "Summarise this document for me.";
    expect(countPromptTokens(req({ messages: [{ role: "user", content: [{ type: "text", text }] }] }))).toBe(
      countPromptTokens(req({ messages: [{ role: "user", content: text }] })),
    );
  });

  it("counts tool definitions and tool-call arguments", () => {
    const tools = [
      {
        type: "function" as const,
        function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
      },
    ];
    const withTools = countPromptTokens(req({ tools }));
    expect(withTools - countPromptTokens(req({}))).toBe(countTokens(JSON.stringify(tools)));
    const withCall = countPromptTokens(
      req({
        messages: [
          {
            role: "assistant",
            content: null,
            tool_calls: [{ id: "c", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }],
          },
        ],
      }),
    );
    expect(withCall).toBeGreaterThan(countPromptTokens(req({ messages: [{ role: "assistant", content: null }] })));
  });
});
