/**
 * `aire init`: a first scenario for the user's own stack, from a few answers (asked on a terminal,
 * or given as flags): the target (the bundled reference stack, or an OpenAI-compatible URL), the
 * SLOs they hold today, the incidents to rehearse (from the fault catalogue), and the load. The
 * text is written with a comment on each block saying what it does and how to tighten it, and it
 * is loaded by the scenario loader before it is written: `aire init` never writes a file that
 * `aire validate` refuses.
 * @module
 */
import { HarnessError } from "../base/errors.js";
import { isLoopbackHost } from "../base/net/http-server.js";
import { formatIssue, parseScenario } from "../scenario/load.js";
import { incidents, type Incident } from "./incidents.js";
import { samplesToDecide } from "../slo/decidable.js";

export { incidents, type Incident };

export type Target = { kind: "reference" } | { kind: "url"; url: string; model: string; keyEnv?: string; toxiproxyUrl?: string; proxy?: string };

export interface InitAnswers {
  name: string;
  target: Target;
  /** As written in a scenario: `1s`, `99%`, `1%`. */
  slo: { ttftP95: string; availability: string; errorRate: string };
  incidents: string[];
  load: { rate: string; streamShare: number; promptTokens: number; maxTokens: number };
}

/** The incidents a target can rehearse: all for the reference stack; a url target's network ones, through its Toxiproxy. */
export function incidentsFor(target: Target): Incident[] {
  if (target.kind === "reference") return [...incidents];
  return target.toxiproxyUrl ? incidents.filter((i) => i.network) : [];
}

/** Problems with the answers that the scenario loader would report less clearly: an unknown incident, one the target cannot rehearse. */
export function answerProblems(a: InitAnswers): string[] {
  const out: string[] = [];
  const offered = incidentsFor(a.target).map((i) => i.id);
  for (const id of a.incidents) {
    if (!incidents.some((i) => i.id === id)) out.push(`unknown incident "${id}" (one of ${incidents.map((i) => i.id).join(", ")})`);
    else if (!offered.includes(id)) out.push(a.target.kind === "url" && !a.target.toxiproxyUrl ? `incident "${id}" needs a Toxiproxy in front of your providers (--toxiproxy-url) with a url target` : `incident "${id}" acts on the bundled stack's providers (their admin API); with a url target only ${offered.join(", ")}`);
  }
  if (!(a.load.streamShare >= 0 && a.load.streamShare <= 1)) out.push(`stream share ${a.load.streamShare} is not between 0% and 100%`);
  return out;
}

/** The host names of URLs that are not loopback: what the scenario's `allow:` must list. */
function remoteHosts(urls: (string | undefined)[]): string[] {
  const hosts = new Set<string>();
  for (const u of urls) {
    if (!u) continue;
    const host = new URL(u).hostname.replace(/^\[|\]$/g, "");
    if (!isLoopbackHost(host)) hosts.add(host);
  }
  return [...hosts];
}

/**
 * The scenario text, with its comments. `schema` is the path of scenario.schema.json relative to
 * the file (for the editor's first line). Throws when the answers are not usable; the text always loads.
 */
