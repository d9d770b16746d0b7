// What the federation end-to-end files share: D1 reads of the edge's local state, the
// demo page with the widget's sign-in events recorded, and the person the widget signed in.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";

import { toolEnv } from "./harness.mjs";

/** Runs `sql` on the edge's local D1; a read that meets the running edge's write lock
 * (`SQLITE_BUSY`) is tried again, at most five times. */
export function d1(stateDir, sql) {
  const wrangler = join(process.cwd(), "node_modules/.bin/wrangler");
  let result;
  for (let attempt = 0; attempt < 5; attempt += 1) {
    result = spawnSync(wrangler, ["d1", "execute", "DB", "--local", "--persist-to", stateDir, "--json", "--command", sql], {
      env: toolEnv(),
      encoding: "utf8",
    });
    if (result.status === 0 || !`${result.stdout}${result.stderr}`.includes("SQLITE_BUSY")) break;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
  }
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout)[0].results;
}

/** The demo page in a new tab, its widget's sign-ins recorded on every document (the
 * widget signs in after the page came back); `initScripts` run first. */
export async function openDemo(browser, origin, ...initScripts) {
  const page = await browser.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  for (const script of initScripts) await page.addInitScript(script);
  await page.addInitScript(() => {
    window.__signedIn = [];
    document.addEventListener("portcullis:signed-in", (e) => window.__signedIn.push(e.detail), true);
  });
  await page.goto(`${origin}/`);
  await page.getByRole("heading", { name: "Sign in to Portcullis Demo" }).waitFor();
  return { page, problems };
}

/** The `sub` of the ID token the widget handed the page, once signed in. */
export async function signedInSub(page) {
  await page.waitForFunction(() => window.__signedIn?.length > 0, undefined, { timeout: 20_000 });
  const [detail] = await page.evaluate(() => window.__signedIn);
  return JSON.parse(Buffer.from(detail.id_token.split(".")[1], "base64url").toString()).sub;
}

/** The registration at an upstream `oidc-provider` of the edge at `edgeOrigin` as the
 * relying party of connection `id`: its callback, a fresh secret, client_secret_basic. */
export function upstreamClient(edgeOrigin, id) {
  return {
    client_id: `portcullis-${id}`,
    client_secret: `secret-${id}-${randomBytes(8).toString("hex")}`,
    redirect_uris: [`${edgeOrigin}/callback/${id}`],
    grant_types: ["authorization_code"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_basic",
  };
}
