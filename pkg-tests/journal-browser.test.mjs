// Issue 9 in a real browser (the system Chromium, headless, via playwright-core): a page logs
// 1,000 points with `journal: "indexeddb"` while the API is unreachable (the test server
// refuses /api), the page is closed, the API comes back, and a new page on the same origin
// (the same browser profile) creates a logger for that job: all 1,000 points arrive, each
// with its value, once. pkg-tests/browser/journal.html is the page.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { useServerAndChromium } from "./support/chromium.mjs";
import { address, password, pyclient, takeJob, username } from "./support/env.mjs";

const POINTS = 1000;

/** @type {Awaited<ReturnType<typeof import("./support/browser-server.mjs").startBrowserServer>>} */
let server;
/** @type {import("playwright-core").Browser} */
let browser;

useServerAndChromium(address, (started, launched) => {
  server = started;
  browser = launched;
});

/** The journal page in `context`, once its module has loaded; page errors go to `problems`. */
async function openPage(context, problems) {
  const page = await context.newPage();
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  const res = await page.goto(`${server.origin}/pages/journal.html`);
  assert.equal(res?.status(), 200);
  await page.waitForFunction(() => window.appReady === true || window.appError, null, { timeout: 20_000 });
  const error = await page.evaluate(() => window.appError ?? null);
  assert.equal(error, null, problems.join("\n"));
  return page;
}

/** Exact, non-round values: (step + 1) / 7 - 40. */
const valueAt = (step) => (step + 1) / 7 - 40;

describe('journal: "indexeddb"', () => {
  it("points logged in a page closed while the API was unreachable are sent by the next page, once", async () => {
    const jobId = takeJob();
    const name = "idb_loss";
    const problems = [];
    const context = await browser.newContext();
    try {
      const first = await openPage(context, problems);
      await first.evaluate((cfg) => window.journalPage.login(cfg), { username, password });
      server.apiDown = true;
      const values = Array.from({ length: POINTS }, (_, step) => valueAt(step));
      const stats = await first.evaluate((cfg) => window.journalPage.log(cfg), { jobId, name, values });
      assert.equal(stats.sent, 0, "the API was down, yet points were stored");
      assert.equal(stats.journaled, POINTS);
      await first.close();
      assert.deepEqual(await pyclient(["history", jobId, name]), [], "points reached the server while the API was down");

      server.apiDown = false;
      const from = server.apiRequests.length;
      const second = await openPage(context, problems);
      await second.evaluate((cfg) => window.journalPage.login(cfg), { username, password });
      const resumed = await second.evaluate((cfg) => window.journalPage.resume(cfg), { jobId });
      assert.deepEqual(resumed.errors, [], problems.join("\n"));
      assert.equal(resumed.stats.sent, POINTS, JSON.stringify(resumed.stats));
      assert.equal(resumed.stats.journaled, 0);
      const posts = server.apiRequests.slice(from).filter((r) => r.method === "POST" && r.url === `/api/v1/jobs/${jobId}/metrics`);
      // Each point once, plus the logger's own retries (a request the proxy could not pass on).
      assert.equal(posts.length, POINTS + resumed.stats.retried, JSON.stringify(resumed.stats));

      const stored = (await pyclient(["history", jobId, name])).sort((a, b) => a.step - b.step);
      assert.equal(stored.length, POINTS);
      const wrong = stored.filter((p, i) => p.step !== i || Number(p.repr) !== valueAt(i));
      assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} wrong point(s)`);

      // The journal is gone: a third page's logger replays nothing.
      const third = await openPage(context, problems);
      await third.evaluate((cfg) => window.journalPage.login(cfg), { username, password });
      const again = await third.evaluate((cfg) => window.journalPage.resume(cfg), { jobId });
      assert.deepEqual([again.stats.sent, again.stats.journaled], [0, 0]);
      assert.deepEqual(problems, []);
    } finally {
      server.apiDown = false;
      await context.close();
    }
  });
});
