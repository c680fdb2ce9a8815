import { describe, expect, it } from "vitest";
import { unreachable } from "../../src/proxy/forward.js";

// A DNS failure cannot be produced here without asking a resolver off the machine, so the mapping
// of the error fetch raises for it is checked directly.
describe("upstream errors before a response", () => {
  const failure = (code: string) => Object.assign(new TypeError("fetch failed"), { cause: { code } });

  it("a failed name lookup is a 502 that names the upstream and the reason", () => {
    const error = unreachable("https://api.example.invalid/api/v1/chat/completions", failure("ENOTFOUND"), 1000, false);
    expect(error.status).toBe(502);
    expect(error.message).toBe("Upstream unreachable: https://api.example.invalid/api/v1/chat/completions (ENOTFOUND).");
    expect(error.toBody().error.metadata).toEqual({ upstream: "https://api.example.invalid/api/v1/chat/completions", reason: "ENOTFOUND" });
  });

  it("a refused connection is a 502, and the upstream timeout a 504 naming --upstream-timeout", () => {
    expect(unreachable("http://127.0.0.1:1/x", failure("ECONNREFUSED"), 1000, false).status).toBe(502);
    const timeout = unreachable("http://127.0.0.1:1/x", new DOMException("aborted", "AbortError"), 300, true);
    expect(timeout.status).toBe(504);
    expect(timeout.message).toMatch(/within 300 ms \(--upstream-timeout\)/);
  });
});
