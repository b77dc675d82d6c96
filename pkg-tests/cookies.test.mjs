// Node's fetch has no cookie jar: the client keeps its own, sends it only to its own origin,
// honours expiry and deletion, and never shows a cookie value or the password.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import util from "node:util";

import { DioptraClient, DioptraApiError } from "dioptra-metrics";
import { startStub, json } from "./support/stub-server.mjs";

const SECRET_COOKIE = "s3cr3t-cookie-value";
const PASSWORD = "hunter2-Pa55word";

let server;
let other;
before(async () => {
  server = await startStub((req, res) => {
    if (req.url.startsWith("/api/v1/auth/login")) {
      return json(res, 200, { username: "alice", status: "Login successful" }, {
        "set-cookie": [`session=${SECRET_COOKIE}; HttpOnly; Path=/`, "short=lived; Max-Age=1; Path=/", "scoped=1; Path=/api/v1/auth"],
      });
    }
    if (req.url.startsWith("/api/v1/auth/logout")) {
      return json(res, 200, { status: "Logout successful" }, {
        "set-cookie": ["session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/"],
      });
    }
    if (req.url.startsWith("/api/v1/jobs/2/")) {
      return res.writeHead(307, { location: `${other.address}/api/v1/jobs/2/metrics` }).end();
    }
    json(res, 200, []);
  });
  other = await startStub((req, res) => json(res, 200, []));
});
after(async () => {
  await server.close();
  await other.close();
});

describe("the Node cookie jar", () => {
  it("sends the session cookie back to its own server only, and drops it at logout", async () => {
    const client = new DioptraClient(server.address);
    const elsewhere = new DioptraClient(other.address);
    await client.auth.login("alice", PASSWORD);
    await client.jobs.getMetricsById(1);
    assert.match(server.requests.at(-1).headers.cookie, new RegExp(`session=${SECRET_COOKIE}`));
    assert.match(server.requests.at(-1).headers.cookie, /short=lived/);
    assert.doesNotMatch(server.requests.at(-1).headers.cookie, /scoped/, "Path=/api/v1/auth limits that cookie");

    await elsewhere.jobs.getMetricsById(1);
    assert.equal(other.requests.at(-1).headers.cookie, undefined, "another client's server got a cookie");

    await client.auth.logout();
    await client.jobs.getMetricsById(1);
    assert.doesNotMatch(server.requests.at(-1).headers.cookie ?? "", /session=/);
  });

  it("lets cookies expire (Max-Age)", async () => {
    const client = new DioptraClient(server.address);
    await client.auth.login("alice", PASSWORD);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await client.jobs.getMetricsById(1);
    assert.doesNotMatch(server.requests.at(-1).headers.cookie, /short=/);
    assert.match(server.requests.at(-1).headers.cookie, /session=/);
  });

  it("never follows a redirect to another origin with the cookie", async () => {
    const client = new DioptraClient(server.address);
    await client.auth.login("alice", PASSWORD);
    const before = other.requests.length;
    await assert.rejects(client.jobs.getMetricsById(2), (err) => err instanceof DioptraApiError && err.status === 307);
    assert.equal(other.requests.length, before, "the redirect was followed");
  });

  it("shows no password or cookie value in inspect, JSON or errors", async () => {
    const client = new DioptraClient(server.address);
    await client.auth.login("alice", PASSWORD);
    const shown = [util.inspect(client, { showHidden: true, depth: 10 }), JSON.stringify(client), String(client)];
    for (const collection of [client.auth, client.jobs, client.experiments]) {
      shown.push(util.inspect(collection, { showHidden: true, depth: 10 }), JSON.stringify(collection));
    }
    const err = await client.jobs.getMetricsById(2).catch((e) => e);
    shown.push(util.inspect(err, { showHidden: true, depth: 10 }), JSON.stringify(err), String(err), err.stack);
    for (const text of shown) {
      assert.ok(!text.includes(PASSWORD), text);
      assert.ok(!text.includes(SECRET_COOKIE), text);
    }
  });
});
