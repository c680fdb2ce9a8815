/** A request's identity for determinism and cassette matching: the body with keys sorted, `stream` and `stream_options` left out. */
import { shortHash, stableStringify } from "../util/hash.js";

export function fingerprint(body: Record<string, unknown>, ignore: readonly string[] = []): string {
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (key !== "stream" && key !== "stream_options" && !ignore.includes(key)) rest[key] = value;
  }
  return shortHash(stableStringify(rest));
}
