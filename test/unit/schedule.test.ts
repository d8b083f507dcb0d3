import { describe, expect, test } from "vitest";
import { faultSchema } from "../../faults/index.js";
import { activations, scheduleSchema } from "../../faults/schedule.js";
import { parseScenario } from "../../harness/scenario/load.js";

const schedule = (raw: unknown) => scheduleSchema.parse(raw);

describe("fault schedules", () => {
  test("no schedule: active for the whole phase", () => {
    expect(activations(undefined, 10_000, undefined)).toEqual([{ start: 0, end: 10_000, steps: [{ start: 0, value: undefined }] }]);
  });

  test("at and for: a window inside the phase", () => {
    expect(activations(schedule({ at: "2s", for: "3s" }), 10_000, undefined)).toEqual([{ start: 2000, end: 5000, steps: [{ start: 2000, value: undefined }] }]);
  });

  test("every: repeated windows, the last one cut at the phase end", () => {
    expect(activations(schedule({ at: "1s", for: "2s", every: "4s" }), 10_000, undefined).map((a) => [a.start, a.end])).toEqual([[1000, 3000], [5000, 7000], [9000, 10_000]]);
  });

  test("ramp: the parameter steps from `from` to the fault's own value", () => {
    const [a] = activations(schedule({ for: "4s", ramp: { param: "latency", from: "100ms", steps: 4 } }), 10_000, 400);
    expect(a!.steps).toEqual([{ start: 0, value: 100 }, { start: 1000, value: 200 }, { start: 2000, value: 300 }, { start: 3000, value: 400 }]);
    const [f] = activations(schedule({ ramp: { param: "fraction", from: "10%", steps: 2 } }), 1000, 0.9);
    expect(f!.steps.map((s) => s.value)).toEqual([0.1, 0.9]);
  });

  test("every fault kind accepts a schedule, and a bad one is reported", () => {
    expect(faultSchema.parse({ kind: "error-burst", provider: "p", schedule: { at: "1s" } })).toMatchObject({ schedule: { at: 1000 } });
    expect(scheduleSchema.safeParse({ for: "5s", every: "2s" }).success).toBe(false);
    const text = `apiVersion: aire/v1
name: s
target: { reference: { providers: [ { name: primary } ] } }
traffic: { arrival: { rate: 1/s } }
phases:
  - name: p
    duration: 5s
    faults:
      - { kind: latency, proxy: primary, latency: 1s, schedule: { ramp: { param: stream, from: 1 } } }
`;
    const result = parseScenario(text, "s.yaml");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((i) => `${i.path}: ${i.message}`)).toEqual(['phases[0].faults[0].schedule.ramp.param: "stream" is not a numeric parameter of latency (numeric: toxicity, latency, jitter)']);
  });
});
