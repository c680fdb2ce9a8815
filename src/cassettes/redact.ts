/**
 * Secrets never reach a cassette: credential headers, JSON paths named by --redact, literal values
 * of keys the server knows, and anything shaped like a bearer token or an `sk-` key inside strings.
 */
export const REDACTED = "[REDACTED]";

const CREDENTIAL_HEADERS = ["authorization", "proxy-authorization", "x-api-key", "api-key", "cookie", "set-cookie"];
// Headers that describe one connection, not the request; never worth keeping.
const CONNECTION_HEADERS = ["host", "connection", "content-length", "transfer-encoding", "keep-alive", "accept-encoding", "date"];

const SECRET_SHAPES = [/\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/g, /\bsk-[A-Za-z0-9_-]{16,}/g];

export interface Redactor {
  headers(headers: Record<string, string | string[] | undefined>): Record<string, string>;
  /** Deep copy of a JSON value with redacted paths and secret-looking strings replaced. */
  body(value: unknown): unknown;
  /** Secrets replaced inside any text (SSE data, raw lines). */
  text(value: string): string;
}

export interface RedactOptions {
  /** Extra header names, and JSON body paths (`metadata.user_key`, `messages.*.name`). */
  redact?: readonly string[];
  /** Literal secrets the server knows (its upstream key). */
  secrets?: readonly string[];
}

export function makeRedactor(options: RedactOptions = {}): Redactor {
  const extra = (options.redact ?? []).map((r) => r.trim()).filter((r) => r !== "");
  const dropHeaders = new Set([...CREDENTIAL_HEADERS, ...extra.map((h) => h.toLowerCase())]);
  // Each --redact entry names a header and a JSON path at once; whichever exists is scrubbed.
  const paths = extra.map((p) => p.split("."));
  const secrets = (options.secrets ?? []).filter((s) => s.length >= 8);

  const text = (value: string): string => {
    let out = value;
    for (const secret of secrets) out = out.split(secret).join(REDACTED);
    for (const shape of SECRET_SHAPES) out = out.replace(shape, REDACTED);
    return out;
  };

  const walk = (value: unknown, path: string[]): unknown => {
    if (paths.some((p) => p.length === path.length && p.every((k, i) => k === "*" || k === path[i]))) return REDACTED;
    if (typeof value === "string") return text(value);
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, String(i)]));
    if (value !== null && typeof value === "object") {
      // fromEntries defines keys such as "__proto__" as plain data, never as the prototype.
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, [...path, k])]));
    }
    return value;
  };

  return {
    headers(headers) {
      const out: Record<string, string> = {};
      for (const [name, value] of Object.entries(headers)) {
        const key = name.toLowerCase();
        if (value === undefined || dropHeaders.has(key) || CONNECTION_HEADERS.includes(key) || key.startsWith("x-mock-")) continue;
        out[key] = text(Array.isArray(value) ? value.join(", ") : value);
      }
      return out;
    },
    body: (value) => walk(value, []),
    text,
  };
}