export function scenarioText(a: InitAnswers, file: string, schema: string): string {
  const problems = answerProblems(a);
  if (problems.length > 0) throw new HarnessError("USAGE", { message: "aire init: these answers cannot make a scenario", details: problems });
  const chosen = a.incidents.map((id) => incidents.find((i) => i.id === id)!);
  const proxy = a.target.kind === "url" ? (a.target.proxy ?? "llm-upstream") : "primary";
  const quality = chosen.some((i) => i.id === "silent-degradation");
  const out: string[] = [];
  out.push(`# yaml-language-server: $schema=${schema}`);
  out.push(`# ${a.name} — written by \`aire init\`: your SLOs held through ${chosen.length === 0 ? "a steady load (no incident yet: add phases with faults, see aire faults)" : chosen.map((i) => i.id).join(", ")}.`);
  out.push("#");
  out.push("# aire plan shows the timeline, how many requests each window gets and whether each rate SLO can");
  out.push("# be decided with them; aire run --quick runs the short form below. Reference: docs/scenario-format.md");
  out.push("apiVersion: aire/v1");
  out.push(`name: ${a.name}`);
  out.push("seed: 1   # the same seed gives the same prompts, answers and fault randomness: change it to draw another run");
  out.push("");
  if (a.target.kind === "reference") {
    out.push("# The bundled stack: the reference gateway in front of two synthetic GPU-backed providers (each");
    out.push("# two pod processes). The gateway's resilient profile retries, falls back and opens breakers;");
    out.push("# set profile: naive to see the same incidents without any of that.");
    out.push("target:");
    out.push("  reference:");
    out.push("    gateway:");
    out.push("      profile: resilient");
    out.push("      timeouts: { ttft: 400ms, idle: 2s }   # give up on a silent attempt: tighten these below your TTFT SLO");
    out.push("    providers:");
    out.push("      - { name: primary,   model: sim-large, pods: 2, slotsPerPod: 16, ttft: 80ms, decodeTokensPerSec: 60 }");
    out.push("      - { name: secondary, model: sim-small, pods: 2, slotsPerPod: 16, ttft: 60ms, decodeTokensPerSec: 90 }");
  } else {
    const t = a.target;
    out.push("# Your gateway: any OpenAI-compatible endpoint. Traffic and fault calls go only to loopback and to");
    out.push("# the hosts in allow:. The key is read from the environment, never written into results.");
    out.push("target:");
    out.push(`  url: ${t.url}`);
    if (t.keyEnv) out.push(`  apiKeyEnv: ${t.keyEnv}`);
    if (t.toxiproxyUrl) out.push(`  toxiproxy: { url: ${t.toxiproxyUrl} }   # network faults go to its proxy "${proxy}", in front of your provider`);
    const allow = remoteHosts([t.url, t.toxiproxyUrl]);
    if (allow.length > 0) out.push(`allow: [ ${allow.join(", ")} ]`);
  }
  out.push("");
  const share = Math.round(a.load.streamShare * 100);
  out.push(`# The load: ${a.load.rate} arriving at random (Poisson), ${share}% of it streamed. Raise the rate to rehearse`);
  out.push("# at your peak; aire capacity finds the highest rate your SLOs hold at.");
  out.push("traffic:");
  if (a.target.kind === "url") out.push(`  model: ${a.target.model}`);
  out.push(`  arrival: { type: poisson, rate: ${a.load.rate} }`);
  out.push("  mix:");
  const workload = (name: string, stream: boolean, weight: number) =>
    `    - { name: ${name}, weight: ${weight}, stream: ${stream}, promptTokens: ${a.load.promptTokens}, maxTokens: ${a.load.maxTokens}${quality ? ", quality: { canary: 0.5 }" : ""} }`;
  if (share > 0) out.push(workload("chat-stream", true, share));
  if (share < 100) out.push(workload("chat", false, 100 - share));
  if (quality) out.push("  # quality.canary: half the requests ask for a nonce back, so a wrong answer is an error even with a 200.");
  out.push("  client: { timeout: 30s }");
  out.push("");
  const { seconds, needed } = phaseLength(a);
  out.push(`# The timeline: a healthy baseline, then each incident with as long again to recover after it.`);
  out.push(`# Each phase is ${seconds} s: at ${a.load.rate} that is about ${Math.round(seconds * perSecond(a.load.rate))} requests, and availability >= ${a.slo.availability}`);
  out.push(`# needs ${needed} without a failure to PASS at 95% confidence (a stricter SLO needs longer phases).`);
  out.push("phases:");
  out.push(`  - { name: baseline, duration: ${seconds}s }`);
  for (const i of chosen) {
    out.push(`  - name: ${i.id}   # ${i.title}: ${i.expect}`);
    out.push(`    duration: ${seconds}s`);
    out.push("    faults:");
    for (const f of i.faults(proxy)) out.push(`      - ${f}`);
    out.push(`  - { name: after-${i.id}, duration: ${seconds}s }`);
  }
  out.push("");
  out.push("# Your SLOs, judged in each window on its 95% confidence interval (PASS, FAIL, or INCONCLUSIVE when");
  out.push("# the window has too few requests to tell). A percentile or rate for the whole window; add");
  out.push("# time_to_detect(…) or recovery_time(…) for how fast things are seen and healed (aire metrics).");
  out.push("hypotheses:");
  const slos = [`ttft.p95 < ${a.slo.ttftP95}`, `availability >= ${a.slo.availability}`, `error_rate < ${a.slo.errorRate}`];
  const hypothesis = (name: string, during: string) => {
    out.push(`  - name: ${JSON.stringify(name)}`);
    out.push(`    during: ${during}`);
    out.push(`    expect: [ ${slos.map((s) => `"${s}"`).join(", ")} ]`);
  };
  hypothesis("the SLOs hold on a normal day", "baseline");
  for (const i of chosen) {
    hypothesis(`users barely notice: ${i.id}`, i.id);
    hypothesis(`back to normal after ${i.id}`, `after-${i.id}`);
  }
  out.push("");
  out.push("# The short form for CI (aire run --quick): a quarter of the time at four times the rate, so each");
  out.push("# window keeps its number of requests.");
  out.push(`quick: { timeScale: 0.25, set: [ "traffic.arrival.rate=${scaleRate(a.load.rate, 4)}" ] }`);
  const text = `${out.join("\n")}\n`;
  const loaded = parseScenario(text, file);
  if (!loaded.ok) throw new HarnessError("USAGE", { message: "aire init: the answers make a scenario that does not load", details: loaded.issues.map(formatIssue) });
  return text;
}

