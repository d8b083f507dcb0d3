/**
 * `aire init [file]`: writes a first scenario for your own stack. On a terminal it asks (with
 * @inquirer/prompts) what the flags do not say; with `--yes`, or without a terminal, the flags and
 * their defaults are the answers. The file is loaded before it is written (harness/commands/init.ts).
 * Exit 0 written, 2 for answers that cannot make a scenario or a file that exists (without
 * --force), 130 when the questions are cancelled (nothing is written).
 * @module
 */
import { Command, Option } from "commander";
import { HarnessError } from "../base/errors.js";
import { incidents } from "../commands/incidents.js";

interface InitFlags {
  target?: "reference" | "url";
  url?: string;
  model?: string;
  keyEnv?: string;
  toxiproxyUrl?: string;
  proxy?: string;
  ttftP95?: string;
  availability?: string;
  errorRate?: string;
  incidents?: string;
  rate?: string;
  streamShare?: string;
  promptTokens?: string;
  maxTokens?: string;
  force?: boolean;
  yes?: boolean;
}

const DURATION = /^\d+(\.\d+)?(ms|s|m)$/;
const PERCENT = /^\d+(\.\d+)?%$/;
const RATE = /^\d+(\.\d+)?\/(s|m|h)$/;
const COUNT = /^[1-9]\d*$/;
const ENV = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Checks one answer; a message for the prompt, or true. */
function check(value: string, pattern: RegExp, example: string): true | string {
  return pattern.test(value.trim()) || `write it like ${example}`;
}

function checkUrl(value: string): true | string {
  try {
    const u = new URL(value);
    return u.protocol === "http:" || u.protocol === "https:" ? true : "an http:// or https:// URL";
  } catch {
    return "a URL such as http://127.0.0.1:8080/v1";
  }
}

export function registerInit(program: Command): void {
  program
    .command("init")
    .description("write a first scenario for your own stack: asks on a terminal, or takes flags (--yes: no questions)")
    .argument("[file]", "the scenario file to write", "scenario.yaml")
    .addOption(new Option("--target <kind>", "the bundled reference stack, or your gateway's URL").choices(["reference", "url"]))
    .option("--url <url>", "url target: your gateway's OpenAI-compatible base URL, e.g. http://127.0.0.1:8080/v1")
    .option("--model <name>", "url target: the model to ask for")
    .option("--key-env <VAR>", "url target: the environment variable holding the API key")
    .option("--toxiproxy-url <url>", "url target: a Toxiproxy in front of your provider, for network incidents")
    .option("--proxy <name>", "url target: that Toxiproxy's proxy in front of your provider", "llm-upstream")
    .option("--ttft-p95 <duration>", "SLO: time to first token p95 below this")
    .option("--availability <pct>", "SLO: availability at least this")
    .option("--error-rate <pct>", "SLO: error rate below this")
    .option("--incidents <ids>", "incidents to rehearse, comma-separated (aire init --help lists them)")
    .option("--rate <rate>", "requests per second (or /m), e.g. 10/s")
    .option("--stream-share <pct>", "share of requests streamed, e.g. 80%")
    .option("--prompt-tokens <n>", "prompt size in tokens")
    .option("--max-tokens <n>", "max_tokens of each request")
    .option("--force", "overwrite the file if it exists")
    .option("-y, --yes", "ask nothing: the flags and their defaults")
    .addHelpText("after", `\nIncidents (--incidents):\n${incidents.map((i) => `  ${i.id.padEnd(20)}${i.title}${i.network ? "" : " (reference stack only)"}`).join("\n")}\n`)
    .action(async (file: string, flags: InitFlags) => {
      const { existsSync, writeFileSync } = await import("node:fs");
      const { dirname, relative, resolve, join } = await import("node:path");
      const init = await import("../commands/init.js");
      const { packageRoot } = await import("../base/package-root.js");
      if (existsSync(file) && !flags.force) throw new HarnessError("USAGE", { message: `${file} exists: choose another file, or --force to overwrite it` });
      const interactive = !flags.yes && process.stdin.isTTY === true && process.stdout.isTTY === true;
      let answers: import("../commands/init.js").InitAnswers;
      try {
        const name = init.nameFromFile(file);
        answers = interactive ? await ask(flags, name) : fromFlags(flags, name);
      } catch (err) {
        if ((err as Error).name === "ExitPromptError") {
          process.stderr.write("aire init: cancelled; nothing written\n");
          process.exitCode = 130;
          return;
        }
        throw err;
      }
      const schema = relative(dirname(resolve(file)), join(packageRoot(), "scenario.schema.json")) || "scenario.schema.json";
      const text = init.scenarioText(answers, file, schema);
      writeFileSync(file, text, { mode: 0o644, flag: flags.force ? "w" : "wx" });
      process.stdout.write(`wrote ${file}: ${answers.target.kind === "reference" ? "the bundled reference stack" : answers.target.url}, ${answers.incidents.length === 0 ? "no incident yet" : answers.incidents.join(", ")}\nnext: aire plan ${file}   then   aire run ${file} --quick\n`);
    });
}

const defaults = { ttftP95: "1s", availability: "99%", errorRate: "1%", rate: "10/s", streamShare: "80%", promptTokens: "500", maxTokens: "200" };

function defaultIncidents(target: import("../commands/init.js").Target): string[] {
  if (target.kind === "reference") return ["slow-provider", "rate-limit-storm", "pod-loss"];
  return target.toxiproxyUrl ? ["slow-provider"] : [];
}

/** Every flag checked as a prompt would check it, so a bad one is named. */
function must(value: string, pattern: RegExp, example: string, flag: string): string {
  const ok = check(value, pattern, example);
  if (ok !== true) throw new HarnessError("USAGE", { message: `${flag} ${value}: ${ok}` });
  return value.trim();
}

