/**
 * What the rest of the machine took while a timing-sensitive measurement ran: the CPU of processes
 * outside this test's own process tree (another job, the test runner's main process) and the time
 * the hypervisor stole from this VM (`steal` in /proc/stat). A measurement to the millisecond on a
 * 2-core machine says something about aire only when the machine left it alone; a failure on a
 * machine that did is a real failure, and is never retried.
 * @module
 */
import { readdirSync, readFileSync } from "node:fs";

/** Linux reports process and machine CPU time in USER_HZ ticks, 100 a second. */
const TICK_MS = 10;

export interface Disturbance {
  windowMs: number;
  /** Cores' worth of CPU used by processes outside this test's process tree, on average. */
  othersCores: number;
  /** Cores' worth of time the hypervisor stole, on average. */
  stealCores: number;
  /** Cores' worth of time the hypervisor stole in the busiest second (0 when no second was watched). */
  busiestStealCores: number;
}

interface Snapshot {
  at: number;
  busy: number;
  steal: number;
  own: Map<number, number>;
}

/** Busy and stolen ticks of the whole machine (all CPUs), from /proc/stat's first line. */
function machineTicks(): { busy: number; steal: number } {
  const fields = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return { busy: user + nice + system + irq + softirq, steal };
}

/** This process and its descendants, each with the CPU ticks it has used (itself and its reaped children). */
function ownTicks(): Map<number, number> {
  const parents = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // gone since the listing
    }
    // The command name is in parentheses and may hold spaces: the fields start after the last ")".
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    parents.set(Number(entry), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) });
  }
  const own = new Map<number, number>();
  const isOwn = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; p = parents.get(p)?.ppid ?? 0, hops++) if (p === process.pid) return true;
    return false;
  };
  for (const [pid, { ticks }] of parents) if (isOwn(pid)) own.set(pid, ticks);
  return own;
}

/** Where there is no /proc (not Linux), nothing is known of the rest of the machine: it counts as quiet. */
const hasProc = (() => {
  try {
    readFileSync("/proc/stat");
    return true;
  } catch {
    return false;
  }
})();

function snapshot(): Snapshot {
  if (!hasProc) return { at: performance.now(), busy: 0, steal: 0, own: new Map() };
  return { at: performance.now(), ...machineTicks(), own: ownTicks() };
}

function between(a: Snapshot, b: Snapshot, busiestStealCores = 0): Disturbance {
  const windowMs = b.at - a.at;
  let ownUsed = 0;
  for (const [pid, ticks] of b.own) ownUsed += ticks - (a.own.get(pid) ?? 0);
  const others = Math.max(0, b.busy - a.busy - ownUsed);
  return { windowMs, othersCores: (others * TICK_MS) / windowMs, stealCores: ((b.steal - a.steal) * TICK_MS) / windowMs, busiestStealCores };
}

/** A reading of the machine's stolen ticks at a moment. */
export interface StealReading {
  at: number;
  steal: number;
}

/**
 * The stolen time, in cores, of the busiest window of `windowMs` among the readings (each window
 * starts at a reading and ends at the first reading at least `windowMs` later); 0 when the
 * readings span less than one window.
 */
export function busiestWindow(readings: readonly StealReading[], windowMs = 1000): number {
  let busiest = 0;
  for (let i = 0, j = 0; i < readings.length; i++) {
    j = Math.max(j, i + 1);
    while (j < readings.length && readings[j]!.at - readings[i]!.at < windowMs) j++;
    if (j >= readings.length) break;
    const span = readings[j]!.at - readings[i]!.at;
    busiest = Math.max(busiest, ((readings[j]!.steal - readings[i]!.steal) * TICK_MS) / span);
  }
  return busiest;
}

/**
 * Reads the stolen ticks every 100 ms while a measurement runs: an average over 20 s hides a second
 * in which the hypervisor took half a core, and that second is enough to move a few hundred sends
 * of a 500/s schedule by milliseconds. Reading /proc/stat's first line takes tens of microseconds.
 */
function watchSteal(): { stop(): number } {
  const readings: StealReading[] = [];
  const read = () => {
    if (hasProc) readings.push({ at: performance.now(), steal: machineTicks().steal });
  };
  read();
  const timer = setInterval(read, 100);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      read();
      return busiestWindow(readings);
    },
  };
}

const describeDisturbance = (d: Disturbance) =>
  `other processes used ${d.othersCores.toFixed(2)} cores and the hypervisor stole ${d.stealCores.toFixed(2)} over ${(d.windowMs / 1000).toFixed(1)} s (${d.busiestStealCores.toFixed(2)} in the busiest second)`;

/**
 * Runs a timing-sensitive measurement and its assertions. When they fail while the rest of the
 * machine took more than `busyCores` on average (other processes plus stolen time), or the
 * hypervisor stole more than `burstCores` in one second, the result says nothing about aire: it is
 * measured again, saying why, up to `attempts` times in all. When every attempt failed on a busy
 * machine, the test is skipped with the figures, as a test that needs Docker is skipped where no
 * engine answers: this machine did not give it the CPU it measures with. A failure on a quiet
 * machine fails at once, with the figures that made it quiet in its message.
 *
 * The thresholds, from the dispatch chi-square (traffic-accuracy) on this 2-core VM, 2026-12-03: it
 * passed with 0.03 cores stolen on average and 0.10 in the busiest second (others 0.04), and failed
 * with 0.16 and 0.28, 0.18 and 0.42, 0.26 and 0.40, 0.20 and 0.57; in CI it failed once under an
 * average below 0.15 (the busiest second was not watched then). An idle minute: 0.01 stolen, 0.02
 * in the busiest second. The limit for a second, 0.3, is three times a passing run's: lower, and a
 * real regression would be skipped on this VM more often than a noisy pass is saved.
 */
export async function onQuietMachine(
  ctx: { skip(note?: string): never },
  measure: () => Promise<void>,
  options: { attempts?: number; busyCores?: number; burstCores?: number } = {},
): Promise<void> {
  const attempts = options.attempts ?? 3;
  const busyCores = options.busyCores ?? 0.15;
  const burstCores = options.burstCores ?? 0.3;
  for (let attempt = 1; ; attempt++) {
    const before = snapshot();
    const steal = watchSteal();
    try {
      await measure();
      if (process.env.AIRE_MACHINE_LOG) console.log(`passed while ${describeDisturbance(between(before, snapshot(), steal.stop()))}`);
      return;
    } catch (err) {
      const d = between(before, snapshot(), steal.stop());
      const busy = d.othersCores + d.stealCores > busyCores || d.busiestStealCores > burstCores;
      if (!busy) {
        if (err instanceof Error) err.message += ` (on a quiet machine: ${describeDisturbance(d)})`;
        throw err;
      }
      const message = String(err instanceof Error ? err.message : err).split("\n")[0];
      if (attempt >= attempts) {
        const note = `skipped: failed ${attempts} times on a busy machine (in the last, ${describeDisturbance(d)}; more than ${busyCores} cores on average or ${burstCores} stolen in a second): ${message}`;
        console.log(note);
        ctx.skip(note);
        return;
      }
      console.log(`attempt ${attempt} of ${attempts} failed while ${describeDisturbance(d)} (more than ${busyCores} on average or ${burstCores} in a second); measuring again. It failed with: ${message}`);
    }
  }
}

/** The disturbance during `measure`, for calibrating a threshold. */
export async function disturbanceOf(measure: () => Promise<void>): Promise<Disturbance> {
  const before = snapshot();
  const steal = watchSteal();
  await measure();
  return between(before, snapshot(), steal.stop());
}
