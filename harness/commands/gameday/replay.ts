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
 * @module
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { isMap, isSeq, parseDocument, YAMLSeq } from "yaml";
import { HarnessError } from "../../base/errors.js";
import { formatDuration } from "../../base/units.js";
import { parseScenario } from "../../scenario/load.js";

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
  let offset = 0;
  const phases = scenario.phases.map((p, i) => {
    const phase = { index: i, name: p.name, start: offset, end: (offset += p.duration) };
    if (timeScale !== 1) doc.setIn(["phases", i, "duration"], ms(p.duration));
    return phase;
  });
  const t0 = Number(trafficStart.t0);
  const rel = (t: number) => t - t0;
  const ends = events.filter((e) => e.type === "traffic_end" || e.type === "run_end");
  const runEnd = rel((ends[ends.length - 1] ?? events[events.length - 1]!).t);
  const written = new Map(events.filter((e) => e.type === "manual_action" && e.action === "inject").map((e) => [String(e.fault), e.written as Record<string, unknown> | undefined]));
  const added: string[] = [];
  for (const [name, fault] of written) {
    const apply = events.find((e) => e.type === "fault_apply" && e.fault === name);
    if (!apply || !fault) continue;
    const revert = events.find((e) => (e.type === "fault_revert" || e.type === "fault_reverted") && e.fault === name);
    const from = rel(apply.t);
    const to = revert ? rel(revert.t) : runEnd;
    for (const p of phases) {
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
      added.push(`${p.name} +${formatDuration(start - p.start)}: ${String(fault.kind)}`);
    }
  }
  const notes = events.filter((e) => e.type === "note").map((e) => `#   +${formatDuration(Math.max(0, rel(e.t)))} ${e.kind === "note" ? "" : `${String(e.kind)}${typeof e.sinceFaultMs === "number" ? ` (${Math.round(e.sinceFaultMs)} ms after the fault's start)` : ""}: `}${String(e.text).replace(/\n/g, " ")} (${String(e.by)})`);
  const header = [
    `# Replayed from the game day ${String(runStart.runId)} (aire gameday --to-scenario ${dir}).`,
    `# The faults injected by hand are scheduled in the phases they ran in, at the times they were applied${added.length > 0 ? `: ${added.join("; ")}` : " (none were)"}.`,
    ...(timeScale !== 1 ? [`# The phase durations are those it ran with (time scale ${timeScale}).`] : []),
    ...(notes.length > 0 ? ["# The team's notes:", ...notes] : []),
    "",
  ].join("\n");
  return `${header}${doc.toString({ lineWidth: 0 })}`;
}
