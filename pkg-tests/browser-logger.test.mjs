// The metric logger in a real browser (the system Chromium, headless, via playwright-core): what
// a page logged is sent when the page goes away (pagehide) or its tab is hidden
// (visibilitychange), with `fetch(..., { keepalive: true })`, and reaches the live Dioptra.
//
// pkg-tests/browser/logger.html logs in at its own origin (served with dist/ and a proxy to
// Dioptra by pkg-tests/support/browser-server.mjs) and logs 30 points with a logger whose flush
// interval (60 s) is far beyond the test's run: only the page lifecycle hooks can send them.
// Before anything is triggered the test checks that nothing was sent: no metric POST reached the
// proxy and Dioptra (read with its own Python client) has no point of the metric. Afterwards it
// waits (bounded) for all 30 points, each with its exact value, NaN and Infinity included.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { useServerAndChromium } from "./support/chromium.mjs";
import { address, password, pyclient, takeJob, username } from "./support/env.mjs";

/**
 * How long the points may take to arrive once the page goes away or is hidden. Generous: the
 * run's Dioptra is one sync gunicorn worker shared with the test files running alongside, and
 * a long history read of theirs holds it for seconds (seen: six of these POSTs at the server,
 * unanswered after 10 s, in a run with the logger and journal tests). They usually take well
 * under a second; each test says how long they took.
 */
const ARRIVAL_TIMEOUT_MS = 45_000;
const POLL_INTERVAL_MS = 100;
const POINTS = 30;
/** Far beyond the test's run: the logger's timer never fires during it. */
const FLUSH_INTERVAL_MS = 60_000;

/** @type {Awaited<ReturnType<typeof import("./support/browser-server.mjs").startBrowserServer>>} */
let server;
/** @type {import("playwright-core").Browser} */
let browser;

useServerAndChromium(address, (started, launched) => {
  server = started;
  browser = launched;
});

/** `values[step]` for steps 0..29: exact non-round binary fractions, a NaN and an Infinity. */
function pointValues() {
  return Array.from({ length: POINTS }, (_, step) => {
    if (step === 7) return NaN;
    if (step === 19) return Infinity;
    return (POINTS - step) / 7 - 1; // 29/7 - 1 ... 1/7 - 1: none exact in binary, some negative
  });
}

/** What pyclient.py reports for those values: "nan", "inf", or the number. */
function pyclientValue(v) {
  if (Number.isNaN(v)) return "nan";
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  return v;
}

/**
 * The logger page in a fresh context (a fresh cookie jar), once its module (and the wasm) has
 * loaded. Page errors, console messages and failed requests go to `problems`, shown when an
 * assertion fails (e.g. a keepalive request Chromium refused).
 */
async function openLoggerPage(t) {
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  const problems = [];
  const firstPageError = new Promise((resolve) => page.once("pageerror", (e) => resolve(e.message)));
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on("requestfailed", (r) => problems.push(`requestfailed: ${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.request().method()} ${r.url()}`);
  });
  const res = await page.goto(`${server.origin}/pages/logger.html`);
  assert.equal(res?.status(), 200, "GET /pages/logger.html");
  const loaded = page
    .waitForFunction(() => window.appReady === true || window.appError, null, { timeout: 20_000 })
    .then(() => page.evaluate(() => (window.appReady === true ? null : String(window.appError))));
  loaded.catch(() => {}); // when the page error wins the race, this one ends with the context
  const failure = await Promise.race([loaded, firstPageError]);
  if (failure !== null) assert.fail(`logger.html did not come up: ${failure}\n${problems.join("\n")}`);
  return { context, page, problems };
}

/** The metric POSTs for `jobId` the proxy passed on to Dioptra since index `from`. */
function metricPostsSince(from, jobId) {
  return server.apiRequests
    .slice(from)
    .filter((r) => r.method === "POST" && r.url === `/api/v1/jobs/${jobId}/metrics`);
}

/**
 * Polls Dioptra (with its own Python client) until the metric has `count` points, for at most
 * ARRIVAL_TIMEOUT_MS; resolves to the points, ordered by step (the keepalive requests are sent
 * all at once, so the server stores them in no particular order). Fails with what did arrive.
 */
