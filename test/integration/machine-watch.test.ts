/**
 * The helper that lets a timing test measure again when the machine was busy: it must retry only
 * then, and never hide a failure on a quiet machine.
 */
import { execFileSync } from "node:child_process";
import { expect, test } from "vitest";
import { busiestWindow, disturbanceOf, onQuietMachine } from "../helpers/machine.js";

const linux = process.platform === "linux";

/** A CPU-bound process outside this test's process tree (its shell parent exits at once), stopped by its PID. */
function busyStranger(ms: number): { pid: number } & Disposable {
  const script = `const end = Date.now() + ${ms}; while (Date.now() < end) {}`;
  const pid = Number(execFileSync("sh", ["-c", `"${process.execPath}" -e '${script}' >/dev/null 2>&1 & echo $!`], { encoding: "utf8" }).trim());
  return {
    pid,
    [Symbol.dispose]() {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already ended
      }
    },
  };
}

const spin = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A test context whose skip is recorded (and stops the measurement, as vitest's does). */
function recordingContext(): { skip(note?: string): never; skipped: string | undefined } {
  const ctx = {
    skipped: undefined as string | undefined,
    skip(note?: string): never {
      ctx.skipped = note ?? "";
      throw new Error("skipped");
    },
  };
  return ctx;
}

test.runIf(linux)("a failure on a quiet machine fails at once; a pass is measured once", async () => {
  let calls = 0;
  const ctx = recordingContext();
  // Quiet by definition: no machine of 2 cores can be busier than 10 cores.
  await expect(
    onQuietMachine(
      ctx,
      async () => {
        calls++;
        await spin(300);
        expect("late").toBe("on time");
      },
      { busyCores: 10, burstCores: 10 },
    ),
  ).rejects.toThrow(/expected 'late' to be 'on time'.* \(on a quiet machine: other processes used [\d.]+ cores and the hypervisor stole [\d.]+ over 0\.\d s \([\d.]+ in the busiest second\)\)/);
  expect(calls).toBe(1);
  calls = 0;
  await onQuietMachine(ctx, async () => void calls++);
  expect(calls).toBe(1);
  expect(ctx.skipped).toBeUndefined();
});

test.runIf(linux)("a failure while another process takes a core is measured again; busy every time, the test is skipped with the figures", async () => {
  let calls = 0;
  const logs: string[] = [];
  const ctx = recordingContext();
  const log = console.log;
  console.log = (...args: unknown[]) => void logs.push(args.join(" "));
  try {
    await expect(
      onQuietMachine(ctx, async () => {
        calls++;
        using _stranger = busyStranger(600);
        await spin(500);
        expect("late").toBe("on time");
      }),
    ).rejects.toThrow("skipped");
  } finally {
    console.log = log;
  }
  expect(calls).toBe(3);
  expect(logs.filter((l) => /^attempt [12] of 3 failed while other processes used/.test(l))).toHaveLength(2);
  expect(ctx.skipped).toMatch(/^skipped: failed 3 times on a busy machine \(in the last, other processes used \d\.\d\d cores .*\): expected 'late' to be 'on time'/);
});

test.runIf(linux)("its own child processes are not the rest of the machine", async () => {
  const d = await disturbanceOf(async () => {
    execFileSync(process.execPath, ["-e", "const end = Date.now() + 500; while (Date.now() < end) {}"]);
  });
  expect(d.othersCores).toBeLessThan(0.5);
  const stranger = await disturbanceOf(async () => {
    using _s = busyStranger(600);
    await spin(500);
  });
  expect(stranger.othersCores).toBeGreaterThan(0.5);
});

test("the busiest second of stolen time: a burst that an average over the whole window hides", () => {
  // 100 ms readings over 10 s; the hypervisor steals 0.6 cores (6 ticks of 10 ms in 100 ms) for one second.
  const readings = [];
  let steal = 0;
  for (let i = 0; i <= 100; i++) {
    readings.push({ at: i * 100, steal });
    if (i >= 40 && i < 50) steal += 6;
  }
  expect(busiestWindow(readings)).toBeCloseTo(0.6, 5);
  expect((steal * 10) / 10_000).toBeCloseTo(0.06, 5); // the average
  // Windows end at the first reading at least a second later; a span shorter than one window has none.
  expect(busiestWindow(readings.slice(0, 10))).toBe(0);
  expect(busiestWindow([{ at: 0, steal: 0 }, { at: 2000, steal: 100 }])).toBeCloseTo(0.5, 5);
  expect(busiestWindow([])).toBe(0);
});
