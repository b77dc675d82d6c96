// The system Chromium, driven by playwright-core (which never downloads a browser by itself).
//
//   const browser = await launchChromium();
//   const context = await browser.newContext();   // a fresh cookie jar
//   ...
//   await browser.close();

import fs from "node:fs";
import { after, before } from "node:test";
import { chromium } from "playwright-core";

import { startBrowserServer } from "./browser-server.mjs";

export const CHROMIUM_PATH = "/usr/bin/chromium";

// We run as root in a container with no network: no sandbox (it needs user namespaces that a
// root container lacks), no GPU, and nothing that phones home (QUIC, background networking,
// component updates, sync).
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Launches headless Chromium from CHROMIUM_PATH.
 * @returns {Promise<import("playwright-core").Browser>}
 */
export async function launchChromium() {
  try {
    fs.accessSync(CHROMIUM_PATH, fs.constants.X_OK);
  } catch {
    throw new Error(
      `launchChromium: no executable Chromium at ${CHROMIUM_PATH}; install the distribution's ` +
        "chromium package (these tests never download a browser)",
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  });
}

/**
 * For a test file of pages: before its tests, starts the browser test server (proxying `/api`
 * to `apiAddress`) and Chromium, and hands both to `use(server, browser)`; after them, closes
 * both.
 */
export function useServerAndChromium(apiAddress, use) {
  let server;
  let browser;
  before(async () => {
    server = await startBrowserServer({ apiAddress });
    browser = await launchChromium();
    use(server, browser);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
}
