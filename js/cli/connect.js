// A logged-in client for a command, from its connection settings (see args.js).
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
/** The package's own Node entry: the CLI is the library, not a second client. */
const library = require("../index.cjs");

/** The first line of `stream` (the password piped with --password-stdin), without its line end. */
async function firstLine(stream) {
  let text = "";
  for await (const chunk of stream) {
    text += chunk.toString("utf8");
    const nl = text.indexOf("\n");
    if (nl >= 0) {
      text = text.slice(0, nl);
      break;
    }
  }
  return text.replace(/\r$/, "");
}

/**
 * Logs in with `conn` (`{ address, username, passwordStdin, timeoutMs }`) and resolves to
 * `{ client, relogin }`: `relogin()` logs in again (for a logger's `onUnauthorized`). The
 * password is kept in this closure only, and never put in a message.
 */
async function connect(conn, { env, stdin }) {
  const password = conn.passwordStdin ? await firstLine(stdin) : env.DIOPTRA_PASSWORD;
  const client = new library.DioptraClient(conn.address, conn.timeoutMs ? { timeoutMs: conn.timeoutMs } : undefined);
  const relogin = () => client.auth.login(conn.username, password);
  try {
    await relogin();
  } catch (err) {
    if (err instanceof library.DioptraApiError && (err.status === 401 || err.status === 400)) {
      throw new LoginError(`login refused for user ${JSON.stringify(conn.username)} at ${client.baseUrl} (HTTP ${err.status})`);
    }
    throw err;
  }
  return { client, relogin };
}

/** The server refused the login (exit 1). */
class LoginError extends Error {
  constructor(message) {
    super(message);
    this.name = "LoginError";
  }
}

export { connect, library, LoginError };
