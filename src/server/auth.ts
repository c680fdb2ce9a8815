/** The bearer-token check of contract.md 2.1: any non-empty key, or exactly `--api-key` when set. */
import { MockError } from "../contract/errors.js";

const unauthorized = (message: string) => new MockError({ status: 401, message, type: "authentication_error" });

export function checkAuth(header: string | undefined, apiKey: string | undefined): void {
  const match = header === undefined ? null : /^Bearer\s+(\S.*)$/i.exec(header.trim());
  if (!match) {
    throw unauthorized(
      header === undefined
        ? "Invalid API key: the request has no Authorization header; send `Authorization: Bearer <key>`."
        : "Invalid API key: the Authorization header must read `Bearer <key>`.",
    );
  }
  if (apiKey !== undefined && match[1] !== apiKey)
    throw unauthorized("Invalid API key: this key is not the one the mock was started with (--api-key).");
}
