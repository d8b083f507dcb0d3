/** In-process components for integration tests, each disposed by `await using`. */
import { startGateway } from "../../harness/reference/gateway/gateway.js";
import { gatewayConfig, type GatewayConfigInput } from "../../harness/reference/gateway/config.js";
import { providerConfigSchema, type ProviderConfig } from "../../harness/reference/providers/config.js";
import { startProvider } from "../../harness/reference/providers/provider.js";
import { startToxiproxy } from "../../harness/reference/toxiproxy/server.js";

export const provider = (config: Partial<ProviderConfig> = {}) => startProvider(providerConfigSchema.parse(config), { port: 0 });
export const toxiproxy = () => startToxiproxy({ port: 0, seed: 7 });
export const gateway = (config: GatewayConfigInput) => startGateway(gatewayConfig(config), { port: 0 });

/** A chat request body. */
export const chat = (model: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model, messages: [{ role: "user", content: "Say something about chaos engineering." }], max_tokens: 5, stream: true, ...extra });
