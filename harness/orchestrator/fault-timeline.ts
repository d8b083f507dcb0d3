/**
 * The faults of a run on its timeline: each one applied with the ledger written first, watched
 * where it can be removed by someone else, and reverted by its schedule, at the phase end, or by
 * the run's teardown — whichever comes first, once.
 * @module
 */
import { faultDefinition, ProviderAdmin, type FaultSpec } from "../../faults/index.js";
import { activations } from "../../faults/schedule.js";
import type { FaultContext, KubernetesAccess } from "../../faults/types.js";
import { describeError } from "../base/errors.js";
import type { EventType } from "../base/events.js";
import type { Teardown } from "../base/lifecycle/teardown.js";
import type { EventLog } from "../results/event-log.js";
import type { PhaseSpec } from "../scenario/schema.js";
import type { TargetStack } from "../stack/target.js";
import type { PhaseClock } from "../traffic/phase-clock.js";

export interface FaultTimelineContext {
  runId: string;
  stack: TargetStack;
  kubernetes: KubernetesAccess | undefined;
  events: EventLog;
  /** Aborts when the run stops (interrupt, abort condition, traffic stopped): long-running faults end. */
  signal: AbortSignal;
  /** The faults in place now, by name, with their description (for the progress line). */
  active: Map<string, string>;
  /** When each scheduled fault in place is due to be rolled back (plan ms, on the phase clock), for the console. */
  until?: Map<string, number>;
  /** Where each applied fault's revert is registered, so a failure or an interrupt rolls it back. */
  teardown: Teardown;
  log: (line: string) => void;
}

/** Applies one fault (ledger first), registers its revert on the teardown, and returns the revert. */
export async function applyFault(c: FaultTimelineContext, phase: string, fault: FaultSpec, faultName: string): Promise<() => Promise<void>> {
  const { events, log } = c;
  const definition = faultDefinition(fault);
  const fronts = c.stack.providers;
  const ctx: FaultContext = {
    runId: c.runId,
    faultName,
    // Validation let a url target have network faults only with its own Toxiproxy.
    toxiproxy: c.stack.toxiproxy!,
    proxyName: c.stack.proxyName,
    provider: (name) => new ProviderAdmin(name, fronts.get(name)!.url, fronts.get(name)!.adminToken),
    ...(c.kubernetes ? { kubernetes: c.kubernetes } : {}),
    event: (type, data) => events.append(type as EventType, { fault: faultName, ...data }, true),
    signal: c.signal,
  };
  const description = definition.describe(fault);
  // The ledger records the intent before the action: a crash in between still leaves a trace to sweep.
  events.append("fault_apply", { phase, fault: faultName, kind: fault.kind, description, params: fault }, true);
  let undo;
  try {
    undo = await definition.inject(ctx, fault);
  } catch (err) {
    events.append("fault_apply_failed", { fault: faultName, error: describeError(err) }, true);
    throw err;
  }
  events.append("fault_applied", { fault: faultName }, true);
  c.active.set(faultName, description);
  log(`  fault on: ${description}`);
  let reverted: Promise<void> | undefined;
  // A fault on a shared Toxiproxy can be removed by someone else: look every second, and say so.
  const present = undo.present;
  let checking = false;
  const watchFault = present && setInterval(() => {
    if (checking) return;
    checking = true;
    void present()
      .then((yes) => {
        if (yes || reverted) return;
        clearInterval(watchFault);
        events.append("fault_lost", { phase, fault: faultName }, true);
        log(`warning: fault gone: ${description} was removed by someone else; the windows it was meant for are not judged`);
      })
      .finally(() => (checking = false));
  }, 1000);
  if (watchFault) watchFault.unref();
  const revert = () =>
    (reverted ??= (async () => {
      clearInterval(watchFault);
      events.append("fault_revert", { fault: faultName }, true);
      try {
        await undo();
        c.active.delete(faultName);
        events.append("fault_reverted", { fault: faultName }, true);
        log(`  fault off: ${description}`);
      } catch (err) {
        events.append("fault_revert_failed", { fault: faultName, error: describeError(err) }, true);
        throw err;
      }
    })());
  c.teardown.defer(faultName, revert);
  return revert;
}

/**
 * Runs one phase's faults, each on its own schedule (activations, ramp steps) from the phase's
 * start (`planStart`, plan ms on the run's phase clock, whose wall time 0 is `start`); all end by
 * the phase end. A facilitator's hold or extension holds their schedule with the phase; an
 * advance ends the phase: what is in place is rolled back, what had not begun never is. One
 * failing fault stops the others at once and is thrown; so is the run's `control` reason when
 * the run stops.
 */
export async function runPhaseFaults(c: FaultTimelineContext, phase: PhaseSpec, clock: { clock: PhaseClock; start: number; planStart: number }, control: AbortSignal): Promise<void> {
  const phaseAbort = new AbortController();
  const phaseSignal = AbortSignal.any([phaseAbort.signal, control]);
  const runners = phase.faults.map(async (fault, i) => {
    const ramp = fault.schedule?.ramp;
    const own = ramp ? ((fault as Record<string, unknown>)[ramp.param] as number) : undefined;
    for (const [n, activation] of activations(fault.schedule, phase.duration, own).entries()) {
      for (const [k, step] of activation.steps.entries()) {
        await clock.clock.until(clock.start, clock.planStart + step.start, phaseSignal);
        // Advanced past it: the rest of the phase was cut away.
        if (clock.clock.planAt(performance.now() - clock.start) >= clock.planStart + phase.duration) return;
        const spec = (ramp && step.value !== undefined ? { ...fault, [ramp.param]: step.value } : fault) as FaultSpec;
        const suffix = `${fault.schedule?.every !== undefined ? `-r${n}` : ""}${ramp ? `-s${k}` : ""}`;
        const name = `aire-${c.runId}-${phase.name}-${i}-${fault.kind}${suffix}`;
        const revert = await applyFault(c, phase.name, spec, name);
        const stepEnd = activation.steps[k + 1]?.start ?? activation.end;
        c.until?.set(name, clock.planStart + stepEnd);
        await clock.clock.until(clock.start, clock.planStart + stepEnd, phaseSignal);
        await revert();
      }
    }
  }).map((runner) => runner.catch((err: unknown) => {
    phaseAbort.abort(err);
    throw err;
  }));
  // One failing fault aborts the phase: the others' sleeps end with the run signal.
  const results = await Promise.allSettled(runners);
  if (control.aborted) throw control.reason;
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw phaseAbort.signal.reason ?? failed.reason;
}
