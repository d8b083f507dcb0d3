// Screenshots of a run's report.html for the docs, in headless Chromium (Debian's, as the browser
// test uses): node scripts/screenshot.mjs <results dir> <out.png> [css selector …]
// Each selector's element is captured in one image, stacked, at the report's own width.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const [dir, out, ...selectors] = process.argv.slice(2);
if (!dir || !out || selectors.length === 0) {
  console.error("usage: node scripts/screenshot.mjs <results dir> <out.png> <css selector> [more selectors]");
  process.exit(2);
}
const executablePath = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
if (!executablePath) {
  console.error("no Chromium at /usr/bin/chromium (apt-get install chromium)");
  process.exit(2);
}
const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 }, deviceScaleFactor: 1 });
  await page.goto(pathToFileURL(resolve(join(dir, "report.html"))).href);
  // The region from the first selector's top to the last one's bottom.
  const boxes = [];
  for (const s of selectors) {
    const box = await page.locator(s).first().boundingBox();
    if (!box) {
      console.error(`${s}: not in the report`);
      process.exit(1);
    }
    boxes.push(box);
  }
  const top = Math.min(...boxes.map((b) => b.y)) - 8;
  const bottom = Math.max(...boxes.map((b) => b.y + b.height)) + 8;
  const left = Math.min(...boxes.map((b) => b.x)) - 8;
  const right = Math.max(...boxes.map((b) => b.x + b.width)) + 8;
  await page.screenshot({ path: out, clip: { x: Math.max(0, left), y: Math.max(0, top), width: right - left, height: bottom - top }, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
}
