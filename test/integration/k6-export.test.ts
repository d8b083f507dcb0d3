/**
 * `aire export k6`: the script type-checks against @types/k6 (and the xk6-sse API with --sse), its
 * options are the scenario's arrivals as k6 executors, its thresholds are the hypotheses k6 can
 * judge (on metrics and tags the script really records), the TestRun manifest is what k6-operator
 * reads, and the request bodies are ones an OpenAI-compatible server answers, canaries included.
 * Where real k6 v0.48 is on PATH, the export is archived, inspected and run with it too.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";
import { request } from "undici";
import { parseAllDocuments } from "yaml";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { onPath, ROOT, runCli } from "../helpers/cli.js";
import { ProviderAdmin } from "../../faults/index.js";
import { gateway, provider } from "../helpers/stack.js";

const SCENARIO = "test/fixtures/scenarios/k6-export.yaml";

/** Whether `name` is an executable on PATH (real k6 is in ../shared/tools/bin, which .ci/run puts there). */
function onPathOrSay(name: string): boolean {
  const found = onPath(name) !== undefined;
  if (!found) console.log(`real ${name} tests skipped: ${name} is not on PATH (../shared/tools/bin has k6 v0.48.0 and k6-sse; .ci/run puts it on PATH)`);
  return found;
}

let dir: string;
let stdout: string;
let sseStdout: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "aire-k6-export-"));
  const [plain, sse] = await Promise.all([
    runCli(["export", "k6", SCENARIO, "--out", join(dir, "plain"), "--parallelism", "4", "--namespace", "loadtest"]),
    runCli(["export", "k6", SCENARIO, "--out", join(dir, "sse"), "--sse", "--image", "registry.internal/k6-sse:1.2.1"]),
  ]);
  expect(plain.stderr).toBe("");
  expect(sse.stderr).toBe("");
  expect([plain.code, sse.code]).toEqual([0, 0]);
  stdout = plain.stdout;
  sseStdout = sse.stdout;
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Type-checks JavaScript files as k6 runs them: ES2017, k6's modules typed by @types/k6. */
function typeCheck(files: string[]): string[] {
  const program = ts.createProgram(files, {
    allowJs: true,
    checkJs: true,
    noEmit: true,
    strict: true,
    target: ts.ScriptTarget.ES2017,
    lib: ["lib.es2017.d.ts"],
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    types: ["k6"],
    typeRoots: [join(ROOT, "node_modules/@types")],
  });
  return ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName ?? ""}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
}

interface Config {
  url: string;
  phases: { name: string; end: number }[];
  tenants: { name: string; keyEnv: string }[];
  errorClasses: string[];
  goodput: unknown[];
  options: { scenarios: Record<string, Record<string, unknown>>; thresholds: Record<string, string[]> };
}
/** The answer's text: a JSON completion's message, or a stream's deltas joined. */
function answerOf(text: string): string {
  if (!text.startsWith("data:")) return JSON.parse(text).choices?.[0]?.message?.content ?? "";
  return text
    .split("\n")
    .filter((l) => l.startsWith("data: {"))
    .map((l) => JSON.parse(l.slice(6)).choices?.[0]?.delta?.content ?? "")
    .join("");
}
const configOf = (script: string): Config => JSON.parse(/\nconst CONFIG = (\{[\s\S]*?\n\});\n/.exec(script)![1]!);

