// The dashboard (examples/dashboard/) in headless Chromium against the real Dioptra: a 50,000-
// point history drawn from at most the chart's width in points, a canvas that is not blank,
// live points within two polling intervals while this Node process logs a curve, one
// comparison series per job, a CSV download with every point, and no console error.
// DASHBOARD_SCREENSHOT=path also saves a screenshot (the README's).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";

import { DioptraClient } from "dioptra-metrics";
import { address, username, password, seed, takeJob } from "./support/env.mjs";
import { seedMetrics } from "./support/seeded.mjs";
import { launchChromium } from "./support/chromium.mjs";
import { startDashboard } from "../examples/dashboard/serve.mjs";

const INTERVAL_MS = 3000;
const N = 50_000;
const NAME = `loss_${process.pid}`;
const ACC = `acc_${process.pid}`;
const client = new DioptraClient(address);
let dashboard, browser, page, job, other;
const problems = [];

before(async () => {
  await client.auth.login(username, password);
  [job, other] = [takeJob(), takeJob()];
  await seedMetrics(job, [NAME], 0, N);
  await seedMetrics(job, [ACC], 0, 1200);
  await seedMetrics(other, [ACC], 0, 900);
  dashboard = await startDashboard({ apiAddress: address });
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1200, height: 1000 }, acceptDownloads: true });
  page = await context.newPage();
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && problems.push(`console.error: ${m.text()}`));
  await page.goto(`${dashboard.origin}/?interval=${INTERVAL_MS}`);
  await page.fill("#login [name=username]", username);
  await page.fill("#login [name=password]", password);
  await page.click("#login button");
  await page.waitForSelector("#main:not(.hidden)");
  await page.fill("#find [name=search]", "pool");
  await page.click("#find button");
  await page.click(`tr.job[data-id="${job}"]`, { timeout: 30_000 });
  // The first poll reads the 50,000 points: Dioptra 1.2.2 reads the whole history for every
  // page of 1000, about 2 s each here, so this is the slow part (~100 s).
  await page.waitForFunction(() => window.dashboard.ready === true, null, { timeout: 240_000 });
});
after(async () => {
  await browser?.close();
  await dashboard?.close();
});

describe("the dashboard in Chromium", () => {
  it("lists the experiment's jobs with their latest metrics", async () => {
    const rows = await page.$$eval("tr.job", (trs) => trs.map((tr) => tr.dataset.id));
    assert.equal(rows.length, seed.experiments.pool.jobIds.length);
    const text = await page.textContent(`tr.job[data-id="${job}"]`);
    assert.match(text, new RegExp(`${NAME}=`));
  });

  it("draws the 50,000-point history from at most the chart's width in points, not blank", async () => {
    const info = await page.evaluate((name) => {
      const chart = window.dashboard.charts.get(name);
      const canvas = chart.ctx.canvas;
      const { data } = chart.ctx.getImageData(0, 0, canvas.width, canvas.height);
      let inked = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0 && (data[i] < 200 || data[i + 1] < 200 || data[i + 2] < 200)) inked++;
      return { points: chart.data[0].length, width: chart.width, total: window.dashboard.series.get(name).total, inked, pixels: data.length / 4 };
    }, NAME);
    assert.equal(info.total, N);
    assert.ok(info.points <= info.width && info.points > info.width / 4, `${info.points} points drawn on ${info.width} px`);
    assert.ok(info.inked > 500, `only ${info.inked} of ${info.pixels} pixels drawn`);
  });

  it("the comparison chart has one series per job with the metric", async () => {
    await page.selectOption("#compare-metric", ACC);
    await page.waitForFunction(() => window.dashboard.compareChart !== null, null, { timeout: 30_000 });
    const labels = await page.evaluate(() => window.dashboard.compareChart.series.slice(1).map((s) => s.label));
    assert.deepEqual(labels.sort(), [`job ${job}`, `job ${other}`].sort());
  });

  it("a curve logged while the page is open is in the chart's data within two polling intervals", async () => {
    const logger = client.jobs.createLogger(job, { flushIntervalMs: 0 });
    for (let k = 0; k < 20; k++) logger.log({ [NAME]: Math.sin(k / 3) }, { step: N + k });
    await logger.close();
    await page.waitForFunction(
      ({ name, last }) => {
        const chart = window.dashboard.charts.get(name);
        return chart.data[0].at(-1) === last && window.dashboard.series.get(name).steps.length === last + 1;
      },
      { name: NAME, last: N + 19 },
      { timeout: 2 * INTERVAL_MS },
    );
  });

  it("the CSV download holds every point of the job", async () => {
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
    const lines = fs.readFileSync(await download.path(), "utf8").trimEnd().split("\n");
    assert.equal(lines[0], "jobId,name,step,value,timestamp");
    const count = (name) => lines.filter((l) => l.split(",")[1] === name).length;
    assert.equal(count(NAME), N + 20);
    assert.equal(count(ACC), 1200);
    assert.equal(lines.length, 1 + N + 20 + 1200);
  });

  it("logs no console error", async () => {
    if (process.env.DASHBOARD_SCREENSHOT) await page.screenshot({ path: process.env.DASHBOARD_SCREENSHOT, fullPage: true });
    assert.deepEqual(problems, []);
  });
});