async function waitForHistory(jobId, name, count, why) {
  const deadline = Date.now() + ARRIVAL_TIMEOUT_MS;
  let points;
  for (;;) {
    points = await pyclient(["history", jobId, name]);
    if (points.length >= count || Date.now() >= deadline) break;
    await sleep(POLL_INTERVAL_MS);
  }
  assert.equal(
    points.length,
    count,
    `${why}: after ${ARRIVAL_TIMEOUT_MS} ms Dioptra has ${points.length} point(s) of ${name} on job ` +
      `${jobId}, steps ${points.map((p) => p.step).join(",")}`,
  );
  return [...points].sort((a, b) => a.step - b.step);
}

/**
 * Opens the page, logs the 30 points, and checks that none of them has been sent: the logger
 * holds them, no metric POST reached the proxy, and Dioptra has no point of the metric.
 */
async function logWithoutSending(t, name) {
  const opened = await openLoggerPage(t);
  const { page, problems } = opened;
  const jobId = takeJob();
  const values = pointValues();
  const from = server.apiRequests.length;

  const out = await page.evaluate((cfg) => window.loggerPage.start(cfg), {
    username,
    password,
    jobId,
    name,
    values,
    flushIntervalMs: FLUSH_INTERVAL_MS,
  });
  assert.equal(out.baseUrl, `${server.origin}/api/v1`, "no address: the page's origin");
  const { queued, inFlight, sent, failed } = out.stats;
  assert.deepEqual({ queued, inFlight, sent, failed }, { queued: POINTS, inFlight: 0, sent: 0, failed: 0 });
  assert.deepEqual(server.apiRequestsSince(from), ["POST /api/v1/auth/login"], "only the login went out");

  // Nothing is on the server yet: anything found after the trigger was sent by it.
  assert.deepEqual(await pyclient(["history", jobId, name]), [], "Dioptra must have no point before the trigger");
  const still = await page.evaluate(() => window.loggerPage.stats());
  assert.equal(still.sent + still.inFlight, 0, `nothing may be sent before the trigger: ${JSON.stringify(still)}`);
  assert.deepEqual(metricPostsSince(from, jobId), [], "no metric POST before the trigger");
  assert.deepEqual(await page.evaluate(() => window.fetchLog), [], "the page called no fetch after login");

  const expected = values.map((v, step) => ({ name, step, value: pyclientValue(v) }));
  return { ...opened, jobId, from, expected, problems };
}

