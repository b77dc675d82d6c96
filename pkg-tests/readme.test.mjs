// Every code snippet of README.md, run against the real Dioptra twice in a row (so none fails
// the second time), from the installed package tarball. A `js` snippet runs as an ES module in
// a fresh Node process, as a reader would paste it, with these stand-ins for what the README
// leaves to the reader (and nothing else changed):
//   "http://localhost:5000" → the test server; "me" and DIOPTRA_PASSWORD → its account;
//   job 17 and experiment 5 → a job and an experiment of the seeded server;
//   `new DioptraClient()` (a page's origin) → the test server's address, and, where the README
//   says the page is already logged in (no auth.login in the snippet), a login right after it;
//   the console's `import("https://<where the package is served>/dist/index.js")` → the package;
//   `form` (a login form) and `location` (the page's) → plain objects;
//   a snippet that uses `client` without making one → a logged-in client made before it;
//   a snippet that mixes `import` and `require` lines → each half run alone (.mjs / .cjs);
//   a worker (`export default { fetch }`) → its fetch() called with the account in `env`.
// Other snippets (`sh`, program output, the layout) are listed in NOT_RUN with the reason; the
// test fails on any snippet neither run nor listed.
//
//   node scripts/with-dioptra.mjs -- node --test --test-reporter=spec pkg-tests/readme.test.mjs

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";

import { address, password, seed, takeJob, username } from "./support/env.mjs";
import { startFrontServer } from "./support/front-server.mjs";
import { packAndInstall, repoRoot, run } from "./support/pack.mjs";

/** Snippets not run, by their first line, and why. */
const NOT_RUN = new Map([
  ["npm install dioptra-metrics", "the test installs the packed tarball the same way (support/pack.mjs)"],
  ["npm run demo", "repository commands (Developing): they are what runs this test"],
  ["DioptraApiError 401 (errorType null): not logged in: call client.auth.login(username, password) first (the server said: The server could not verify that you are authorized to access the URL requested. ...)", "error messages (pkg-tests/errors.test.mjs and loading.test.mjs check them)"],
  ["Login successful as tester at http://127.0.0.1:41115/api/v1, job 12", "program output (npm run demo)"],
  ["src/core/         pure Rust, no JavaScript types, tested natively with `cargo test`:", "the repository layout"],
  ["npm run dashboard                                       # a local Dioptra with live demo curves", "a repository command (Developing): pkg-tests/dashboard.test.mjs runs the dashboard in Chromium"],
  ["export DIOPTRA_ADDRESS=http://localhost:5000 DIOPTRA_USERNAME=me DIOPTRA_PASSWORD=...", "the command line, one example per command: pkg-tests/cli-log.test.mjs and cli-read.test.mjs run each command against the real server"],
  ["loss, job 12: 1,000 point(s), 40 NaN/inf (gaps)", "program output (plot; cli-read.test.mjs checks it against a snapshot)"],
  ["[##########--------------] 21,000 / 50,000 points  8,077/s  ETA 4s", "program output (the progress bar; cli-read.test.mjs checks it on a pseudo-terminal)"],
  ['import { DioptraClient, downsample, toCSV } from "dioptra-metrics";', "a page snippet (uPlot draws into document.body; the watch loop runs until the page closes): pkg-tests/dashboard.test.mjs makes the same calls in Chromium against the real server"],
]);

/** The fenced code blocks of the README: `{ lang, body, line }`. */
function snippets() {
  const text = fs.readFileSync(path.join(repoRoot, "README.md"), "utf8");
  const found = [];
  const fence = /^( *)```(\w*)\n([\s\S]*?)^\1```/gm;
  for (const m of text.matchAll(fence)) {
    const body = m[3].replace(new RegExp(`^${m[1]}`, "gm"), "");
    found.push({ lang: m[2], body, line: text.slice(0, m.index).split("\n").length });
  }
  return found;
}

let dir;
let job;
let staticFront;
const experiment = seed.experiments.main.id;

before(async () => {
  ({ dir } = await packAndInstall());
  job = takeJob();
  // The slim example's "/static/dioptra_metrics_bg.wasm", served over http.
  const root = path.join(dir, "readme-static");
  fs.mkdirSync(path.join(root, "static"), { recursive: true });
  fs.copyFileSync(
    path.join(dir, "node_modules/dioptra-metrics/dist/wasm/dioptra_metrics_bg.wasm"),
    path.join(root, "static/dioptra_metrics_bg.wasm"),
  );
  staticFront = await startFrontServer({ apiAddress: address, root });
});

