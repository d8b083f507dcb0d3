/** `host:port` parsing and loopback normalisation for proxy listen and upstream addresses. @module */

export interface HostPort {
  host: string;
  port: number;
}

/** Splits `host:port` at the last colon (`[::1]:80` works). Throws a Go-like message on bad input. */
export function parseHostPort(address: string): HostPort {
  const colon = address.lastIndexOf(":");
  if (colon < 0) throw new Error(`address ${address}: missing port in address`);
  const host = address.slice(0, colon).replace(/^\[|\]$/g, "");
  const port = Number(address.slice(colon + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`address ${address}: invalid port`);
  return { host, port };
}

/**
 * Where the embedded server really binds. Deviation from Toxiproxy, documented: `0.0.0.0`, `::`,
 * an empty host and `localhost` all bind loopback, so a proxy is never reachable from outside.
 */
export function bindHost(host: string): string {
  if (host === "" || host === "0.0.0.0" || host === "localhost") return "127.0.0.1";
  if (host === "::") return "::1";
  return host;
}

export function formatHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
