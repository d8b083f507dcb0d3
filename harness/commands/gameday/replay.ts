/**
 * `aire gameday --to-scenario DIR`: a game day's results directory as an ordinary scenario, so
 * what the team improvised runs unattended in tomorrow's nightly job.
 *
 * The scenario is the one that ran, as `scenario.resolved.yaml` records it (its `extends` merged,
 * its `--set` applied), with the phase durations it ran with (a time scale written in), and each
 * fault injected by hand added to the phase it ran in, as written in the console's form, with a
 * `schedule` at the time it was applied (`at`) for as long as it stayed (`for`; none when it ran
 * to the phase's end); a fault that spanned a phase boundary becomes one entry per phase. The
 * phases are the scenario's own, so its hypotheses judge the same windows. The team's notes are
 * comments at the top. The result validates, and `aire plan` shows the same fault timeline.
 *
 * Where a facilitator moved the phases (hold, extend, advance) or the rate, the phases are cut
 * where they ran (their durations as they ran), every fault of the run — scheduled or by hand — is
 * written at the times it was in place, and the shared arrival is written as it ran in time (as
 * `steps`, when its rate was flat in each stretch; the same draws, so the same request times).
 * @module
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { isMap, isSeq, parseDocument, YAMLSeq } from "yaml";
import { HarnessError } from "../../base/errors.js";
import { formatDuration } from "../../base/units.js";
import { parseScenario } from "../../scenario/load.js";
import { phaseActions } from "../../results/build.js";
import { arrivalModel } from "../../traffic/arrival.js";
import { PhaseClock } from "../../traffic/phase-clock.js";

type Event = { t: number; type: string; [k: string]: unknown };

/** The events of a results directory (a line cut by a kill is skipped). */
async function readEvents(dir: string): Promise<Event[]> {
  const text = await readFile(join(dir, "events.jsonl"), "utf8").catch(() => {
    throw new HarnessError("USAGE", { message: `${dir}: not a results directory (no events.jsonl)` });
  });
  return text.split("\n").flatMap((line) => {
    try {
      return line.trim() ? [JSON.parse(line) as Event] : [];
    } catch {
      return [];
    }
  });
}

const ms = (v: number) => `${Math.max(0, Math.round(v))}ms`;
/** To the microsecond: phases and steps where a facilitator's clock put them (its times are kept so). */
const exactMs = (v: number) => `${Math.max(0, Math.round(v * 1000) / 1000)}ms`;

