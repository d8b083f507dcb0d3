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

function between(a: Snapshot, b: Snapshot): Disturbance {
  const windowMs = b.at - a.at;
  let ownUsed = 0;
  for (const [pid, ticks] of b.own) ownUsed += ticks - (a.own.get(pid) ?? 0);
  const others = Math.max(0, b.busy - a.busy - ownUsed);
  return { windowMs, othersCores: (others * TICK_MS) / windowMs, stealCores: ((b.steal - a.steal) * TICK_MS) / windowMs };
}

const describeDisturbance = (d: Disturbance) =>
  `other processes used ${d.othersCores.toFixed(2)} cores and the hypervisor stole ${d.stealCores.toFixed(2)} over ${(d.windowMs / 1000).toFixed(1)} s`;

/**
 * Runs a timing-sensitive measurement and its assertions. When they fail while the rest of the
 * machine took more than `busyCores` (other processes plus stolen time), the result says nothing
 * about aire: it is measured again, saying why, up to `attempts` times in all. When every attempt
 * failed on a busy machine, the test is skipped with the figures, as a test that needs Docker is
 * skipped where no engine answers: this machine did not give it the CPU it measures with. A failure
 * on a quiet machine fails at once.
 */
export async function onQuietMachine(ctx: { skip(note?: string): never }, measure: () => Promise<void>, options: { attempts?: number; busyCores?: number } = {}): Promise<void> {
  const attempts = options.attempts ?? 3;
  const busyCores = options.busyCores ?? 0.15;
  for (let attempt = 1; ; attempt++) {
    const before = snapshot();
    try {
      await measure();
      if (process.env.AIRE_MACHINE_LOG) console.log(`passed while ${describeDisturbance(between(before, snapshot()))}`);
      return;
    } catch (err) {
      const d = between(before, snapshot());
      const busy = d.othersCores + d.stealCores > busyCores;
      if (!busy) throw err;
      const message = String(err instanceof Error ? err.message : err).split("\n")[0];
      if (attempt >= attempts) {
        const note = `skipped: failed ${attempts} times on a busy machine (in the last, ${describeDisturbance(d)}; more than ${busyCores} cores): ${message}`;
        console.log(note);
        ctx.skip(note);
        return;
      }
      console.log(`attempt ${attempt} of ${attempts} failed while ${describeDisturbance(d)} (more than ${busyCores}); measuring again. It failed with: ${message}`);
    }
  }
}

/** The disturbance during `measure`, for calibrating a threshold. */
export async function disturbanceOf(measure: () => Promise<void>): Promise<Disturbance> {
  const before = snapshot();
  await measure();
  return between(before, snapshot());
}
