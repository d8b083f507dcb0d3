/**
 * What the commands share: option parsers, the scenario flags (--set, --time-scale, --quick, --seed)
 * and how exit codes of several runs combine.
 * @module
 */
import { type Command, InvalidArgumentError } from "commander";
import { HarnessError } from "../base/errors.js";
import type { LoadOptions } from "../scenario/load.js";

export const collect = (value: string, previous: string[]) => [...previous, value];

export const positiveNumber = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("expected a number above 0");
  return n;
};

export const percent = (value: string, option: string) => {
  const m = /^(\d+(?:\.\d+)?)%$/.exec(value.trim());
  if (!m) throw new HarnessError("USAGE", { message: `${option} takes a percentage such as 10% (got "${value}")` });
  return Number(m[1]) / 100;
};

/** A parser of whole numbers from `min` to `max` (no upper bound: Infinity); `what` names them in the message. */
export const wholeNumber = (min: number, max = Number.POSITIVE_INFINITY, what = "a whole number") => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected ${what} ${max === Number.POSITIVE_INFINITY ? `≥ ${min}` : `from ${min} to ${max}`}`);
  return n;
};

export const port = wholeNumber(0, 65535, "a port");

/** `--workers N|auto`: a whole number from 1, or "auto" (the cores left after the reference stack's processes). */
export const workersOption = (value: string): number | "auto" => {
  if (value === "auto") return "auto";
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('expected a whole number from 1 to 64, or "auto"');
  return n;
};

/** The generator processes option, shared by run, capacity and proof. */
export function withWorkersFlag(command: Command): Command {
  return command.option("--workers <n|auto>", "generator processes: the schedule split between N child processes, each with its own connections (auto: the cores left after the reference stack's)", workersOption, 1);
}

export interface ScenarioFlags {
  set: string[];
  timeScale?: number;
  seed?: number;
  quick?: boolean;
}

export function loadOptions(flags: ScenarioFlags): LoadOptions {
  const set = [...flags.set, ...(flags.seed !== undefined ? [`seed=${flags.seed}`] : [])];
  return { set, ...(flags.timeScale !== undefined ? { timeScale: flags.timeScale } : {}), ...(flags.quick ? { quick: true } : {}) };
}

export function withScenarioFlags(command: Command): Command {
  return command
    .option("--set <path=value>", "override a scenario value (repeatable), e.g. --set traffic.arrival.rate=50/s", collect, [])
    .option("--time-scale <factor>", "multiply every phase duration, e.g. 0.2 for a quick pass", positiveNumber)
    .option("--quick", "apply the scenario's quick: block (its time scale and overrides, for CI)");
}

/** Exit codes from least to most severe: several runs exit with their worst. */
const precedence = [0, 1, 2, 3, 4, 130];
export function worst(a: number, b: number): number {
  return precedence.indexOf(b) > precedence.indexOf(a) ? b : a;
}
