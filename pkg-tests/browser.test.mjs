// dioptra-metrics in a real browser (the system Chromium, headless, via playwright-core).
//
// The pages and dist/ are served by pkg-tests/support/browser-server.mjs, which also proxies
// /api/... to the live Dioptra: the page and the API share one origin, so the client's default
// address (the page's origin) and the browser's own cookie jar are what is tested.
// Each test uses its own browser context: a fresh cookie jar.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { useServerAndChromium } from "./support/chromium.mjs";
import { address, password, pyclient, seed, takeJob, username } from "./support/env.mjs";

/** @type {Awaited<ReturnType<typeof import("./support/browser-server.mjs").startBrowserServer>>} */
let server;
/** @type {import("playwright-core").Browser} */
let browser;

useServerAndChromium(address, (started, launched) => {
  server = started;
  browser = launched;
});

/**
 * A page at `path` in a fresh context. Page errors, console errors and failed loads are
 * collected in `problems` (shown when something fails to come up).
 */
async function openPage(t, path) {
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  const problems = [];
  // Registered before the page loads, so that an error thrown while it loads is not missed.
  const firstPageError = new Promise((resolve) => page.once("pageerror", (e) => resolve(e.message)));
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console.error: ${m.text()}`);
  });
  page.on("response", (r) => {
    if (!r.url().startsWith(`${server.origin}/api/`) && r.status() >= 400) {
      problems.push(`HTTP ${r.status()} for ${r.url()}`);
    }
  });
  const res = await page.goto(`${server.origin}${path}`);
  assert.equal(res?.status(), 200, `GET ${path}`);
  return { context, page, problems, firstPageError };
}

/** The app page (pkg-tests/browser/app.html), once its module (and the wasm) has loaded. */
async function openApp(t) {
  const opened = await openPage(t, "/pages/app.html");
  const { page, problems, firstPageError } = opened;
  // Either the module finishes (window.appReady), or its import graph fails to load
  // (window.appError, set by the script element's onerror), or it throws (pageerror, e.g. the
  // wasm init rejecting): no fixed wait.
  const loaded = page
    .waitForFunction(() => window.appReady === true || window.appError, null, { timeout: 20_000 })
    .then(() => page.evaluate(() => (window.appReady === true ? null : String(window.appError))));
  loaded.catch(() => {}); // when the page error wins the race, this one ends with the context
  const failure = await Promise.race([loaded, firstPageError]);
  if (failure !== null) {
    assert.fail(`app.html did not come up: ${failure}\n${problems.join("\n")}`);
  }
  return opened;
}

/** pyclient's value ("nan", "inf", "-inf" or a number) as a JS number. */
function pyNumber(v) {
  return { nan: NaN, inf: Infinity, "-inf": -Infinity }[v] ?? v;
}

/** A server timestamp as ms since the epoch (one without an offset is UTC, as Dioptra means it). */
function serverMillis(text) {
  return Date.parse(/(Z|[+-]\d\d:?\d\d)$/.test(text) ? text : `${text}Z`);
}

describe("dioptra-metrics in Chromium", () => {
  it("a <script type=module> page logs in, appends and reads back, at its own origin", async (t) => {
    const { page } = await openApp(t);
    const jobId = takeJob();
    const name = "browser_loss";
    const lastValue = 0.125;
    const timestampIso = "2024-05-06T07:08:09.123Z";
    const experimentId = seed.experiments.main.id;
    const before = server.apiRequests.length;

    const out = await page.evaluate((cfg) => window.app.roundTrip(cfg), {
      username, password, jobId, name, lastValue, timestampIso, experimentId,
    });

    // No address given: the client talks to the page's origin, i.e. through our proxy.
    assert.equal(out.origin, server.origin);
    assert.equal(out.baseUrl, `${server.origin}/api/v1`);
    const sent = server.apiRequestsSince(before);
    assert.ok(sent.includes("POST /api/v1/auth/login"), `proxied: ${sent.join(", ")}`);
    assert.equal(sent.filter((r) => r === `POST /api/v1/jobs/${jobId}/metrics`).length, 4, `proxied: ${sent.join(", ")}`);

    assert.equal(out.login.username, username);
    assert.deepEqual(out.appended, [
      { name, value: 0.5 },
      { name, value: "NaN" },
      { name, value: "Infinity" },
      { name, value: lastValue },
    ]);
    // Latest = the highest step; the job is fresh, so that is its only metric.
    assert.deepEqual(out.latest, [{ name, value: lastValue }]);

    assert.equal(out.history.totalNumResults, 4);
    assert.equal(out.history.isComplete, true);
    assert.deepEqual(
      out.history.data.map(({ name, value, step }) => ({ name, value, step })),
      [
        { name, value: 0.5, step: 0 },
        { name, value: "NaN", step: 1 },
        { name, value: "Infinity", step: 2 },
        { name, value: lastValue, step: 3 },
      ],
    );
    for (const p of out.history.data) assert.equal(p.timestampIsDate, true, `step ${p.step}: timestamp is a Date`);
    assert.equal(out.history.data[3].timestampMs, Date.parse(timestampIso));
    assert.deepEqual(out.inPage, {
      valuesAreNumbers: true,
      step1IsNaN: true,
      step2IsInfinity: true,
      step3TimestampEqualsSent: true,
    });
    // page.evaluate itself carries NaN, Infinity and Dates (Playwright serializes them).
    assert.deepEqual(out.raw.values, [0.5, NaN, Infinity, lastValue]);
    assert.ok(out.raw.timestamps.every((d) => d instanceof Date));
    assert.equal(out.raw.timestamps[3].getTime(), Date.parse(timestampIso));

    assert.equal(out.experiment.totalNumResults, 3);
    assert.deepEqual(
      out.experiment.jobs.map((j) => j.id).sort((a, b) => a - b),
      [...seed.experiments.main.jobIds].sort((a, b) => a - b),
    );
    assert.ok(out.experiment.jobs.every((j) => j.metricsIsArray));

    // What the server stored, read with Dioptra's own Python client.
    const stored = await pyclient(["history", jobId, name]);
    assert.deepEqual(
      stored.map((p) => ({ name: p.name, value: pyNumber(p.value), step: p.step })),
      [
        { name, value: 0.5, step: 0 },
        { name, value: NaN, step: 1 },
        { name, value: Infinity, step: 2 },
        { name, value: lastValue, step: 3 },
      ],
    );
    assert.equal(serverMillis(stored[3].timestamp), Date.parse(timestampIso), `stored timestamp ${stored[3].timestamp}`);
  });

  it("rejects with DioptraApiError 401 before login, and DioptraValidationError without a request", async (t) => {
    const { page } = await openApp(t);
    const jobId = takeJob();

    let from = server.apiRequests.length;
    const anonymous = await page.evaluate((cfg) => window.app.latest(cfg), { jobId });
    assert.equal(anonymous.ok, false, "a read before login must fail");
    assert.equal(anonymous.error.isApiError, true, `instanceof DioptraApiError: ${JSON.stringify(anonymous.error)}`);
    assert.equal(anonymous.error.isDioptraError, true);
    assert.equal(anonymous.error.isError, true);
    assert.equal(anonymous.error.name, "DioptraApiError");
    assert.equal(anonymous.error.status, 401);
    assert.equal(anonymous.error.method, "GET");
    assert.deepEqual(server.apiRequestsSince(from), [`GET /api/v1/jobs/${jobId}/metrics`]);

    const login = await page.evaluate((cfg) => window.app.login(cfg), { username, password });
    assert.equal(login.ok, true, JSON.stringify(login.error));

    from = server.apiRequests.length;
    const bad = await page.evaluate((cfg) => window.app.append(cfg), { jobId, name: "not a metric!", value: 1, step: 0 });
    assert.equal(bad.ok, false, "a bad metric name must be refused");
    assert.equal(bad.error.isValidationError, true, `instanceof DioptraValidationError: ${JSON.stringify(bad.error)}`);
    assert.equal(bad.error.isDioptraError, true);
    assert.equal(bad.error.isApiError, false);
    assert.equal(bad.error.name, "DioptraValidationError");
    assert.equal(bad.error.field, "metricName");
    assert.deepEqual(server.apiRequestsSince(from), [], "no request may reach the server for a bad metric name");

    // The control: the same call with a good name is one request, so the counter does count.
    const good = await page.evaluate((cfg) => window.app.append(cfg), { jobId, name: "good_name", value: 1, step: 0 });
    assert.equal(good.ok, true, JSON.stringify(good.error));
    assert.deepEqual(good.value, { name: "good_name", value: 1 });
    assert.deepEqual(server.apiRequestsSince(from), [`POST /api/v1/jobs/${jobId}/metrics`]);
  });

  it("works from a devtools-style console on a page without scripts (await import)", async (t) => {
    const { page } = await openPage(t, "/pages/blank.html");
    assert.equal(await page.evaluate(() => document.scripts.length), 0);
    const jobId = takeJob();
    const name = "console_metric";

    // What one would type into the devtools console of that page.
    const typed = `(async () => {
      const m = await import("/dist/index.js");
      const c = new m.DioptraClient();
      await c.auth.login(${JSON.stringify(username)}, ${JSON.stringify(password)});
      await c.jobs.appendMetricById(${jobId}, ${JSON.stringify(name)}, "-inf", { step: 0 });
      await c.jobs.appendMetricById(${jobId}, ${JSON.stringify(name)}, 42.25, { step: 1 });
      const latest = await c.jobs.getMetricsById(${jobId});
      const page = await c.jobs.getMetricsSnapshotsById(${jobId}, ${JSON.stringify(name)});
      return {
        baseUrl: c.baseUrl,
        latest: latest.map((x) => ({ name: x.name, value: x.value })),
        history: page.data.map((p) => ({
          value: String(p.value),
          step: p.step,
          isDate: p.timestamp instanceof Date,
        })),
      };
    })()`;
    const out = await page.evaluate(typed);

    assert.equal(out.baseUrl, `${server.origin}/api/v1`);
    assert.deepEqual(out.latest, [{ name, value: 42.25 }]);
    assert.deepEqual(out.history, [
      { value: "-Infinity", step: 0, isDate: true },
      { value: "42.25", step: 1, isDate: true },
    ]);
    const stored = await pyclient(["history", jobId, name]);
    assert.deepEqual(stored.map((p) => [pyNumber(p.value), p.step]), [[-Infinity, 0], [42.25, 1]]);
  });

  it("after logout the browser's session is gone: a read rejects with 401", async (t) => {
    const { page, context } = await openApp(t);
    const jobId = seed.experiments.main.jobIds[0];

    assert.deepEqual(await context.cookies(server.origin), [], "a fresh context has no cookies");
    const login = await page.evaluate((cfg) => window.app.login(cfg), { username, password });
    assert.equal(login.ok, true, JSON.stringify(login.error));
    // The Set-Cookie came through the proxy into the browser's own jar.
    const atLogin = (await context.cookies(server.origin)).map((c) => c.name);
    assert.ok(atLogin.length > 0, "login must leave a session cookie in the browser");

    const read = await page.evaluate((cfg) => window.app.latest(cfg), { jobId });
    assert.equal(read.ok, true, `a read after login: ${JSON.stringify(read.error)}`);

    const logout = await page.evaluate(() => window.app.logout());
    assert.equal(logout.ok, true, JSON.stringify(logout.error));

    // The server's Set-Cookie answers to the logout emptied the browser's own jar.
    const left = (await context.cookies(server.origin)).map((c) => c.name);
    assert.deepEqual(left.filter((n) => atLogin.includes(n)), [], `cookies left after logout: ${left.join(", ")}`);

    const after = await page.evaluate((cfg) => window.app.latest(cfg), { jobId });
    assert.equal(after.ok, false, "a read after logout must fail");
    assert.equal(after.error.isApiError, true, JSON.stringify(after.error));
    assert.equal(after.error.status, 401);
  });
});
