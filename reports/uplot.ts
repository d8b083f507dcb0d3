/** uPlot's own minified script and style sheet, read once from the package (the console serves them; report.html inlines them). @module */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const files = new Map<string, string>();

export function uplotAsset(kind: "js" | "css"): string {
  let text = files.get(kind);
  if (text === undefined) {
    text = readFileSync(createRequire(import.meta.url).resolve(kind === "js" ? "uplot/dist/uPlot.iife.min.js" : "uplot/dist/uPlot.min.css"), "utf8");
    files.set(kind, text);
  }
  return text;
}