describe("aire export k6", () => {
  test("the script type-checks against @types/k6, and with --sse against the xk6-sse API; a wrong call does not", async () => {
    expect(typeCheck([join(dir, "plain/script.js")])).toEqual([]);
    expect(typeCheck([join(dir, "sse/script.js"), join(dir, "sse/xk6-sse.d.ts")])).toEqual([]);
    // The check can fail: the same script with a wrong k6 call.
    const broken = join(dir, "broken.js");
    await writeFile(broken, (await readFile(join(dir, "plain/script.js"), "utf8")).replace('http.post(ENDPOINT, body,', "http.post(ENDPOINT, 42, 7,"));
    expect(typeCheck([broken]).length).toBeGreaterThan(0);
    // And the stock script does not import the extension that stock k6 cannot load.
    expect(await readFile(join(dir, "plain/script.js"), "utf8")).not.toContain("k6/x/sse");
  });

  test("the arrivals become k6 executors that send the same number of requests over the same timeline", async () => {
    const { options, phases } = configOf(await readFile(join(dir, "plain/script.js"), "utf8"));
    expect(phases).toEqual([{ name: "baseline", end: 10_000 }, { name: "burst", end: 20_000 }, { name: "after", end: 30_000 }]);
    const traffic = options.scenarios.traffic!;
    // Poisson 2.5/s: k6 takes whole iterations per time unit, so 25 per 10 s, evenly spaced (and it says so).
    expect(traffic).toMatchObject({ executor: "constant-arrival-rate", rate: 25, timeUnit: "10s", duration: "30s", startTime: "0s" });
    expect(stdout).toContain("poisson arrivals: k6's arrival-rate executors space iterations evenly");
    expect(traffic.preAllocatedVUs as number).toBeLessThanOrEqual(traffic.maxVUs as number);
    // The batch tenant's steps (0/s, 4/s, 1/s for 10 s each): jumps are 0-second stages.
    const batch = options.scenarios["tenant_batch-job"]!;
    expect(batch).toMatchObject({ executor: "ramping-arrival-rate", startRate: 0, timeUnit: "1s" });
    expect(batch.stages).toEqual([{ target: 0, duration: "10s" }, { target: 4, duration: "0s" }, { target: 4, duration: "10s" }, { target: 1, duration: "0s" }, { target: 1, duration: "10s" }]);
    // Iterations k6 will start: the area under each rate profile, as aire's own dispatcher sends.
    const seconds = (d: string) => (d.endsWith("ms") ? Number(d.slice(0, -2)) / 1000 : Number(d.slice(0, -1)));
    let rate = batch.startRate as number;
    let iterations = 0;
    let span = 0;
    for (const stage of batch.stages as { target: number; duration: string }[]) {
      iterations += ((rate + stage.target) / 2) * seconds(stage.duration);
      span += seconds(stage.duration);
      rate = stage.target;
    }
    expect([iterations, span]).toEqual([50, 30]);
    expect(((traffic.rate as number) / seconds(traffic.timeUnit as string)) * seconds(traffic.duration as string)).toBe(75);
    // In-flight requests may finish: the graceful stop covers a request's timeout and its retries.
    expect(seconds(traffic.gracefulStop as string)).toBeGreaterThanOrEqual(20);
  });

  test("thresholds are the hypotheses k6 can judge, on metrics and tags the script records; the rest are listed", async () => {
    const script = await readFile(join(dir, "plain/script.js"), "utf8");
    const { options } = configOf(script);
    expect(options.thresholds).toEqual({
      "aire_e2e{phase:baseline}": ["p(99)<5000"],
      "aire_ok{phase:baseline}": ["rate>=0.995"],
      "aire_ok{phase:burst,tenant:web}": ["rate>0.99"],
      "aire_error_http_429{phase:burst,tenant:batch-job}": ["rate<0.5"],
      "aire_e2e_any": ["max<30000"],
    });
    const sseScript = await readFile(join(dir, "sse/script.js"), "utf8");
    const sseThresholds = configOf(sseScript).options.thresholds;
    expect(sseThresholds).toMatchObject({ "aire_ttft{phase:baseline}": ["p(95)<800"], "aire_goodput_0{phase:burst}": ["rate>=0.95"], "aire_tpot{phase:burst,workload:agent}": ["p(90)<60"] });
    // Every threshold names a metric the script creates and only tags it sets, in k6's grammar.
    for (const text of [script, sseScript]) {
      const config = configOf(text);
      const metrics = new Set([...text.matchAll(/new (?:Trend|Rate|Counter)\("(aire_\w+)"/g)].map((m) => m[1]));
      for (const c of config.errorClasses) metrics.add(`aire_error_${c}`);
      config.goodput.forEach((_, i) => metrics.add(`aire_goodput_${i}`));
      for (const [key, expressions] of Object.entries(config.options.thresholds)) {
        const m = /^(\w+)(?:\{(.*)\})?$/.exec(key)!;
        expect(metrics, key).toContain(m[1]);
        for (const tag of m[2]?.split(",") ?? []) expect(["phase", "workload", "tenant", "provider"], key).toContain(tag.split(":")[0]);
        for (const e of expressions) expect(e).toMatch(/^(avg|min|max|med|p\(\d+(\.\d+)?\)|rate|count)(<|<=|>|>=|==)\d+(\.\d+)?$/);
      }
    }
    // What k6 cannot judge is printed with the reason, not approximated.
    for (const line of ["ttft.p95 < 800ms — stock k6 reads a stream whole", "e2e.p95 <= 2 * baseline — relative to the baseline window", "cost.total < $1 — k6 thresholds cannot price tokens", "throughput >= 2/s — k6's rate of a counter"]) expect(stdout).toContain(line);
    expect(sseStdout).toContain("not expressible as k6 thresholds (3)");
  });

  test("testrun.yaml is a ConfigMap of the script and its bodies and a k6-operator TestRun with a pinned image and keys from a secret", async () => {
    const docs = parseAllDocuments(await readFile(join(dir, "plain/testrun.yaml"), "utf8")).map((d) => d.toJS());
    expect(docs.map((d) => `${d.apiVersion} ${d.kind}`)).toEqual(["v1 PersistentVolumeClaim", "v1 ConfigMap", "k6.io/v1alpha1 TestRun"]);
    const [claim, configMap, testRun] = docs;
    expect(configMap.data["script.js"]).toBe(await readFile(join(dir, "plain/script.js"), "utf8"));
    expect(configMap.data["requests.json"]).toBe(await readFile(join(dir, "plain/requests.json"), "utf8"));
    expect(configMap.data["script.js"].length + configMap.data["requests.json"].length).toBeLessThan(1_048_576);
    expect(testRun.metadata).toMatchObject({ name: "aire-k6-export", namespace: "loadtest" });
    expect(testRun.spec).toMatchObject({ parallelism: 4, script: { configMap: { name: configMap.metadata.name, file: "script.js" } } });
    expect(testRun.spec.runner.image).toBe("grafana/k6:0.48.0");
    expect(testRun.spec.arguments).toContain("--out json=/results/$(POD_NAME).json.gz");
    const env = Object.fromEntries(testRun.spec.runner.env.map((e: { name: string }) => [e.name, e]));
    expect(env.WEB_KEY.valueFrom).toEqual({ secretKeyRef: { name: "aire-keys", key: "WEB_KEY" } });
    expect(env.BATCH_KEY.valueFrom).toEqual({ secretKeyRef: { name: "aire-keys", key: "BATCH_KEY" } });
    // $(POD_NAME) expands only for variables defined earlier in the list.
    expect(testRun.spec.runner.env[0]).toEqual({ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } });
    expect(testRun.spec.runner.volumes[0].persistentVolumeClaim.claimName).toBe(claim.metadata.name);
    // With --sse, the initializer (k6 archive + inspect) needs the extension too.
    const sseRun = parseAllDocuments(await readFile(join(dir, "sse/testrun.yaml"), "utf8")).map((d) => d.toJS())[2];
    expect(sseRun.spec.runner.image).toBe("registry.internal/k6-sse:1.2.1");
    expect(sseRun.spec.initializer.image).toBe("registry.internal/k6-sse:1.2.1");
    expect(testRun.spec.initializer).toBeUndefined();
  });

  test("the quick-start scenario's ConfigMap fits the 256 KiB kubectl apply keeps; every key the script reads is wired from the secret, and the export says which", async () => {
    const out = join(dir, "latency");
    const result = await runCli(["export", "k6", "scenarios/provider-latency.yaml", "--out", out, "--url", "http://127.0.0.1:8080/v1"]);
    expect(result.code).toBe(0);
    const [, configMap, testRun] = parseAllDocuments(await readFile(join(out, "testrun.yaml"), "utf8")).map((d) => d.toJS());
    // kubectl apply stores the object as JSON in an annotation of at most 262,144 bytes (it was 565 KB).
    expect(Buffer.byteLength(JSON.stringify(configMap))).toBeLessThan(262_144);
    expect(JSON.parse(configMap.data["requests.json"]).traffic.length).toBeGreaterThan(50);
    expect(result.stdout).toMatch(/request bodies cut to \d+ so that the ConfigMap \(\d+ KiB\) fits the 256 KiB kubectl apply keeps/);
    // The reference-stack scenario's script reads AIRE_API_KEY (optional): it comes from the secret, optionally.
    const env = Object.fromEntries(testRun.spec.runner.env.map((e: { name: string }) => [e.name, e]));
    expect(env.AIRE_API_KEY.valueFrom).toEqual({ secretKeyRef: { name: "aire-keys", key: "AIRE_API_KEY", optional: true } });
    expect(result.stdout).toMatch(/keys from the secret aire-keys: AIRE_API_KEY \(optional\)\)$/m);
    expect(stdout).toMatch(/keys from the secret aire-keys: AIRE_API_KEY \(optional\), WEB_KEY, BATCH_KEY\)$/m);
  });

  test.skipIf(!onPathOrSay("k6"))("real k6 v0.48: the initializer's k6 archive and k6 inspect work without the runners' keys; a run without a required key stops with the reason", async () => {
    // k6-operator's initializer archives the script with none of the runner's environment.
    const env: NodeJS.ProcessEnv = { ...process.env, K6_NO_USAGE_REPORT: "true" };
    delete env.WEB_KEY;
    delete env.BATCH_KEY;
    for (const [bin, sub] of [["k6", "plain"], ...(onPathOrSay("k6-sse") ? [["k6-sse", "sse"]] : [])] as const) {
      const archive = spawnSync(bin, ["archive", "--quiet", "-O", join(dir, `${sub}.tar`), join(dir, sub, "script.js")], { env, encoding: "utf8", timeout: 60_000 });
      expect(archive.stderr + archive.stdout).not.toMatch(/aire: /);
      expect(archive.status).toBe(0);
      const inspect = spawnSync(bin, ["inspect", join(dir, sub, "script.js")], { env, encoding: "utf8", timeout: 60_000 });
      expect(inspect.status).toBe(0);
    }
    // In the temp dir: the script's handleSummary writes aire-summary.json to the working directory.
    const run = spawnSync("k6", ["run", "--quiet", "--address", "", "--duration", "2s", "--vus", "1", join(dir, "plain", "script.js")], { env, cwd: dir, encoding: "utf8", timeout: 60_000 });
    expect(run.stdout + run.stderr).toMatch(/aire: the API key variable (WEB_KEY|BATCH_KEY) is not set/);
    expect(run.status).not.toBe(0);
  }, 90_000);

  test("refused: --sse without an xk6 image, and a remote --url the scenario does not allow", async () => {
    const [noImage, remote] = await Promise.all([
      runCli(["export", "k6", SCENARIO, "--out", join(dir, "x1"), "--sse"]),
      runCli(["export", "k6", SCENARIO, "--out", join(dir, "x2"), "--url", "https://llm.example.com/v1"]),
    ]);
    expect(noImage.code).toBe(2);
    expect(noImage.stderr).toContain("--sse needs --image");
    expect(remote.code).toBe(2);
    expect(remote.stderr).toContain("llm.example.com is not loopback and not in the scenario's allow: list");
    expect(remote.stderr).not.toMatch(/\n\s+at /);
  });

  test("the bodies are deterministic and a provider answers them, canaries included", async () => {
    const bodies = JSON.parse(await readFile(join(dir, "plain/requests.json"), "utf8")) as Record<string, { w: number; t: number; b?: string; n?: string | null; s?: { user: string; maxTokens: number; nonce: string | null }[] }[]>;
    expect(await readFile(join(dir, "sse/requests.json"), "utf8")).toBe(JSON.stringify(bodies));
    const again = await runCli(["export", "k6", SCENARIO, "--out", join(dir, "seed8"), "--set", "seed=8"]);
    expect(again.code).toBe(0);
    expect(await readFile(join(dir, "seed8/requests.json"), "utf8")).not.toBe(JSON.stringify(bodies));
    // The mix by weight (chat 1, rag 0.5, agent 0.5; batch only from its tenant), the tenants as configured.
    const traffic = bodies.traffic!;
    const share = (w: number) => traffic.filter((e) => e.w === w).length / traffic.length;
    expect(share(0)).toBeGreaterThan(0.3);
    expect(share(1) + share(2)).toBeGreaterThan(0.2);
    expect(share(3)).toBe(0);
    expect(new Set(traffic.map((e) => e.t))).toEqual(new Set([0]));
    expect(bodies["tenant_batch-job"]!.every((e) => e.w === 3 && e.t === 1)).toBe(true);
    const sessions = traffic.filter((e) => e.s);
    expect(sessions.every((e) => e.s!.length >= 2 && e.s!.length <= 3)).toBe(true);

    await using server = await provider({ model: "aire-chat", ttftMs: 5, decodeTokensPerSec: 5000, contextWindow: 16_000 });
    const send = async (body: string) => {
      const res = await request(`${server.url}/v1/chat/completions`, { method: "POST", body, headers: { "content-type": "application/json" }, bodyTimeout: 10_000 });
      const text = await res.body.text();
      return { status: res.statusCode, text, answer: answerOf(text) };
    };
    const plain = [...traffic, ...bodies["tenant_batch-job"]!.slice(0, 5)].filter((e) => e.b).slice(0, 40);
    let canaries = 0;
    for (const entry of plain) {
      const { status, text, answer } = await send(entry.b!);
      expect(status, text.slice(0, 200)).toBe(200);
      if (entry.n) {
        canaries++;
        expect(answer).toContain(entry.n);
      }
    }
    expect(canaries).toBeGreaterThan(2);
    // An agent session's first turn, as the script builds it.
    const turn = sessions[0]!.s![0]!;
    const first = await send(JSON.stringify({ model: "aire-chat", messages: [{ role: "system", content: "You are a support agent." }, { role: "user", content: turn.user }], max_tokens: turn.maxTokens, stream: true, stream_options: { include_usage: true } }));
    expect(first.status).toBe(200);
    expect(first.text).toContain("data: [DONE]");
  });
  test("the script's reading of answers, run on Node against a real gateway and provider: complete, cut, malformed, refused, with canaries", async () => {
    // aire-answer.js has no k6 module in it: the very file written beside the script runs here.
    const exported = join(dir, "plain/aire-answer.js");
    expect(await readFile(exported, "utf8")).toBe(await readFile(join(ROOT, "harness/commands/k6/answer.k6.js"), "utf8"));
    const answer = (await import(exported)) as {
      readAnswer(status: number, headers: Record<string, string>, text: string, stream: boolean): { error: string | null; detail: string; tokens: number; content: string; promptTokens: number | null; model: string; provider: string; upstreamAttempts: number | null; retryAfterMs: number | null; shouldRetry: boolean | null };
      checkAnswer(out: unknown, workload: unknown, nonce: string | null, toolTurn: boolean): string | null;
    };
    await using llm = await provider({ model: "aire-chat", ttftMs: 5, decodeTokensPerSec: 2000 });
    await using gw = await gateway({ providers: [{ name: "primary", url: llm.url, model: "aire-chat" }], routes: { "aire-chat": ["primary"] } });
    const admin = new ProviderAdmin("primary", llm.url, llm.adminToken);
    const workload = { name: "chat", stream: true, minTokens: null, maxTokens: null, json: false, thinkTimeMs: 0 };
    const ask = async (stream: boolean, base = gw.url, content = "Tell me about load tests. reply with exactly: aire-0badcafe") => {
      const res = await request(`${base}/v1/chat/completions`, { method: "POST", body: JSON.stringify({ model: "aire-chat", messages: [{ role: "user", content }], max_tokens: 12, stream, ...(stream ? { stream_options: { include_usage: true } } : {}) }), headers: { "content-type": "application/json" }, bodyTimeout: 10_000 });
      // What arrived before the server hung up (a cut stream ends the connection mid-body).
      let text = "";
      try {
        for await (const chunk of res.body as AsyncIterable<Buffer>) text += chunk.toString();
      } catch {
        // the cut itself
      }
      const headers = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : String(v)]));
      return { out: answer.readAnswer(res.statusCode, headers, text, stream), text };
    };
    for (const stream of [true, false]) {
      const { out, text } = await ask(stream);
      // What the server itself reported: its usage and model.
      const usage = stream ? JSON.parse(text.split("\n").filter((l) => l.includes('"usage":{')).at(-1)!.slice(6)).usage : JSON.parse(text).usage;
      expect(out).toMatchObject({ error: null, tokens: usage.completion_tokens, promptTokens: usage.prompt_tokens, model: "aire-chat", provider: "primary", upstreamAttempts: 1 });
      expect(answer.checkAnswer(out, workload, "aire-0badcafe", false)).toBeNull();
      expect(answer.checkAnswer(out, workload, "aire-00000000", false)).toBe("the answer does not contain the canary aire-00000000");
    }
    // Broken streams straight from the provider (the gateway would turn a cut into an error event of its own).
    const broken = async (spec: Parameters<ProviderAdmin["setBehaviour"]>[1], base = llm.url) => {
      const undo = await admin.setBehaviour("k6-answer", spec);
      try {
        return (await ask(true, base)).out;
      } finally {
        await undo();
      }
    };
    expect(await broken({ type: "stream-cut", fraction: 1, afterTokens: 2 })).toMatchObject({ error: "truncated", detail: "the stream ended without [DONE]" });
    expect((await broken({ type: "malformed-chunk", fraction: 1, atToken: 1 })).error).toBe("malformed");
    // An error event inside the stream is class truncated, as aire run classes it (it was http_5xx).
    expect((await broken({ type: "error-event", fraction: 1, afterTokens: 1 })).error).toBe("truncated");
    const refused = await broken({ type: "error", fraction: 1, status: 429, retryAfterMs: 700 }, gw.url);
    expect(refused).toMatchObject({ error: "http_429" });
    // The resilient gateway retried upstream itself, says so, and tells the client not to retry on top.
    expect(refused.upstreamAttempts).toBeGreaterThan(1);
    expect(refused.shouldRetry).toBe(false);
    expect((await ask(true)).out.error).toBeNull();
  });
});
