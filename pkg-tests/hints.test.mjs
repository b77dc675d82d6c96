// Errors that tell a user what to do (issue 11, src/core/hints.rs), against the real Dioptra:
// a 401 before any login, a 404 on auth/login where no API answers, a network error naming the
// origin it tried, and, in Chromium, a page whose client talks to another origin.
//
//   node scripts/with-dioptra.mjs -- node --test --test-reporter=spec pkg-tests/hints.test.mjs

import assert from "node:assert/strict";
import net from "node:net";
import { test } from "node:test";

import { DioptraApiError, DioptraClient, DioptraNetworkError } from "dioptra-metrics";
import { useServerAndChromium } from "./support/chromium.mjs";
import { address, password, takeJob, username } from "./support/env.mjs";

const job = takeJob();
let server;
let browser;
useServerAndChromium(address, (s, b) => {
  server = s;
  browser = b;
});

test("a 401 before any login, or after a logout, says to log in first; a wrong password keeps the server's words", async () => {
  const client = new DioptraClient(address);
  const before = await client.jobs.getMetricsById(job).catch((e) => e);
  assert.ok(before instanceof DioptraApiError, String(before));
  assert.equal(before.status, 401);
  assert.match(before.message, /^not logged in: call client\.auth\.login\(username, password\) first \(the server said: .+\)$/);
  await client.auth.login(username, password);
  await client.jobs.getMetricsById(job);
  await client.auth.logout();
  const afterLogout = await client.jobs.getMetricsById(job).catch((e) => e);
  assert.equal(afterLogout.status, 401);
  assert.match(afterLogout.message, /^not logged in: call client\.auth\.login/);
  // A wrong password keeps the server's own words.
  const wrong = await new DioptraClient(address).auth.login(username, `${password}x`).catch((e) => e);
  assert.equal(wrong.status, 401);
  assert.doesNotMatch(wrong.message, /not logged in/);
});

test("a 404 on auth/login says no Dioptra API answered at that address", async () => {
  const client = new DioptraClient(`${address}/not-dioptra`);
  const err = await client.auth.login(username, password).catch((e) => e);
  assert.ok(err instanceof DioptraApiError, String(err));
  assert.equal(err.status, 404);
  assert.equal(err.path, "/not-dioptra/api/v1/auth/login");
  assert.match(err.message, new RegExp(`^no Dioptra API answered at ${address}/not-dioptra/api/v1/auth/login: check the address`));
});

test("a network error names the origin it could not reach", async () => {
  // A port that was free a moment ago: nothing listens there.
  const port = await new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port: p } = s.address();
      s.close(() => resolve(p));
    });
  });
  const err = await new DioptraClient(`http://127.0.0.1:${port}`).auth.login(username, password).catch((e) => e);
  assert.ok(err instanceof DioptraNetworkError, String(err));
  assert.match(err.message, new RegExp(`could not reach http://127\\.0\\.0\\.1:${port}: `));
  assert.doesNotMatch(err.message, /cookie/, "outside a browser there is no cross-origin hint");
});

test("in a browser, a client on another origin than the page is told about cookies and proxying /api", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(`${server.origin}/pages/app.html`);
    const said = await page.evaluate(
      async ({ other, username, password }) => {
        const { DioptraClient } = await import("/dist/index.js");
        const client = new DioptraClient(other);
        return client.auth.login(username, password).then(
          () => null,
          (e) => ({ name: e.name, message: e.message }),
        );
      },
      { other: address, username, password },
    );
    assert.equal(said?.name, "DioptraNetworkError", JSON.stringify(said));
    assert.match(said.message, new RegExp(`could not reach ${address}: `));
    assert.match(said.message, new RegExp(`this page is on ${server.origin} and the client on ${address}`));
    assert.match(said.message, /forward \/api to Dioptra/);
  } finally {
    await context.close();
  }
});

test("a read of a job or experiment that does not exist rejects with 404, like a write; an empty read of one that does resolves", async () => {
  const client = new DioptraClient(address);
  await client.auth.login(username, password);
  const missing = 987654321;
  const reads = [
    ["jobs.getMetricsById", () => client.jobs.getMetricsById(missing), `/api/v1/jobs/${missing}`],
    ["jobs.getMetricsSnapshotsById", () => client.jobs.getMetricsSnapshotsById(missing, "loss"), `/api/v1/jobs/${missing}`],
    ["experiments.getMetricsById", () => client.experiments.getMetricsById(missing), `/api/v1/experiments/${missing}`],
  ];
  for (const [what, read, path] of reads) {
    const err = await read().catch((e) => e);
    assert.ok(err instanceof DioptraApiError, `${what}: ${err}`);
    assert.equal(err.status, 404, what);
    assert.equal(err.path, path, what);
  }
  const write = await client.jobs.appendMetricById(missing, "loss", 1).catch((e) => e);
  assert.equal(write.status, 404, "a write to a missing job is a 404 too");
  // A job with no metrics of that name, and a fresh job with none at all: empty, not an error.
  assert.deepEqual((await client.jobs.getMetricsSnapshotsById(job, "never_logged")).data, []);
  const fresh = takeJob();
  assert.deepEqual(await client.jobs.getMetricsById(fresh), []);
});
