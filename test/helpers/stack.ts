/** In-process components for integration tests, each disposed by `await using`. */
import { startGateway } from "../../harness/gateway/gateway.js";
import { gatewayConfig, type GatewayConfigInput } from "../../harness/gateway/config.js";
import { providerConfigSchema, type ProviderConfig } from "../../harness/providers/config.js";
import { startProvider } from "../../harness/providers/provider.js";
import { startToxiproxy } from "../../harness/toxiproxy/server.js";

export const provider = (config: Partial<ProviderConfig> = {}) => startProvider(providerConfigSchema.parse(config), { port: 0 });
export const toxiproxy = () => startToxiproxy({ port: 0, seed: 7 });
export const gateway = (config: GatewayConfigInput) => startGateway(gatewayConfig(config), { port: 0 });

/** A chat request body. */
export const chat = (model: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model, messages: [{ role: "user", content: "Say something about chaos engineering." }], max_tokens: 5, stream: true, ...extra });
