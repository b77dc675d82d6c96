// A server in its own process that answers every request with the same small JSON, for long
// runs: the client under test gets the test process's event loop to itself.
//
//   const server = await startFixedAnswerServer(); ... server.address ... await server.close();
import { spawn } from "node:child_process";
import http from "node:http";
import { fileURLToPath } from "node:url";

const ANSWER = JSON.stringify([{ name: "acc", value: 0.5 }]);

if (process.argv[2] === "--serve") {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(ANSWER) });
      res.end(ANSWER);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1", () => process.stdout.write(`${server.address().port}\n`));
  process.stdin.on("end", () => process.exit(0)); // the parent went away
  process.stdin.resume();
}

/** Starts the server in a child process. */
export function startFixedAnswerServer() {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), "--serve"], { stdio: ["pipe", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.stdout.once("data", (chunk) => {
      resolve({
        address: `http://127.0.0.1:${String(chunk).trim()}`,
        close: () =>
          new Promise((done) => {
            child.once("exit", () => done());
            child.kill();
          }),
      });
    });
  });
}