function targetFromFlags(flags: InitFlags): import("../commands/init.js").Target {
  if ((flags.target ?? (flags.url ? "url" : "reference")) === "reference") return { kind: "reference" };
  if (!flags.url) throw new HarnessError("USAGE", { message: "--target url needs --url (your gateway's base URL)" });
  for (const [flag, value] of [["--url", flags.url], ["--toxiproxy-url", flags.toxiproxyUrl]] as const) {
    const ok = value === undefined ? true : checkUrl(value);
    if (ok !== true) throw new HarnessError("USAGE", { message: `${flag} ${value}: ${ok}` });
  }
  if (flags.keyEnv !== undefined) must(flags.keyEnv, ENV, "OPENAI_API_KEY", "--key-env");
  return { kind: "url", url: flags.url, model: flags.model ?? "gpt-4o-mini", ...(flags.keyEnv ? { keyEnv: flags.keyEnv } : {}), ...(flags.toxiproxyUrl ? { toxiproxyUrl: flags.toxiproxyUrl, proxy: flags.proxy ?? "llm-upstream" } : {}) };
}

function fromFlags(flags: InitFlags, name: string): import("../commands/init.js").InitAnswers {
  const target = targetFromFlags(flags);
  return {
    name,
    target,
    slo: {
      ttftP95: must(flags.ttftP95 ?? defaults.ttftP95, DURATION, "1s or 800ms", "--ttft-p95"),
      availability: must(flags.availability ?? defaults.availability, PERCENT, "99.5%", "--availability"),
      errorRate: must(flags.errorRate ?? defaults.errorRate, PERCENT, "1%", "--error-rate"),
    },
    incidents: flags.incidents !== undefined ? flags.incidents.split(",").map((s) => s.trim()).filter(Boolean) : defaultIncidents(target),
    load: {
      rate: must(flags.rate ?? defaults.rate, RATE, "10/s", "--rate"),
      streamShare: Number(must(flags.streamShare ?? defaults.streamShare, PERCENT, "80%", "--stream-share").slice(0, -1)) / 100,
      promptTokens: Number(must(flags.promptTokens ?? defaults.promptTokens, COUNT, "500", "--prompt-tokens")),
      maxTokens: Number(must(flags.maxTokens ?? defaults.maxTokens, COUNT, "200", "--max-tokens")),
    },
  };
}

/** The questions the flags left open, in order: target, SLOs, incidents, load. */
async function ask(flags: InitFlags, name: string): Promise<import("../commands/init.js").InitAnswers> {
  const { checkbox, input, select } = await import("@inquirer/prompts");
  const init = await import("../commands/init.js");
  const kind = flags.target ?? (flags.url ? "url" : await select({ message: "What do you want to test?", choices: [{ name: "the bundled reference stack (a gateway and two synthetic GPU providers)", value: "reference" as const }, { name: "my own OpenAI-compatible gateway, at a URL", value: "url" as const }] }));
  const filled: InitFlags = { ...flags, target: kind };
  if (kind === "url") {
    filled.url ??= await input({ message: "Its base URL (loopback, or a host you will list in allow:)", default: "http://127.0.0.1:8080/v1", validate: checkUrl });
    filled.model ??= await input({ message: "The model to ask for", default: "gpt-4o-mini" });
    filled.keyEnv ??= (await input({ message: "The environment variable with its API key (empty: none)", default: "", validate: (v) => v === "" || check(v, ENV, "OPENAI_API_KEY") })) || undefined;
    filled.toxiproxyUrl ??= (await input({ message: "A Toxiproxy in front of your provider, for network incidents (empty: none)", default: "", validate: (v) => v === "" || checkUrl(v) })) || undefined;
    if (filled.toxiproxyUrl && flags.proxy === "llm-upstream") filled.proxy = await input({ message: "Its proxy in front of your provider", default: "llm-upstream" });
  }
  const target = targetFromFlags(filled);
  process.stdout.write("Your SLOs today (each is judged in every phase):\n");
  filled.ttftP95 ??= await input({ message: "Time to first token p95 below", default: defaults.ttftP95, validate: (v) => check(v, DURATION, "1s or 800ms") });
  filled.availability ??= await input({ message: "Availability at least", default: defaults.availability, validate: (v) => check(v, PERCENT, "99.5%") });
  filled.errorRate ??= await input({ message: "Error rate below", default: defaults.errorRate, validate: (v) => check(v, PERCENT, "1%") });
  if (filled.incidents === undefined) {
    const offered = init.incidentsFor(target);
    if (offered.length === 0) process.stdout.write("No incident can be injected into a url target without a Toxiproxy in front of its provider: the scenario holds your SLOs under load.\n");
    else {
      const chosen = defaultIncidents(target);
      filled.incidents = (await checkbox({ message: "Which incidents to rehearse? (space to choose, enter when done)", choices: offered.map((i) => ({ name: i.title, value: i.id, checked: chosen.includes(i.id) })) })).join(",");
    }
  }
  filled.rate ??= await input({ message: "Load: requests arriving per second", default: defaults.rate, validate: (v) => check(v, RATE, "10/s") });
  filled.streamShare ??= await input({ message: "Share of requests streamed", default: defaults.streamShare, validate: (v) => check(v, PERCENT, "80%") });
  filled.promptTokens ??= await input({ message: "Prompt size, tokens", default: defaults.promptTokens, validate: (v) => check(v, COUNT, "500") });
  filled.maxTokens ??= await input({ message: "max_tokens", default: defaults.maxTokens, validate: (v) => check(v, COUNT, "200") });
  return fromFlags(filled, name);
}
