/**
 * The game-day console (`aire gameday`): a small HTTP server beside a run, serving one
 * self-contained page and an API, with two random tokens — a **viewer** token (read the live
 * state) and a **facilitator** token (also act: inject a fault of the catalogue now, stop it, stop
 * everything, note what the team sees). The links carry the token in the URL fragment, which the
 * browser never sends; the page sends it as `Authorization: Bearer …` on every API request. No
 * cookie, so no cross-site request can act (no CSRF); the Host header must be the one the server
 * was reached by (no DNS rebinding); the page is served with a strict CSP and makes no external
 * request. The page itself holds no data: every `/api/` request without a token gets 401, a viewer
 * token on an action 403.
 *
 * Live: `GET /api/stream` is an event stream (`text/event-stream`) read with fetch (EventSource
 * cannot send the header), one state a second and one after every action. A fault injected here
 * is validated as the scenario loader validates a scenario's fault (the fault schema, then its
 * checks against the target), with the same messages, and applied through the run's own
 * timeline code, so its rollback is the same (its stop, the run's end, an interrupt, a crash).
 * @module
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { LineCounter, parseDocument } from "yaml";
import { faultSchema, type FaultSpec } from "../../../faults/schema.js";
import { describeError, HarnessError } from "../../base/errors.js";
import type { LiveView } from "../../orchestrator/live-watch.js";
import type { NoteKind, PhaseRequest, PhaseState, RunControl, StartHold } from "../../orchestrator/run-scenario.js";
import { formatDuration, parseDuration, parseRate } from "../../base/units.js";
import { faultJsonSchemas } from "../../scenario/json-schema.js";
import { toIssues, type LoadedScenario } from "../../scenario/load.js";
import { faultIssues } from "../../scenario/schema.js";
import type { ProgressState } from "../../../reports/progress.js";
import { uplotAsset } from "../../../reports/uplot.js";
import { PAGE_CSS, PAGE_HTML, PAGE_JS } from "./page.js";

export type Role = "viewer" | "facilitator";

export interface ConsoleIssue {
  path: string;
  message: string;
}

/** A fault from the console's form, checked as the loader checks a scenario's fault. */
export function checkManualFault(input: unknown, loaded: LoadedScenario): { ok: true; fault: FaultSpec } | { ok: false; issues: ConsoleIssue[] } {
  const parsed = faultSchema.safeParse(input);
  if (!parsed.success) {
    const issues = toIssues(parsed.error.issues, parseDocument(JSON.stringify(input ?? null)), new LineCounter(), "console", new Map(), input, faultSchema);
    return { ok: false, issues: issues.map((i) => ({ path: i.path, message: i.message })) };
  }
  const { target } = loaded.scenario;
  const providers = new Set((target.reference?.providers ?? []).map((p) => p.name));
  const issues = faultIssues(parsed.data, target, providers).map((i) => ({ path: i.path.join("."), message: i.message }));
  if (parsed.data.schedule !== undefined) issues.push({ path: "schedule", message: "a fault injected by hand lasts until it is stopped (or the run ends): give it no schedule" });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, fault: parsed.data as FaultSpec };
}

export interface ConsoleNote {
  t: number;
  by: string;
  kind: NoteKind;
  text: string;
  sinceFaultMs: number | null;
}

/** What the page shows, sent once a second and after every action. */
export interface ConsoleState {
  scenario: string;
  runId: string | null;
  /** `holding`: the target up and warmed up, the traffic waiting for a facilitator's Go (`--hold`). */
  status: "starting" | "holding" | "running" | "ended";
  /** Where each phase runs, ms since the traffic started, as moved by a facilitator (a held phase: as if it went on now). */
  phases: { name: string; start: number; end: number; faults: string[]; held?: boolean }[];
  /** What the phase controls can do now; null before the traffic. */
  phaseControl: PhaseState | null;
  progress: ProgressState | null;
  manualFaults: { name: string; description: string; sinceMs: number }[];
  notes: ConsoleNote[];
  actions: { t: number; by: string; action: string; detail: string }[];
  hypotheses: { name: string; during: string; expect: string[] }[];
  /** The series, the hypotheses' standing, the health of the generator and the components, the faults with their time left; null before the traffic. */
  live: LiveView | null;
  verdict: string | null;
}

export interface ConsoleOptions {
  host: string;
  port: number;
  loaded: LoadedScenario;
  /** Facilitator links, each its own token and name on the record (default 1: "facilitator"). */
  facilitators?: number;
}

const SECURITY_HEADERS = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
} as const;

