/**
 * Runtime behaviours of a provider, set and reverted through its admin API by the fault layer.
 * Each has an id; the active set is what the provider applies to new requests.
 * @module
 */
import { z } from "zod";

const fraction = z.number().min(0).max(1).default(1);

export const behaviourSchema = z.discriminatedUnion("type", [
  /** Answer a fraction of requests with an error status at once. */
  z.strictObject({ type: z.literal("error"), fraction, status: z.union([z.literal(429), z.literal(500), z.literal(502), z.literal(503), z.literal(529)]), retryAfterMs: z.number().nonnegative().optional() }),
  /** Add to (and multiply) the time to first token. */
  z.strictObject({ type: z.literal("ttft"), fraction, addMs: z.number().nonnegative().default(0), factor: z.number().positive().default(1) }),
  /** Divide the decode speed. */
  z.strictObject({ type: z.literal("decode-slowdown"), fraction, factor: z.number().min(1) }),
  /** Drop the connection after N content tokens (no finish_reason, no [DONE]). */
  z.strictObject({ type: z.literal("stream-cut"), fraction, afterTokens: z.number().int().nonnegative() }),
  /** Pause D ms before token K. */
  z.strictObject({ type: z.literal("stream-stall"), fraction, atToken: z.number().int().nonnegative(), durationMs: z.number().positive() }),
  /** Send a chunk that is not valid JSON at token K. */
  z.strictObject({ type: z.literal("malformed-chunk"), fraction, atToken: z.number().int().nonnegative() }),
  /** After K tokens of a 200 stream, send an error event and end. */
  z.strictObject({ type: z.literal("error-event"), fraction, afterTokens: z.number().int().nonnegative() }),
  /** Answer 200 with degraded content: empty, one word repeated, or off-topic (ignores instructions). */
  z.strictObject({ type: z.literal("degrade"), fraction, mode: z.enum(["empty", "repeat", "off-topic"]) }),
  /** Report wrong token counts in `usage`. */
  z.strictObject({ type: z.literal("wrong-usage"), fraction, factor: z.number().nonnegative().default(1), offset: z.number().int().default(0) }),
  /** Squeeze the per-key quota: these limits replace the configured ones while active. */
  z.strictObject({ type: z.literal("quota"), rpm: z.number().positive().optional(), tpm: z.number().positive().optional() }).refine((b) => b.rpm !== undefined || b.tpm !== undefined, "give rpm, tpm or both"),
  /** Lose GPU slots (capacity): each pod runs `slots − lost` sequences at most. */
  z.strictObject({ type: z.literal("slot-loss"), lost: z.number().int().positive() }),
]);

export type BehaviourSpec = z.output<typeof behaviourSchema>;
export type Behaviour = BehaviourSpec & { id: string };

/** The active behaviours, in the order they were set. */
export class BehaviourSet {
  #items: Behaviour[] = [];
  #next = 1;

  add(spec: BehaviourSpec, id?: string): Behaviour {
    const behaviour = { ...spec, id: id ?? `b${this.#next++}` } as Behaviour;
    this.#items.push(behaviour);
    return behaviour;
  }

  remove(id: string): boolean {
    const before = this.#items.length;
    this.#items = this.#items.filter((b) => b.id !== id);
    return this.#items.length < before;
  }

  replaceAll(items: readonly Behaviour[]): void {
    this.#items = [...items];
  }

  clear(): void {
    this.#items = [];
  }

  list(): readonly Behaviour[] {
    return this.#items;
  }

  /** The active behaviours of one type. */
  of<T extends Behaviour["type"]>(type: T): Extract<Behaviour, { type: T }>[] {
    return this.#items.filter((b): b is Extract<Behaviour, { type: T }> => b.type === type);
  }

  lostSlots(): number {
    return this.of("slot-loss").reduce((sum, b) => sum + b.lost, 0);
  }
}