describe("the metric logger in Chromium: a page going away sends what it logged", () => {
  it("navigating away (pagehide) sends every waiting point with keepalive; all 30 reach Dioptra", async (t) => {
    const name = "loss";
    const { page, jobId, from, expected, problems } = await logWithoutSending(t, name);

    const res = await page.goto(`${server.origin}/pages/elsewhere.html`);
    assert.equal(res?.status(), 200, "GET /pages/elsewhere.html");

    const navigatedAt = Date.now();
    const stored = await waitForHistory(jobId, name, POINTS, `after navigating away\n${problems.join("\n")}`);
    t.diagnostic(`all ${POINTS} points stored ${Date.now() - navigatedAt} ms after the page went away`);
    assert.deepEqual(
      stored.map((p) => ({ name: p.name, step: p.step, value: p.value })),
      expected,
    );
    // One request per point, each once: none was lost or repeated on the way out.
    assert.equal(metricPostsSince(from, jobId).length, POINTS, `proxied: ${server.apiRequestsSince(from).join(", ")}`);

    // What the page asked fetch for as it went (recorded in sessionStorage, which outlives
    // this same-origin navigation of the tab): every metric POST with keepalive, from the
    // pagehide hook. (Chromium also fires visibilitychange to hidden as the page unloads, after
    // pagehide: without the pagehide hook that one would send the points, so the points
    // arriving alone would not show that the pagehide hook works.)
    const [log, events] = await page.evaluate(() => [
      JSON.parse(sessionStorage.getItem("fetchLog") ?? "null"),
      JSON.parse(sessionStorage.getItem("lifecycleEvents") ?? "null"),
    ]);
    assert.ok(Array.isArray(log), "logger.html's fetch record must be in sessionStorage");
    assert.equal(events?.[0], "pagehide", `lifecycle events of logger.html: ${JSON.stringify(events)}`);
    assert.equal(log.length, POINTS, `fetch calls: ${JSON.stringify(log)}`);
    for (const call of log) {
      assert.deepEqual(
        call,
        { method: "POST", path: `/api/v1/jobs/${jobId}/metrics`, keepalive: true, during: "pagehide" },
        `lifecycle events of logger.html: ${JSON.stringify(events)}`,
      );
    }
    assert.deepEqual(problems, [], "no page error, console error or failed request, on either page");
  });

  it("the tab being hidden (visibilitychange) sends every waiting point with keepalive, the page still open", async (t) => {
    const name = "loss";
    const { page, jobId, from, expected, problems } = await logWithoutSending(t, name);

    // A visibilitychange while the page is visible sends nothing: the hook looks at the state.
    await page.evaluate(() => document.dispatchEvent(new Event("visibilitychange")));
    // fetch is called from microtasks: after a macrotask every call has been made.
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
    assert.equal(await page.evaluate(() => document.visibilityState), "visible");
    assert.deepEqual(await page.evaluate(() => window.fetchLog), [], "no fetch on a visibilitychange to visible");
    assert.equal((await page.evaluate(() => window.loggerPage.stats())).queued, POINTS);

    // The tab is hidden: what the browser reports and the event it fires, as when the user
    // switches tabs (headless Chromium never hides a page by itself).
    await page.evaluate(() => {
      Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
      Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
      document.dispatchEvent(new Event("visibilitychange"));
    });

    // The page stays open: the logger itself sees its requests through.
    const hiddenAt = Date.now();
    await page
      .waitForFunction(
        (n) => {
          const s = window.loggerPage.stats();
          return s.sent + s.failed === n && s.inFlight === 0;
        },
        POINTS,
        { timeout: ARRIVAL_TIMEOUT_MS, polling: POLL_INTERVAL_MS },
      )
      .catch(async (e) => {
        const stats = await page.evaluate(() => window.loggerPage.stats()).catch(() => null);
        const fetches = await page.evaluate(() => window.fetchLog.length).catch(() => null);
        const posts = metricPostsSince(from, jobId).length;
        assert.fail(
          `the logger did not settle: ${e.message}\nstats ${JSON.stringify(stats)}; the page called fetch ${fetches} times, ` +
            `${posts} POSTs reached the server\n${problems.join("\n")}`,
        );
      });
    t.diagnostic(`all ${POINTS} points settled ${Date.now() - hiddenAt} ms after the tab was hidden`);
    const stats = await page.evaluate(() => window.loggerPage.stats());
    assert.deepEqual(
      { queued: stats.queued, inFlight: stats.inFlight, sent: stats.sent, failed: stats.failed, retried: stats.retried },
      { queued: 0, inFlight: 0, sent: POINTS, failed: 0, retried: 0 },
    );
    assert.equal(page.url(), `${server.origin}/pages/logger.html`, "the page is still the logger page");

    const stored = await waitForHistory(jobId, name, POINTS, `after the tab was hidden\n${problems.join("\n")}`);
    assert.deepEqual(
      stored.map((p) => ({ name: p.name, step: p.step, value: p.value })),
      expected,
    );
    assert.equal(metricPostsSince(from, jobId).length, POINTS, `proxied: ${server.apiRequestsSince(from).join(", ")}`);

    // Every metric POST was asked for with keepalive, from the visibilitychange to hidden.
    const [log, events] = await page.evaluate(() => [window.fetchLog, window.lifecycleEvents]);
    assert.deepEqual(events, ["visibilitychange:visible", "visibilitychange:hidden"]);
    assert.equal(log.length, POINTS, `fetch calls: ${JSON.stringify(log)}`);
    for (const call of log) {
      assert.deepEqual(call, {
        method: "POST",
        path: `/api/v1/jobs/${jobId}/metrics`,
        keepalive: true,
        during: "visibilitychange:hidden",
      });
    }
    assert.deepEqual(problems, [], "no page error, console error or failed request");
  });
});
