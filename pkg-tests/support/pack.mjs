// The package as a user gets it: `npm pack` of the repository, installed from the tarball into
// a fresh consumer project in a temporary directory.
//
//   import { packAndInstall, repoRoot } from "./support/pack.mjs";
//   const { dir, tarball } = await packAndInstall();
//
// dir      the consumer project: package.json { "name": "consumer", "private": true } and
//          node_modules/dioptra-metrics (the installed tarball); write scripts here
// tarball  the absolute path of the .tgz that `npm pack` wrote
//
// Packs and installs once per process (later calls get the same promise); needs a built dist/
// (`node scripts/build.mjs`), not a Dioptra server. The temporary directory is removed when the
// process exits, unless DIOPTRA_KEEP_PACK=1 (then its path is printed to stderr).

import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (the directory with the package's package.json). */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Runs a command, resolving to its stdout; rejects with its output on failure.
 * @param {string} cmd
 * @param {string[]} args
 * @param {import("node:child_process").ExecFileOptions} [options]
 * @returns {Promise<string>}
 */
export function run(cmd, args, options = {}) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024, ...options }, (err, stdout, stderr) => {
      if (err) {
        const why = typeof err.code === "number" ? `exit ${err.code}` : err.message;
        const where = options.cwd ? ` (in ${options.cwd})` : "";
        reject(new Error(`${cmd} ${args.join(" ")}${where} failed (${why}):\n${stdout}\n${stderr}`));
        return;
      }
      resolve(String(stdout));
    });
  });
}

let cached;

/**
 * Packs the repository and installs the tarball into a fresh consumer project, once per process.
 * @returns {Promise<{ dir: string, tarball: string }>}
 */
export function packAndInstall() {
  cached ??= packAndInstallOnce();
  return cached;
}

async function packAndInstallOnce() {
  for (const file of ["dist/index.cjs", "dist/index.js", "dist/wasm/dioptra_metrics_bg.wasm"]) {
    if (!fs.existsSync(path.join(repoRoot, file))) {
      throw new Error(`${file} is missing: build the package first (node scripts/build.mjs)`);
    }
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dioptra-metrics-pack-"));
  if (process.env.DIOPTRA_KEEP_PACK === "1") {
    process.stderr.write(`pack.mjs: keeping ${tmp}\n`);
  } else {
    process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));
  }
  // Keep npm from touching the user's cache and logs more than it must, and quiet.
  const env = { ...process.env, npm_config_update_notifier: "false", npm_config_loglevel: "warn" };

  const packDir = path.join(tmp, "pack");
  fs.mkdirSync(packDir);
  const packed = JSON.parse(
    await run("npm", ["pack", "--json", "--pack-destination", packDir], { cwd: repoRoot, env }),
  );
  if (!Array.isArray(packed) || packed.length !== 1 || typeof packed[0].filename !== "string") {
    throw new Error(`npm pack --json printed something unexpected: ${JSON.stringify(packed)}`);
  }
  const tarball = path.join(packDir, path.basename(packed[0].filename));
  if (!fs.existsSync(tarball)) throw new Error(`npm pack reported ${tarball}, which does not exist`);

  const dir = path.join(tmp, "consumer");
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true }, null, 2) + "\n");
  await run("npm", ["install", "--no-audit", "--no-fund", "--offline", tarball], { cwd: dir, env });
  if (!fs.existsSync(path.join(dir, "node_modules/dioptra-metrics/package.json"))) {
    throw new Error(`npm install of ${tarball} left no node_modules/dioptra-metrics in ${dir}`);
  }
  return { dir, tarball };
}
