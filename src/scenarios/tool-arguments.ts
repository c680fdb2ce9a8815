/** Plausible tool-call arguments made up from a tool's JSON Schema, for replies that leave them out. */
type Schema = Record<string, unknown>;

function valueFor(schema: Schema | undefined, name: string, hint: string, depth: number): unknown {
  if (!schema || depth > 5) return hint;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if (schema.const !== undefined) return schema.const;
  if (schema.default !== undefined) return schema.default;
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  switch (type) {
    case "object":
      return argumentsFor(schema, hint, depth + 1);
    case "array":
      return [valueFor(schema.items as Schema | undefined, name, hint, depth + 1)];
    case "integer":
    case "number":
      return typeof schema.minimum === "number" ? schema.minimum : 1;
    case "boolean":
      return true;
    default:
      return hint === "" ? name : hint;
  }
}

/** Fills every required property (all properties when none are marked required). */
export function argumentsFor(schema: Schema | null | undefined, hint: string, depth = 0): Record<string, unknown> {
  const properties = (schema?.properties ?? {}) as Record<string, Schema>;
  const required = Array.isArray(schema?.required) ? (schema.required as string[]) : Object.keys(properties);
  const out: Record<string, unknown> = {};
  for (const key of required) out[key] = valueFor(properties[key], key, hint, depth);
  return out;
}
