import { describe, expect, test } from "vitest";
import { formatDuration, parseDuration, parseRate } from "../../harness/base/units.js";

describe("durations", () => {
  test.each([
    ["800ms", 800],
    ["1.5s", 1500],
    ["2m", 120_000],
    ["1h", 3_600_000],
    [" 20s ", 20_000],
  ])("%s → %d ms", (input, ms) => expect(parseDuration(input)).toEqual({ ok: true, value: ms }));

  test.each([
    [30, /needs a unit: write 30ms or 30s/],
    ["30", /not a duration/],
    ["30 sec", /not a duration/],
    ["-1s", /not a duration/],
    [null, /expected a duration/],
  ])("%j is refused with a message", (input, message) => {
    const parsed = parseDuration(input);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });
});

describe("rates", () => {
  test.each([
    ["20/s", 20],
    ["600/m", 10],
    ["3600/h", 1],
  ])("%s → %d per second", (input, perSecond) => expect(parseRate(input)).toEqual({ ok: true, value: perSecond }));

  test.each([[10], ["10"], ["10/d"], ["/s"]])("%j is refused", (input) => expect(parseRate(input).ok).toBe(false));
});

test.each([
  [850, "850ms"],
  [1500, "1.5s"],
  [150_000, "2m30s"],
  [5.25, "5.25ms"],
])("formatDuration(%d) = %s", (ms, text) => expect(formatDuration(ms)).toBe(text));
