/**
 * Checks a parsed JSON or YAML value before anything recursive touches it: how deep it nests (a
 * self-referencing YAML anchor nests forever) and whether it holds a `__proto__` key, which
 * JavaScript objects cannot keep as data. Iterative, so a hostile value cannot overflow the stack;
 * it runs on every request body, so a node costs one small record, and a path is built only for a
 * problem.
 */
export type JsonProblem = { kind: "depth"; limit: number } | { kind: "proto"; path: PropertyKey[] };

interface Node {
  value: unknown;
  depth: number;
  parent: Node | undefined;
  key: PropertyKey;
}

function pathOf(node: Node | undefined): PropertyKey[] {
  const path: PropertyKey[] = [];
  for (let n = node; n?.parent; n = n.parent) path.unshift(n.key);
  return path;
}

export function guardJson(value: unknown, maxDepth: number): JsonProblem | undefined {
  const stack: Node[] = [{ value, depth: 0, parent: undefined, key: "" }];
  while (stack.length > 0) {
    const node = stack.pop() as Node;
    const v = node.value;
    if (v === null || typeof v !== "object") continue;
    if (node.depth >= maxDepth) return { kind: "depth", limit: maxDepth };
    const isArray = Array.isArray(v);
    for (const key of Object.keys(v)) {
      if (key === "__proto__") return { kind: "proto", path: [...pathOf(node), key] };
      const child = (v as Record<string, unknown>)[key];
      if (child !== null && typeof child === "object")
        stack.push({ value: child, depth: node.depth + 1, parent: node, key: isArray ? Number(key) : key });
    }
  }
  return undefined;
}
