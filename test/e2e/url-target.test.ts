/**
 * `target.url`: a team's own OpenAI-compatible gateway, reached as it is. Here "the team's stack" is
 * a synthetic provider behind a Toxiproxy proxy named `llm`, behind a gateway with one API key,
 * all started in this process on 127.0.0.1; aire runs as a CLI child with the key in its environment.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Toxiproxy } from "toxiproxy-node-client";
import { describe, expect, test } from "vitest";
import { runCli } from "../helpers/cli.js";
import { startKubeApi } from "../helpers/kube-api.js";
import { gateway, provider, toxiproxy } from "../helpers/stack.js";

const KEY = "sk-team-0123456789abcdef";

const scenario = (gatewayUrl: string, toxiproxyUrl: string, host = "") => `apiVersion: aire/v1
name: team-gateway
seed: 3
target:
  url: ${host || gatewayUrl}/v1
  apiKeyEnv: TEAM_GATEWAY_KEY
  toxiproxy: { url: ${toxiproxyUrl} }
  kubernetes: { kubeconfig: kube.json }
  metrics: [ { name: team-gateway, url: ${gatewayUrl}/metrics, keep: [ "gen_ai_client_operation_duration_seconds_count", "aire_gateway_in_*" ] } ]
traffic:
  model: team-chat
  arrival: { rate: 25/s }
  mix: [ { name: chat, promptTokens: 60, maxTokens: 6 } ]
  client: { timeout: 10s }
phases:
  - { name: baseline, duration: 3s }
  - name: slow-network
    duration: 3s
    faults:
      - { kind: latency, proxy: llm, latency: 300ms }
      - { kind: k8s-pod-kill, namespace: inference, selector: app=llm, dryRun: false }
hypotheses:
  - { name: fast at first, during: baseline, expect: [ "ttft.p50 < 200ms", "availability >= 95%" ] }
  - { name: the team's proxy slows it, during: slow-network, expect: [ "ttft.p50 > 250ms" ] }
`;

describe("target.url: a team's own gateway", () => {
  test("a run against it: its key from the environment, a network fault on its own Toxiproxy's proxy, rolled back, a pod of its cluster killed; the key never written", async () => {
    await using llm = await provider({ model: "team-model", ttftMs: 20, decodeTokensPerSec: 500 });
    await using tp = await toxiproxy();
    const proxy = await new Toxiproxy(tp.url).createProxy({ name: "llm", listen: "127.0.0.1:0", upstream: `127.0.0.1:${llm.port}` });
    await using gw = await gateway({ providers: [{ name: "llm", url: `http://${proxy.listen}`, model: "team-model" }], routes: { "team-chat": ["llm"] }, auth: { keys: [{ key: KEY, name: "team" }] } });
    const dir = await mkdtemp(join(tmpdir(), "aire-url-target-"));
    try {
      const file = join(dir, "team.yaml");
      await writeFile(file, scenario(gw.url, tp.url));
      // The team's cluster: a double of the Kubernetes API; its kubeconfig sits beside the scenario.
      await using kube = await startKubeApi({ namespace: "inference", pods: [0, 1].map((i) => ({ name: `llm-${i}`, labels: { app: "llm" }, phase: "Running" as const, ready: true })), token: "kube-token", replaceAfterMs: 200, readyAfterMs: 300 });
      await kube.writeKubeconfig(join(dir, "kube.json"));
      const out = join(dir, "results");
      const result = await runCli(["run", file, "--out", out], { env: { TEAM_GATEWAY_KEY: KEY } });
      expect(result.stderr).toBe("");
      expect(result.stdout).toMatch(/target: http:\/\/127\.0\.0\.1:\d+\/v1, toxiproxy http:\/\/127\.0\.0\.1:\d+/);
      expect(result.code).toBe(0);
      const [run] = await readdir(out);
      const summary = JSON.parse(await readFile(join(out, run!, "summary.json"), "utf8"));
      expect(summary.target).toMatchObject({ kind: "url", url: `${gw.url}/v1` });
      expect(summary.hypotheses.map((h: { verdict: string }) => h.verdict)).toEqual(["PASS", "PASS"]);
      // Every request reached the team's gateway with the key (no 401s).
      expect(summary.total.ok).toBe(summary.total.requests);
      expect(summary.total.requests).toBeGreaterThan(120);
      // Rolled back: the team's proxy has no toxic left, and the proxy itself is still there.
      const after = (await (await fetch(`${tp.url}/proxies/llm`)).json()) as { name: string; toxics: unknown[] };
      expect([after.name, after.toxics]).toEqual(["llm", []]);
      for (const f of await readdir(join(out, run!))) expect(await readFile(join(out, run!, f), "utf8")).not.toContain(KEY);
      // One pod deleted for real, its replacement seen Ready while the fault was on.
      expect(kube.deletes().map((c) => c.query)).toEqual([{ gracePeriodSeconds: "0" }]);
      const types = summary.events.map((e: { type: string }) => e.type);
      expect(types).toContain("k8s_pod_kill");
      expect(types).toContain("k8s_pods_recovered");
      // Its own metrics endpoint, scraped every second: only the series kept, counted per phase.
      const telemetry = summary.telemetry;
      expect(telemetry.components).toEqual(["team-gateway"]);
      const counted = (phase: string) => Object.entries(telemetry.phases[phase]["team-gateway"] as Record<string, number>);
      for (const phase of ["baseline", "slow-network"]) {
        const keys = counted(phase).map(([k]) => k.split("{")[0]);
        expect(new Set(keys)).toEqual(new Set(["gen_ai_client_operation_duration_seconds_count", "aire_gateway_in_flight"]));
      }
      const answered = ["baseline", "slow-network"].flatMap((p) => counted(p).filter(([k]) => k.startsWith("gen_ai_client_operation_duration_seconds_count")).map(([, v]) => v)).reduce((a, b) => a + b, 0);
      expect(answered).toBeGreaterThan(summary.total.requests * 0.8); // the gateway's own count of what it answered
      expect(answered).toBeLessThanOrEqual(summary.total.requests);
      expect(await readFile(join(out, run!, "summary.md"), "utf8")).toMatch(/\| slow-network \| team-gateway: aire_gateway_in_flight at most \d+, gen_ai_client_operation_duration_seconds_count\{[^}]+\} \+\d+/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  test("refused before any traffic: a remote host without allow (exit 2, no results), and a key variable that is not set (exit 2)", async () => {
    await using tp = await toxiproxy();
    await new Toxiproxy(tp.url).createProxy({ name: "llm", listen: "127.0.0.1:0", upstream: "127.0.0.1:9" });
    await using gw = await gateway({ providers: [{ name: "llm", url: "http://127.0.0.1:9", model: "m" }], routes: { "team-chat": ["llm"] } });
    const dir = await mkdtemp(join(tmpdir(), "aire-url-refused-"));
    try {
      const remote = join(dir, "remote.yaml");
      await writeFile(remote, scenario(gw.url, tp.url, "https://llm-gateway.example.com"));
      const out = join(dir, "results");
      const refused = await runCli(["run", remote, "--out", out], { env: { TEAM_GATEWAY_KEY: KEY } });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/remote\.yaml:5:8 {2}target\.url {2}https:\/\/llm-gateway\.example\.com\/v1: llm-gateway\.example\.com is not loopback and not in allow:/);
      await expect(readdir(out)).rejects.toThrow(); // no results directory: nothing ran
      const local = join(dir, "local.yaml");
      await writeFile(local, scenario(gw.url, tp.url));
      const keyless = await runCli(["run", local, "--out", out], { env: { TEAM_GATEWAY_KEY: "" } });
      expect(keyless.code).toBe(2);
      expect(keyless.stdout + keyless.stderr).toMatch(/the environment variable TEAM_GATEWAY_KEY is not set/);
      // The gateway never saw a chat request.
      expect(await (await fetch(`${gw.url}/metrics`)).text()).not.toMatch(/^aire_gateway_requests_total\{/m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