export class GamedayConsole {
  readonly #server: Server;
  /** The viewer's token, then each facilitator's, with the name its actions are recorded under. */
  readonly #tokens: { role: Role; by: string; token: Buffer }[];
  readonly #loaded: LoadedScenario;
  readonly #streams = new Set<ServerResponse>();
  #control: RunControl | undefined;
  #hold: StartHold | undefined;
  #held = 0;
  #state: ConsoleState;
  #origin = 0;
  #host = "";

  private constructor(server: Server, loaded: LoadedScenario, facilitators: number) {
    this.#server = server;
    this.#loaded = loaded;
    this.#tokens = [
      { role: "viewer", by: "viewer", token: randomBytes(24) },
      ...Array.from({ length: facilitators }, (_, i) => ({ role: "facilitator" as const, by: facilitators === 1 ? "facilitator" : `facilitator-${i + 1}`, token: randomBytes(24) })),
    ];
    const { scenario } = loaded;
    let offset = 0;
    this.#state = {
      scenario: scenario.name,
      runId: null,
      status: "starting",
      phases: scenario.phases.map((p) => ({ name: p.name, start: offset, end: (offset += p.duration), faults: p.faults.map((f) => f.kind) })),
      phaseControl: null,
      progress: null,
      manualFaults: [],
      notes: [],
      actions: [],
      hypotheses: scenario.hypotheses.map((h) => ({ name: h.name, during: h.during, expect: h.expect.map((e) => e.text) })),
      live: null,
      verdict: null,
    };
  }

  /** Starts serving (loopback unless `host` says otherwise). */
  static async start(o: ConsoleOptions): Promise<GamedayConsole> {
    let made: GamedayConsole | undefined;
    const server = createServer((req, res) => void made!.#handle(req, res).catch((err: unknown) => made!.#json(res, 500, { error: describeError(err) })));
    made = new GamedayConsole(server, o.loaded, o.facilitators ?? 1);
    await new Promise<void>((resolve, reject) => {
      server.once("error", (err) => reject(new HarnessError("USAGE", { message: `the console cannot listen on ${o.host}:${o.port}: ${err.message}` })));
      server.listen(o.port, o.host, resolve);
    });
    const { port } = server.address() as AddressInfo;
    made.#host = `${o.host.includes(":") ? `[${o.host}]` : o.host}:${port}`;
    return made;
  }

  /** The links, the token in the fragment (which browsers do not send): the viewer's, then each facilitator's. */
  get links(): { role: Role; by: string; url: string }[] {
    return this.#tokens.map((t) => ({ role: t.role, by: t.by, url: `http://${this.#host}/#token=${t.token.toString("base64url")}` }));
  }

  /** The run holds at start: a facilitator's Go starts the traffic. */
  holding(hold: StartHold): void {
    this.#hold = hold;
    this.#held = performance.now();
    this.#state.runId = hold.runId;
    this.#state.status = "holding";
    this.#push();
  }

  /** The run's hand, once its traffic has started. */
  attach(control: RunControl, runId: string): void {
    this.#hold = undefined;
    this.#control = control;
    this.#origin = performance.now();
    this.#state.runId = runId;
    this.#state.status = "running";
    this.#syncPhases(control);
    this.#push();
  }

  /** The run's progress, every second. */
  update(progress: ProgressState): void {
    this.#state.progress = progress;
    this.#state.manualFaults = this.#control?.manualFaults() ?? [];
    if (this.#control) {
      this.#state.live = this.#control.live();
      this.#syncPhases(this.#control);
    }
    this.#push();
  }

  #syncPhases(control: RunControl): void {
    const state = control.phases();
    this.#state.phaseControl = state;
    if (state.unavailable) return;
    const now = performance.now() - this.#origin;
    let cursor = 0;
    // Where the clock has them; a held phase (and those after it) as if the phase went on now.
    this.#state.phases = this.#loaded.scenario.phases.map((p, i) => {
      const w = state.windows[i];
      const start = w ? w.start : cursor;
      const held = w !== undefined && w.end === null;
      const end = w && w.end !== null ? w.end : Math.max(start + p.duration, held ? now : start + p.duration);
      cursor = end;
      return { name: p.name, start, end, faults: p.faults.map((f) => f.kind), ...(held ? { held } : {}) };
    });
  }

  /** The run is over: actions are refused from here on. */
  ended(verdict: string, runId?: string): void {
    this.#state.status = "ended";
    this.#state.verdict = verdict;
    if (runId) this.#state.runId = runId;
    this.#state.manualFaults = [];
    this.#control = undefined;
    this.#hold = undefined;
    this.#push();
  }

  get state(): ConsoleState {
    return this.#state;
  }

  async close(): Promise<void> {
    for (const s of this.#streams) s.end();
    this.#streams.clear();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #push(): void {
    const line = `data: ${JSON.stringify(this.#state)}\n\n`;
    for (const s of this.#streams) s.write(line);
  }

  #who(req: IncomingMessage): { role: Role; by: string } | undefined {
    const m = /^Bearer ([A-Za-z0-9_-]{1,64})$/.exec(req.headers.authorization ?? "");
    if (!m) return undefined;
    const given = Buffer.from(m[1]!, "base64url");
    let found: { role: Role; by: string } | undefined;
    for (const t of this.#tokens) if (given.length === t.token.length && timingSafeEqual(given, t.token)) found = { role: t.role, by: t.by };
    return found;
  }

  #json(res: ServerResponse, code: number, body: unknown): void {
    if (res.headersSent) return void res.end();
    res.writeHead(code, { "content-type": "application/json", ...SECURITY_HEADERS });
    res.end(JSON.stringify(body));
  }

  #action(by: string, action: string, detail: string): void {
    this.#state.actions.push({ t: Math.round(performance.now() - this.#origin), by, action, detail });
  }

  async #body(req: IncomingMessage): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > 64 * 1024) throw new HarnessError("USAGE", { message: "the request body is over 64 KiB" });
      chunks.push(chunk as Buffer);
    }
    try {
      const parsed = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
      return typeof parsed === "object" && parsed !== null ? parsed : {};
    } catch {
      throw new HarnessError("USAGE", { message: "the request body is not JSON" });
    }
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Only the address the links name: a page elsewhere that resolves its own name here is refused.
    if (req.headers.host !== this.#host) return this.#json(res, 421, { error: `this console answers as ${this.#host}` });
    const url = new URL(req.url ?? "/", `http://${this.#host}`);
    if (req.method === "GET" && (url.pathname === "/" || url.pathname === "/index.html")) {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", ...SECURITY_HEADERS });
      return void res.end(PAGE_HTML);
    }
    if (req.method === "GET" && url.pathname === "/console.js") {
      res.writeHead(200, { "content-type": "text/javascript; charset=utf-8", ...SECURITY_HEADERS });
      return void res.end(PAGE_JS);
    }
    if (req.method === "GET" && url.pathname === "/console.css") {
      res.writeHead(200, { "content-type": "text/css; charset=utf-8", ...SECURITY_HEADERS });
      return void res.end(PAGE_CSS);
    }
    // The charts' library, served from the package, as the page's own files are.
    if (req.method === "GET" && (url.pathname === "/uplot.js" || url.pathname === "/uplot.css")) {
      const js = url.pathname === "/uplot.js";
      res.writeHead(200, { "content-type": `text/${js ? "javascript" : "css"}; charset=utf-8`, ...SECURITY_HEADERS });
      return void res.end(uplotAsset(js ? "js" : "css"));
    }
    // Browsers ask for an icon; there is none (and nothing else is fetched).
    if (req.method === "GET" && url.pathname === "/favicon.ico") {
      res.writeHead(204, SECURITY_HEADERS);
      return void res.end();
    }
    if (!url.pathname.startsWith("/api/")) return this.#json(res, 404, { error: "not found" });
    const who = this.#who(req);
    if (!who) return this.#json(res, 401, { error: "a token is needed: open the console through the link aire printed" });
    const { role, by } = who;
    if (req.method === "GET" && url.pathname === "/api/state") return this.#json(res, 200, { role, by, state: this.#state });
    if (req.method === "GET" && url.pathname === "/api/catalogue") return this.#json(res, 200, { faults: faultJsonSchemas() });
    if (req.method === "GET" && url.pathname === "/api/stream") {
      res.writeHead(200, { "content-type": "text/event-stream", ...SECURITY_HEADERS });
      // A console that just connected gets every second so far; the pushes after carry the recent ones.
      res.write(`data: ${JSON.stringify(this.#control ? { ...this.#state, live: this.#control.live(true) } : this.#state)}\n\n`);
      this.#streams.add(res);
      req.on("close", () => this.#streams.delete(res));
      return;
    }
    const acting = req.method === "POST" || req.method === "DELETE";
    if (!acting) return this.#json(res, 404, { error: "not found" });
    if (role !== "facilitator") return this.#json(res, 403, { error: "the viewer link can watch, not act: use the facilitator link" });
    const hold = this.#hold;
    if (hold && req.method === "POST" && (url.pathname === "/api/go" || url.pathname === "/api/stop")) {
      const go = url.pathname === "/api/go";
      // The traffic's clock starts at the Go: the action is at 0, with how long the run held.
      const heldS = Math.round((performance.now() - this.#held) / 100) / 10;
      this.#state.actions.push({ t: 0, by, action: go ? "go" : "stop everything", detail: `after holding at start ${heldS}s` });
      this.#hold = undefined;
      if (go) hold.go(by);
      else hold.stop(by);
      this.#push();
      return this.#json(res, 202, go ? { going: true } : { stopping: true });
    }
    if (req.method === "POST" && url.pathname === "/api/go") return this.#json(res, 409, { error: this.#state.status === "starting" ? "the target is still starting: Go once the console says it holds" : "the run does not hold at start (aire gameday --hold), or has started already" });
    const control = this.#control;
    if (!control) return this.#json(res, 409, { error: this.#state.status === "ended" ? "the run is over" : this.#state.status === "running" ? "the run has started already" : this.#state.status === "holding" ? "the run holds at start: Go (POST /api/go) or stop everything first" : "the run's traffic has not started yet" });
    if (req.method === "POST" && url.pathname === "/api/faults") {
      const body = await this.#body(req);
      const checked = checkManualFault(body.fault, this.#loaded);
      if (!checked.ok) return this.#json(res, 422, { issues: checked.issues });
      try {
        const applied = await control.inject(checked.fault, by, body.fault);
        this.#action(by, "inject", applied.description);
        this.#state.manualFaults = control.manualFaults();
        this.#push();
        return this.#json(res, 201, applied);
      } catch (err) {
        return this.#json(res, 409, { error: describeError(err) });
      }
    }
    const one = /^\/api\/faults\/([\w.-]+)$/.exec(url.pathname);
    if (req.method === "DELETE" && one) {
      try {
        await control.stopFault(one[1]!, by);
      } catch (err) {
        return this.#json(res, 404, { error: describeError(err) });
      }
      this.#action(by, "stop", one[1]!);
      this.#state.manualFaults = control.manualFaults();
      this.#push();
      return this.#json(res, 200, { stopped: one[1] });
    }
    if (req.method === "POST" && url.pathname === "/api/stop") {
      this.#action(by, "stop everything", "");
      control.stopAll(by);
      this.#push();
      return this.#json(res, 202, { stopping: true });
    }
    if (req.method === "POST" && url.pathname === "/api/phase") {
      const checked = phaseRequest(await this.#body(req));
      if ("issues" in checked) return this.#json(res, 422, { issues: checked.issues });
      try {
        const moved = control.phase(checked, by);
        this.#action(by, checked.action, phaseDetail(checked, moved.phase));
        this.#syncPhases(control);
        this.#push();
        return this.#json(res, 200, moved);
      } catch (err) {
        return this.#json(res, 409, { error: describeError(err) });
      }
    }
    if (req.method === "POST" && url.pathname === "/api/notes") {
      const body = await this.#body(req);
      const text = typeof body.text === "string" ? body.text.trim() : "";
      const kind = body.kind === undefined ? "note" : body.kind;
      if (!text || text.length > 2000) return this.#json(res, 422, { issues: [{ path: "text", message: "a note of 1 to 2,000 characters" }] });
      if (kind !== "note" && kind !== "detected" && kind !== "mitigated") return this.#json(res, 422, { issues: [{ path: "kind", message: 'one of "note", "detected", "mitigated"' }] });
      const noted = control.note(text, kind, by);
      this.#state.notes.push({ t: noted.t, by, kind, text, sinceFaultMs: noted.sinceFaultMs });
      this.#push();
      return this.#json(res, 201, noted);
    }
    return this.#json(res, 404, { error: "not found" });
  }
}

/** A phase control's body: `{ action: hold | resume | advance }`, `{ action: extend, by: "30s" }`, `{ action: rate, rate: "50/s" | null }`. */
export function phaseRequest(body: Record<string, unknown>): PhaseRequest | { issues: { path: string; message: string }[] } {
  const issue = (path: string, message: string) => ({ issues: [{ path, message }] });
  switch (body.action) {
    case "hold":
    case "resume":
    case "advance":
      return { action: body.action };
    case "extend": {
      const d = parseDuration(body.by);
      if (!d.ok) return issue("by", d.message);
      if (d.value <= 0 || d.value > 24 * 3_600_000) return issue("by", "extend by more than 0 and at most 24h");
      return { action: "extend", ms: d.value };
    }
    case "rate": {
      if (body.rate === null) return { action: "rate", rate: null };
      const r = parseRate(body.rate);
      return r.ok ? { action: "rate", rate: r.value } : issue("rate", r.message);
    }
    default:
      return issue("action", 'one of "hold", "resume", "extend", "advance", "rate"');
  }
}

function phaseDetail(r: PhaseRequest, phase: string): string {
  if (r.action === "extend") return `${phase} by ${formatDuration(r.ms)}`;
  if (r.action === "rate") return r.rate === null ? "back to the scenario's" : `${r.rate}/s`;
  return phase;
}
