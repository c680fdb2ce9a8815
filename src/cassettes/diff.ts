/** The paths at which two JSON values differ, e.g. `messages[2].content` or `tools`. */
import { formatPath } from "../contract/validate-request.js";

export function differingPaths(a: unknown, b: unknown, limit = 5): string[] {
  const out: string[] = [];
  const walk = (x: unknown, y: unknown, path: PropertyKey[]) => {
    if (out.length >= limit || Object.is(x, y)) return;
    const bothArrays = Array.isArray(x) && Array.isArray(y);
    const bothObjects =
      !bothArrays && x !== null && y !== null && typeof x === "object" && typeof y === "object" && !Array.isArray(x) && !Array.isArray(y);
    if (bothArrays) {
      const xs = x as unknown[];
      const ys = y as unknown[];
      for (let i = 0; i < Math.max(xs.length, ys.length); i++) walk(xs[i], ys[i], [...path, i]);
      return;
    }
    if (bothObjects) {
      const xo = x as Record<string, unknown>;
      const yo = y as Record<string, unknown>;
      for (const key of new Set([...Object.keys(xo), ...Object.keys(yo)])) walk(xo[key], yo[key], [...path, key]);
      return;
    }
    out.push(formatPath(path) || "(the whole body)");
  };
  walk(a, b, []);
  return out;
}