after(() => staticFront?.close());

/** The snippet with the stand-ins of the header applied. */
function standIns(body) {
  let code = body
    .replaceAll('"http://localhost:5000"', JSON.stringify(address))
    .replaceAll('"me"', JSON.stringify(username))
    .replace(/\b17\b/g, String(job))
    .replace(/iterMetrics\(5\b/g, `iterMetrics(${experiment}`)
    .replace(/await import\("https:\/\/<where the package is served>\/dist\/index\.js"\)/g, 'await import("dioptra-metrics")');
  if (code.includes("new DioptraClient()")) {
    const login = code.includes("auth.login") ? "" : `; await client.auth.login(${JSON.stringify(username)}, ${JSON.stringify(password)})`;
    code = code.replace(/const client = new DioptraClient\(\);/, `const client = new DioptraClient(${JSON.stringify(address)})${login};`);
  }
  const prelude = [];
  if (/\bform\./.test(code)) {
    prelude.push(`const form = { username: { value: ${JSON.stringify(username)} }, password: { value: ${JSON.stringify(password)} } };`);
  }
  if (/\blocation\./.test(code)) prelude.push(`globalThis.location = { href: ${JSON.stringify(`${staticFront.origin}/`)} };`);
  if (/\bclient\./.test(code) && !/const client = /.test(code)) {
    prelude.push(
      'import { DioptraClient as ReadmeClient } from "dioptra-metrics";',
      `const user = ${JSON.stringify(username)}, password = ${JSON.stringify(password)};`,
      `const client = new ReadmeClient(${JSON.stringify(address)});`,
      "await client.auth.login(user, password);",
    );
  }
  return `${prelude.join("\n")}\n${code}`;
}

/** Runs one snippet (already with its stand-ins) in a fresh process; throws with its output on failure. */
async function runSnippet(name, code, lang) {
  const work = path.join(dir, "readme-run");
  fs.mkdirSync(path.join(work, "runs"), { recursive: true });
  const env = { ...process.env, DIOPTRA_PASSWORD: password };
  const exec = (file, source) => {
    fs.writeFileSync(path.join(dir, file), source);
    return run(process.execPath, [path.join(dir, file)], { cwd: work, env, timeout: 60_000 });
  };
  if (/^export default \{/m.test(code)) {
    fs.writeFileSync(path.join(dir, `${name}.worker.mjs`), code);
    const driver = `const worker = (await import("./${name}.worker.mjs")).default;
const env = { DIOPTRA_ADDRESS: ${JSON.stringify(address)}, DIOPTRA_USERNAME: ${JSON.stringify(username)}, DIOPTRA_PASSWORD: ${JSON.stringify(password)} };
const response = await worker.fetch(new Request("http://worker.test/"), env);
if (!response.ok) throw new Error("worker answered " + response.status);
console.log(JSON.stringify(await response.json()));`;
    return exec(`${name}.mjs`, driver);
  }
  const lines = code.split("\n");
  const cjs = lines.filter((l) => /\brequire\(/.test(l));
  if (cjs.length > 0) {
    await exec(`${name}.cjs`, cjs.join("\n"));
    return exec(`${name}.mjs`, lines.filter((l) => !/\brequire\(/.test(l)).join("\n"));
  }
  assert.equal(lang, "js");
  return exec(`${name}.mjs`, code);
}

test("every README snippet is run (or listed as not runnable, with why)", () => {
  const all = snippets();
  assert.ok(all.length > 5, "the README's code blocks were not found");
  for (const { lang, body, line } of all) {
    const first = body.split("\n")[0];
    if (lang === "js" && !NOT_RUN.has(first)) continue;
    assert.ok(NOT_RUN.has(first), `README.md:${line}: a \`${lang || "plain"}\` snippet that is neither run nor listed: ${first}`);
  }
});

for (const round of [1, 2]) {
  test(`every js snippet of the README runs against the real server (round ${round})`, async () => {
    const failures = [];
    for (const { lang, body, line } of snippets().filter((s) => s.lang === "js" && !NOT_RUN.has(s.body.split("\n")[0]))) {
      try {
        await runSnippet(`readme-${line}`, standIns(body), lang);
      } catch (err) {
        failures.push(`README.md:${line}: ${err.message}`);
      }
    }
    assert.deepEqual(failures, []);
  });
}
