#!/usr/bin/env node
// The `dioptra-metrics` command (package.json "bin"): see dist/cli/main.js, or run it with --help.
import { main } from "../dist/cli/main.js";

const code = await main(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
// End now (an idle keep-alive socket or a paused stdin would hold the process), once what was
// written to stdout has been handed to the OS.
process.stdout.write("", () => process.exit(code));
