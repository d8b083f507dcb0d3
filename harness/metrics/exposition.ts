/**
 * The Prometheus text exposition format (version 0.0.4, which prom-client, vLLM, Toxiproxy and
 * most exporters write; OpenMetrics text reads the same for the samples kept here), parsed into
 * samples: a metric name, its labels, a value. `# HELP` and `# TYPE` lines give each family its
 * type. Read by the run's telemetry (the reference stack's own /metrics every second).
 * @module
 */
import { HarnessError } from "../base/errors.js";

export type MetricType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

export interface ExpositionSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** The family's type from its `# TYPE` line (a histogram's `_bucket`, `_sum` and `_count` are its family's). */
  type: MetricType;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const unreadable = (message: string) => new HarnessError("METRICS_UNREADABLE", { message });

/** A sample value: a float, `NaN`, `+Inf` or `-Inf`. */
function parseValue(text: string): number {
  if (text === "+Inf" || text === "Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  if (text === "NaN") return Number.NaN;
  const value = Number(text);
  if (text === "" || Number.isNaN(value)) throw unreadable(`not a sample value: ${JSON.stringify(text)}`);
  return value;
}

/** `{a="1",b="x\"y"}` from `at` (the brace), with the index after the closing brace. */
function parseLabels(line: string, at: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = at + 1;
  for (;;) {
    while (line[i] === " " || line[i] === ",") i++;
    if (line[i] === "}") return { labels, end: i + 1 };
    const name = NAME.exec(line.slice(i))?.[0];
    if (!name) throw unreadable(`a label name expected at column ${i + 1}`);
    i += name.length;
    while (line[i] === " ") i++;
    if (line[i] !== "=" || line[i + 1] !== '"') throw unreadable(`label ${name}: =" expected at column ${i + 1}`);
    i += 2;
    let value = "";
    for (;; i++) {
      const c = line[i];
      if (c === undefined) throw unreadable(`label ${name}: its value is not closed`);
      if (c === '"') break;
      if (c === "\\") {
        const next = line[++i];
        value += next === "n" ? "\n" : next === "\\" ? "\\" : next === '"' ? '"' : `\\${next ?? ""}`;
      } else value += c;
    }
    labels[name] = value;
    i++;
  }
}

const familyOf = (name: string, types: ReadonlyMap<string, MetricType>): MetricType => {
  const own = types.get(name);
  if (own) return own;
  const base = /^(.*)_(bucket|sum|count|created|total)$/.exec(name)?.[1];
  return (base !== undefined ? types.get(base) : undefined) ?? "untyped";
};

/**
 * Every sample of an exposition, in order. `keep`, when given, is asked each sample's name before
 * its labels are read: a scrape of a large endpoint pays only for the series it keeps. A line that
 * is not a sample is an error naming its line number.
 */
export function parseExposition(text: string, keep?: (name: string) => boolean): ExpositionSample[] {
  const types = new Map<string, MetricType>();
  const out: ExpositionSample[] = [];
  const lines = text.split("\n");
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === "") continue;
    if (line.startsWith("#")) {
      const m = /^#\s*TYPE\s+(\S+)\s+(\S+)/.exec(line);
      if (m) types.set(m[1]!, (["counter", "gauge", "histogram", "summary"].includes(m[2]!) ? m[2] : "untyped") as MetricType);
      continue;
    }
    try {
      const name = NAME.exec(line)?.[0];
      if (!name) throw unreadable("a metric name expected");
      if (keep && !keep(name)) continue;
      let i = name.length;
      let labels: Record<string, string> = {};
      if (line[i] === "{") ({ labels, end: i } = parseLabels(line, i));
      const [value] = line.slice(i).trim().split(/\s+/); // an optional timestamp follows
      out.push({ name, labels, value: parseValue(value ?? ""), type: familyOf(name, types) });
    } catch (err) {
      throw unreadable(`line ${n + 1}: ${(err as Error).message}: ${line.slice(0, 120)}`);
    }
  }
  return out;
}

/** A series' key as Prometheus prints it: `name{a="1",b="2"}`, labels sorted; `name` alone without labels. */
export function seriesKey(name: string, labels: Readonly<Record<string, string>>): string {
  const entries = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? name : `${name}{${entries.map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`).join(",")}}`;
}

/** A series selector as PromQL writes one: a metric name and label matchers (`=`, `!=`, `=~`, `!~`). */
export interface SeriesSelector {
  name: string;
  matchers: { label: string; op: "=" | "!=" | "=~" | "!~"; value: string; re?: RegExp }[];
}

/** `name{label="v", other=~"a|b"}`; a message naming the column when it cannot be read. */
export function parseSelector(text: string): { ok: true; value: SeriesSelector } | { ok: false; message: string } {
  const s = text.trim();
  const name = NAME.exec(s)?.[0];
  if (!name) return { ok: false, message: `"${text}": a selector starts with a metric name, e.g. aire_gateway_breaker_state{provider="primary"}` };
  const matchers: SeriesSelector["matchers"] = [];
  let i = name.length;
  while (s[i] === " ") i++;
  if (i === s.length) return { ok: true, value: { name, matchers } };
  if (s[i] !== "{") return { ok: false, message: `"${text}": unexpected "${s.slice(i)}" after the metric name (labels go in {…})` };
  i++;
  for (;;) {
    while (s[i] === " " || s[i] === ",") i++;
    if (s[i] === "}") {
      i++;
      break;
    }
    const label = NAME.exec(s.slice(i))?.[0];
    if (!label) return { ok: false, message: `"${text}": a label name expected at column ${i + 1}` };
    i += label.length;
    while (s[i] === " ") i++;
    const op = /^(=~|!~|!=|=)/.exec(s.slice(i))?.[1] as SeriesSelector["matchers"][number]["op"] | undefined;
    if (!op) return { ok: false, message: `"${text}": =, !=, =~ or !~ expected after ${label} (column ${i + 1})` };
    i += op.length;
    while (s[i] === " ") i++;
    if (s[i] !== '"') return { ok: false, message: `"${text}": the value of ${label} goes in double quotes (column ${i + 1})` };
    let value = "";
    for (i++; ; i++) {
      const c = s[i];
      if (c === undefined) return { ok: false, message: `"${text}": the value of ${label} is not closed` };
      if (c === '"') break;
      if (c === "\\") value += s[++i] ?? "";
      else value += c;
    }
    i++;
    let re: RegExp | undefined;
    if (op === "=~" || op === "!~") {
      try {
        // PromQL anchors its regular expressions at both ends.
        re = new RegExp(`^(?:${value})$`);
      } catch (err) {
        return { ok: false, message: `"${text}": ${label}${op}"${value}" is not a regular expression: ${(err as Error).message}` };
      }
    }
    matchers.push({ label, op, value, ...(re ? { re } : {}) });
  }
  if (s.slice(i).trim() !== "") return { ok: false, message: `"${text}": unexpected "${s.slice(i).trim()}" after the labels` };
  return { ok: true, value: { name, matchers } };
}

/** Whether a sample is one of the series a selector names (a missing label reads as ""). */
export function matchesSelector(sample: { name: string; labels: Readonly<Record<string, string>> }, selector: SeriesSelector): boolean {
  if (sample.name !== selector.name) return false;
  return selector.matchers.every((m) => {
    const v = sample.labels[m.label] ?? "";
    switch (m.op) {
      case "=": return v === m.value;
      case "!=": return v !== m.value;
      case "=~": return m.re!.test(v);
      case "!~": return !m.re!.test(v);
    }
  });
}
