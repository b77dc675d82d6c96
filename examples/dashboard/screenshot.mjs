// Takes examples/dashboard/screenshot.png (the README's) in headless Chromium: the dashboard on
// the local demo data, one job open with its live charts and the comparison across jobs.
//   node scripts/with-dioptra.mjs -- node examples/dashboard/screenshot.mjs
import { fileURLToPath } from "node:url";

import { launchChromium } from "../../pkg-tests/support/chromium.mjs";
import { demo, startDashboard } from "./serve.mjs";

const out = fileURLToPath(new URL("./screenshot.png", import.meta.url));
const server = await startDashboard({ apiAddress: process.env.DIOPTRA_ADDRESS });
const live = await demo(server.origin);
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1150, height: 900 } });
  await page.goto(`${server.origin}/?interval=1000`);
  await page.fill("#login [name=username]", process.env.DIOPTRA_USERNAME);
  await page.fill("#login [name=password]", process.env.DIOPTRA_PASSWORD);
  await page.click("#login button");
  await page.fill("#find [name=search]", "main");
  await page.click("#find button");
  await page.click("tr.job >> nth=0");
  await page.waitForFunction(() => window.dashboard.ready === true, null, { timeout: 120_000 });
  await page.selectOption("#compare-metric", "loss");
  await page.waitForFunction(() => window.dashboard.compareChart !== null);
  await page.waitForTimeout(2500); // a few live polls
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await live.stop();
  await server.close();
}