export async function toScenario(dir: string): Promise<string> {
  const events = await readEvents(dir);
  const runStart = events.find((e) => e.type === "run_start");
  const trafficStart = events.find((e) => e.type === "traffic_start");
  if (!runStart || !trafficStart) throw new HarnessError("USAGE", { message: `${dir}: the run never started its traffic: nothing to replay` });
  const resolved = await readFile(join(dir, "scenario.resolved.yaml"), "utf8");
  // The header aire wrote (the run, the --set it took) is comments; the rest is the scenario as it ran.
  const text = resolved.replace(/^(# aire resolved scenario:.*\n)(# --set .*\n)*/, "");
  const timeScale = typeof runStart.timeScale === "number" ? runStart.timeScale : 1;
  const parsed = parseScenario(text, join(dir, "scenario.resolved.yaml"), { ...(timeScale !== 1 ? { timeScale } : {}), faultsByHand: true });
  if (!parsed.ok) throw new HarnessError("USAGE", { message: `${dir}: its scenario.resolved.yaml does not load: ${parsed.issues[0]?.message ?? "?"}` });
  const { scenario } = parsed.value;
  const doc = parseDocument(text);
  if (!isMap(doc.contents)) throw new HarnessError("USAGE", { message: `${dir}: its scenario.resolved.yaml is not a mapping` });
  // Its time scale is written into the durations; its quick form was applied when it ran.
  doc.delete("quick");
  const phasesNode = doc.get("phases");
  if (!isSeq(phasesNode)) throw new HarnessError("USAGE", { message: `${dir}: its scenario has no phases list` });
  const t0 = Number(trafficStart.t0);
  const rel = (t: number) => t - t0;
  const ends = events.filter((e) => e.type === "traffic_end" || e.type === "run_end");
  const runEnd = rel((ends[ends.length - 1] ?? events[events.length - 1]!).t);
  const actions = phaseActions(events);
  const clock = PhaseClock.replay(scenario.phases, actions);
  const moved = actions.length > 0;
  // Held when the run stopped: the phase ran until the traffic stopped.
  const stoppedAt = rel((events.find((e) => e.type === "traffic_end" || e.type === "run_status") ?? events[events.length - 1]!).t);
  const windows = clock.windows();
  let offset = 0;
  const phases = scenario.phases.map((p, i) => {
    const w = windows[i];
    const start = w ? w.start : offset;
    const end = w ? (w.end ?? Math.max(start, stoppedAt)) : start + p.duration;
    offset = end;
    const phase = { index: i, name: p.name, start, end };
    if (moved) doc.setIn(["phases", i, "duration"], exactMs(end - start));
    else if (timeScale !== 1) doc.setIn(["phases", i, "duration"], ms(p.duration));
    return phase;
  });
  const notes2: string[] = [];
  // A phase a facilitator held, extended or cut: its scheduled faults ran on the moved clock, so
  // they are written where they were in place; the others' schedules ran as written.
  const touched = new Set(phases.filter((p) => Math.abs(p.end - p.start - scenario.phases[p.index]!.duration) > 0.5 || actions.some((a) => a.action !== "rate" && a.at >= p.start && a.at < p.end)).map((p) => p.name));
  // As written in the scenario (units and all), by phase and index.
  const writtenFault = (phase: string, index: number) => {
    const i = scenario.phases.findIndex((p) => p.name === phase);
    const node = doc.getIn(["phases", i, "faults", index], true) as { toJSON?: () => unknown } | undefined;
    const json = node && typeof node.toJSON === "function" ? node.toJSON() : undefined;
    return json && typeof json === "object" ? (json as Record<string, unknown>) : undefined;
  };
  if (moved) {
    const arrival = arrivalOf(scenario.traffic.arrival, clock, Math.max(0, Math.min(clock.wallEnd(), stoppedAt)));
    if (typeof arrival === "string") notes2.push(arrival);
    else if (arrival) {
      const node = doc.createNode(arrival);
      node.flow = true;
      doc.setIn(["traffic", "arrival"], node);
    }
    notes2.push(`# The phases ran as the facilitator moved them (${actions.map((a) => `${a.action}${a.action === "extend" ? ` ${formatDuration(a.ms)}` : a.action === "rate" ? ` ${a.rate === null ? "back" : `${a.rate}/s`}` : ""} at +${formatDuration(a.at)}`).join(", ")}): their durations are those they ran, and every fault is at the times it was in place.`);
  }
  const written = new Map(events.filter((e) => e.type === "manual_action" && e.action === "inject").map((e) => [String(e.fault), e.written as Record<string, unknown> | undefined]));
  /** The phase a scheduled fault belongs to (it ends by that phase's end); none for a fault by hand. */
  const ownPhase = new Map<string, string>();
  if (moved) {
    // The scheduled faults of the touched phases too, as written, each activation (a ramp's step with its value).
    const prefix = `aire-${String(runStart.runId)}-`;
    for (const e of events) {
      if (e.type !== "fault_apply" || written.has(String(e.fault)) || !touched.has(String(e.phase))) continue;
      // Named aire-<run>-<phase>-<index>-<kind>…: the index is the fault's in its phase.
      const own = `${prefix}${String(e.phase)}-`;
      const m = String(e.fault).startsWith(own) ? /^(\d+)-/.exec(String(e.fault).slice(own.length)) : null;
      const original = m ? writtenFault(String(e.phase), Number(m[1])) : undefined;
      if (!original) continue;
      const fault = { ...original };
      const ramp = (original.schedule as { ramp?: { param?: string } } | undefined)?.ramp?.param;
      const params = e.params as Record<string, unknown> | undefined;
      if (ramp && params && typeof params[ramp] === "number") fault[ramp] = unitLike(original[ramp], params[ramp] as number);
      written.set(String(e.fault), fault);
      ownPhase.set(String(e.fault), String(e.phase));
    }
    for (const p of phases) if (touched.has(p.name)) doc.deleteIn(["phases", p.index, "faults"]);
  }
  const added: string[] = [];
  for (const [name, fault] of written) {
    const apply = events.find((e) => e.type === "fault_apply" && e.fault === name);
    if (!apply || !fault) continue;
    const revert = events.find((e) => (e.type === "fault_revert" || e.type === "fault_reverted") && e.fault === name);
    const from = rel(apply.t);
    const to = revert ? rel(revert.t) : runEnd;
    for (const p of phases) {
      const own = ownPhase.get(name);
      if (own !== undefined && own !== p.name) continue;
      const start = Math.max(from, p.start);
      const end = Math.min(to, p.end);
      if (end - start < 1) continue;
      const { schedule: _ignored, ...params } = fault;
      const entry = { ...params, schedule: { at: ms(start - p.start), ...(end < p.end - 1 ? { for: ms(end - start) } : {}) } };
      let faults = doc.getIn(["phases", p.index, "faults"]);
      if (!isSeq(faults)) {
        doc.setIn(["phases", p.index, "faults"], new YAMLSeq());
        faults = doc.getIn(["phases", p.index, "faults"]);
      }
      const node = doc.createNode(entry);
      node.flow = true;
      (faults as YAMLSeq).items.push(node);
      if (!moved || name.includes("-manual-")) added.push(`${p.name} +${formatDuration(start - p.start)}: ${String(fault.kind)}`);
    }
  }
  const notes = events.filter((e) => e.type === "note").map((e) => `#   +${formatDuration(Math.max(0, rel(e.t)))} ${e.kind === "note" ? "" : `${String(e.kind)}${typeof e.sinceFaultMs === "number" ? ` (${Math.round(e.sinceFaultMs)} ms after the fault's start)` : ""}: `}${String(e.text).replace(/\n/g, " ")} (${String(e.by)})`);
  const header = [
    `# Replayed from the game day ${String(runStart.runId)} (aire gameday --to-scenario ${dir}).`,
    `# The faults injected by hand are scheduled in the phases they ran in, at the times they were applied${added.length > 0 ? `: ${added.join("; ")}` : " (none were)"}.`,
    ...(timeScale !== 1 ? [`# The phase durations are those it ran with (time scale ${timeScale}).`] : []),
    ...notes2,
    ...(notes.length > 0 ? ["# The team's notes:", ...notes] : []),
    "",
  ].join("\n");
  return `${header}${doc.toString({ lineWidth: 0 })}`;
}

/**
 * The shared arrival as it ran on the moved clock: unchanged when its profile is (a constant rate
 * that was held), else `steps` of the flat stretches; a sentence saying so where it cannot be.
 */
function arrivalOf(arrival: Parameters<typeof arrivalModel>[0] | { type: "closed" }, clock: PhaseClock, end: number): Record<string, unknown> | string | undefined {
  if (arrival.type === "closed") return undefined;
  const model = arrivalModel(arrival, clock.total);
  const wall = clock.wallProfile(model.segments, true).filter((s) => s.start < end).map((s) => ({ ...s, end: Math.min(s.end, end) }));
  const flat = wall.every((s) => s.r0 === s.r1);
  if (flat && new Set(wall.map((s) => s.r0)).size === 1 && model.segments.every((s) => s.r0 === wall[0]?.r0 && s.r1 === s.r0)) return undefined;
  if (!flat || model.spacing.kind === "gamma") return `# The ${arrival.type} arrival is written as the scenario had it: its rate was not flat where the phases moved, so it cannot be written as steps (the replay's request times differ from the game day's).`;
  const stretches: { rate: number; ms: number }[] = [];
  for (const s of wall) {
    const last = stretches.at(-1);
    if (last && last.rate === s.r0) last.ms += s.end - s.start;
    else stretches.push({ rate: s.r0, ms: s.end - s.start });
  }
  const steps = stretches.map((s) => ({ rate: `${s.rate}/s`, for: exactMs(s.ms) }));
  return { type: "steps", steps, ...(model.spacing.kind === "poisson" ? { process: "poisson" } : {}) };
}

/** A ramp step's value (ms, a fraction, a number) written as the scenario wrote the parameter. */
function unitLike(written: unknown, value: number): string | number {
  const text = typeof written === "string" ? written.trim() : "";
  const round = (v: number) => Math.round(v * 1000) / 1000;
  if (/%$/.test(text)) return `${round(value * 100)}%`;
  if (/\/\s*[smh]$/.test(text)) return `${round(value)}/s`;
  if (/(ms|s|m|h)$/.test(text)) return `${round(value)}ms`;
  return value;
}
