/** A toxic as the API stores and shows it. @module */
import type { Attributes } from "./toxics.js";

export interface ToxicRecord {
  name: string;
  type: string;
  /** Echoed exactly as sent (e.g. "UPSTREAM"); `direction` is the parsed value. */
  stream: string;
  direction: "upstream" | "downstream";
  toxicity: number;
  attributes: Attributes;
}

/** The JSON a real Toxiproxy 2.12 returns for a toxic, in its field order. */
export function toxicJson(t: ToxicRecord) {
  return { attributes: t.attributes, name: t.name, type: t.type, stream: t.stream, toxicity: t.toxicity };
}
