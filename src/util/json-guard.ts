/**
 * Checks a parsed JSON or YAML value before anything recursive touches it: how deep it nests (a
 * self-referencing YAML anchor nests forever) and whether it holds a `__proto__` key, which
 * JavaScript objects cannot keep as data. Iterative, so a hostile value cannot overflow the stack.
 */
export type JsonProblem = { kind: "depth"; limit: number } | { kind: "proto"; path: PropertyKey[] };

export function guardJson(value: unknown, maxDepth: number): JsonProblem | undefined {
  const stack: Array<{ value: unknown; path: PropertyKey[] }> = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: v, path } = stack.pop() as { value: unknown; path: PropertyKey[] };
    if (v === null || typeof v !== "object") continue;
    if (path.length >= maxDepth) return { kind: "depth", limit: maxDepth };
    for (const key of Object.keys(v)) {
      if (key === "__proto__") return { kind: "proto", path: [...path, key] };
      stack.push({ value: (v as Record<string, unknown>)[key], path: [...path, Array.isArray(v) ? Number(key) : key] });
    }
  }
  return undefined;
}
