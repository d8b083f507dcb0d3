/**
 * Decoding request bodies the way Toxiproxy's Go `encoding/json` does, with its error texts
 * (`bad request body: json: cannot unmarshal string into Go struct field … of type int64`).
 * @module
 */

export class BadRequest extends Error {}

/** Parses a body; an empty body is `EOF`, a truncated one `unexpected EOF`, as in Go. */
export function decodeBody(raw: string): unknown {
  if (raw.trim() === "") throw new BadRequest("bad request body: EOF");
  try {
    return JSON.parse(raw);
  } catch (err) {
    const truncated = /Unexpected end of JSON input|Unterminated/i.test(String(err));
    throw new BadRequest(`bad request body: ${truncated ? "unexpected EOF" : `invalid character in JSON (${(err as Error).message})`}`);
  }
}

export type GoType = "string" | "bool" | "int64" | "float32";

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value === "boolean" ? "bool" : typeof value === "object" ? "object" : typeof value;
}

/**
 * Reads `field` from `object` as Go type `type`. Missing and `null` give `undefined` (Go keeps the
 * zero value); a wrong JSON type gives the Go error.
 */
export function field(object: Record<string, unknown>, key: string, type: GoType, struct: string): unknown {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  const ok =
    type === "string" ? typeof value === "string" : type === "bool" ? typeof value === "boolean" : type === "int64" ? Number.isInteger(value) : typeof value === "number";
  if (!ok) {
    const found = typeof value === "number" && type === "int64" ? `number ${value}` : jsonType(value);
    throw new BadRequest(`bad request body: json: cannot unmarshal ${found} into Go struct field ${struct}.${key} of type ${type}`);
  }
  return value;
}

/** The body must be a JSON object for struct decoding. */
export function asObject(value: unknown, struct: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new BadRequest(`bad request body: json: cannot unmarshal ${jsonType(value)} into Go value of type ${struct}`);
  }
  return value as Record<string, unknown>;
}
