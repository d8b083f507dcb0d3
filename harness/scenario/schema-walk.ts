/**
 * Finds the object schema that applies at a path of the input, so an unknown key can be answered
 * with the keys that are allowed there. Reads zod 4's public `_zod.def` structure.
 * @module
 */
import type { z } from "zod";

type Def = {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
};

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** Keys allowed by the object schema at `path` (empty when it is not an object schema). */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[], data: unknown): string[] {
  const target = schemaAt(schema, path, data);
  const def = target && defOf(unwrap(target, valueAt(data, path)));
  return def?.type === "object" && def.shape ? Object.keys(def.shape) : [];
}

function schemaAt(schema: z.ZodType, path: readonly PropertyKey[], data: unknown): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema;
  for (let i = 0; i < path.length && current; i++) {
    const def = defOf(unwrap(current, valueAt(data, path.slice(0, i))));
    const segment = path[i]!;
    if (def.type === "object") current = def.shape?.[String(segment)];
    else if (def.type === "array") current = def.element;
    else return undefined;
  }
  return current;
}

/** Strips wrappers (optional, default, pipe…) and picks the union member that fits `value`. */
function unwrap(schema: z.ZodType, value: unknown): z.ZodType {
  let current = schema;
  for (let guard = 0; guard < 32; guard++) {
    const def = defOf(current);
    if (def.innerType) current = def.innerType;
    else if (def.type === "pipe" && def.in) current = def.in;
    else if (def.type === "union" && def.options) {
      const match = def.options.find((option) => fits(option, value, def.discriminator));
      if (!match) return current;
      current = match;
    } else return current;
  }
  return current;
}

function fits(option: z.ZodType, value: unknown, discriminator: string | undefined): boolean {
  const def = defOf(unwrap(option, value));
  if (def.type !== "object" || !discriminator || typeof value !== "object" || value === null) return def.type === "object";
  const literal = def.shape?.[discriminator];
  return literal !== undefined && literal.safeParse((value as Record<string, unknown>)[discriminator]).success;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let current = data;
  for (const segment of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}
