/**
 * aire's harness: load a scenario, run it against the bundled stack, score it; and each component
 * of the stack on its own. Only what is listed here is public.
 * @module
 */
export { errorCatalogue, HarnessError, isHarnessError, type HarnessErrorCode } from "./base/errors.js";
export { Teardown } from "./base/lifecycle/teardown.js";
export { formatIssue, loadScenarioFile, loadScenarioOrThrow, parseScenario, type LoadedScenario, type LoadOptions, type LoadResult, type ScenarioIssue } from "./scenario/load.js";
export { defineScenario, type ScenarioInput } from "./scenario/define.js";
export { scenarioSchema, type GatewaySpec, type HypothesisSpec, type PhaseSpec, type ProviderSpec, type Scenario, type WorkloadSpec } from "./scenario/schema.js";
export { runScenario, type RunOptions, type RunOutcome } from "./orchestrator/run-scenario.js";
export { parseAssertion, type Assertion } from "./slo/expression.js";
export { Scorer, type AssertionResult, type HypothesisResult, type Verdict, type Timeline, type WindowSpec } from "./slo/score.js";
export { runTraffic, type TrafficOptions, type TrafficResult } from "./traffic/generator.js";
export type { Sample } from "./metrics/sample.js";
export { providerConfigSchema, type ProviderConfig } from "./reference/providers/config.js";
export { startProvider, type StartedProvider } from "./reference/providers/provider.js";
export { behaviourSchema, type BehaviourSpec } from "./reference/providers/behaviours.js";
export { gatewayConfig, gatewayConfigSchema, gatewayProfiles, resolvePolicy, type GatewayConfig, type GatewayConfigInput, type GatewayPolicy } from "./reference/gateway/config.js";
export { GatewayCore, type GatewayRequest, type GatewayResponse } from "./reference/gateway/core.js";
export type { Upstream, UpstreamResponse } from "./reference/gateway/upstream.js";
export { startGateway, type StartedGateway } from "./reference/gateway/gateway.js";
export { startToxiproxy, type StartedToxiproxy } from "./reference/toxiproxy/server.js";
