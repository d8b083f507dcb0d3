/** Run ids: `<scenario>-<UTC timestamp>-<4 hex>`, usable in file names and Toxiproxy names. @module */
import { randomBytes } from "node:crypto";

export function newRunId(scenario: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\..*$/, "").replace("T", "-");
  return `${scenario}-${stamp}-${randomBytes(2).toString("hex")}`;
}