/** Requests a second of a rate as written: `10/s`, `600/m`. */
function perSecond(rate: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*\/\s*(s|m|h)\s*$/.exec(rate);
  if (!m) throw new HarnessError("USAGE", { message: `rate ${rate}: write it with its unit, e.g. 10/s` });
  return Number(m[1]) / { s: 1, m: 60, h: 3600 }[m[2] as "s" | "m" | "h"];
}

/**
 * How long each phase must be for its window to decide the rate SLOs: the requests a window needs
 * to PASS with none failing (95% confidence), a quarter more for the requests in flight at the
 * edges, at least 60 s, in whole tens of seconds.
 */
function phaseLength(a: InitAnswers): { seconds: number; needed: number } {
  const fraction = (p: string) => Number(p.replace("%", "")) / 100;
  const needed = Math.max(samplesToDecide(">=", fraction(a.slo.availability)) ?? 1, samplesToDecide("<", fraction(a.slo.errorRate)) ?? 1);
  if (!Number.isFinite(needed)) throw new HarnessError("USAGE", { message: `availability ${a.slo.availability} or error rate ${a.slo.errorRate} can never be shown: give an availability under 100% and an error rate above 0%` });
  return { seconds: Math.max(60, Math.ceil((1.25 * needed) / perSecond(a.load.rate) / 10) * 10), needed };
}

/** `10/s` × 4 → `40/s`. */
function scaleRate(rate: string, factor: number): string {
  const m = /^\s*(\d+(?:\.\d+)?)\s*\/\s*(s|m|h)\s*$/.exec(rate);
  if (!m) throw new HarnessError("USAGE", { message: `rate ${rate}: write it with its unit, e.g. 10/s` });
  return `${Number((Number(m[1]) * factor).toFixed(3))}/${m[2]}`;
}

/** A scenario name from a file name: `my stack.yaml` → `my-stack`. */
export function nameFromFile(file: string): string {
  const base = file.replace(/^.*[\\/]/, "").replace(/\.ya?ml$/i, "");
  const name = base.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "");
  return /^[a-z]/.test(name) ? name : `scenario-${name || "1"}`;
}
