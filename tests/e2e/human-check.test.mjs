// Cloudflare Turnstile in the widget, through the real widget in headless Chromium
// against the edge under wrangler dev. Turnstile itself cannot be reached here, so a
// local server stands in for it, speaking its formats: the script at the URL the edge
// names (`TURNSTILE_SCRIPT_URL`), implementing `turnstile.render(element, {sitekey,
// callback, …})` and `turnstile.reset(id)` (a checkbox that, once ticked, fetches a token
// the server issued and hands it to `callback`), and siteverify, which accepts each token
// it issued once. The shop's page, on an origin of its own, embeds the widget. The script
// loads only for a client with the human check, and only when the sign-up screen shows.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { after, before, test } from "node:test";

import { freePort, launchBrowser, passphrase, startEdge, turnstileStandIn } from "./harness.mjs";
import { callJson, clientsCli, newestMail, pkce } from "./oidc-support.mjs";
import { recordingTab, signedIn, unexpected } from "./widget-support.mjs";

const SITE_KEY = "0x4AAAAAAAlocal-stand-in";
const SECRET = "0x4AAAAAAAlocal-stand-in-secret";
const EVENTS = ["portcullis:ready", "portcullis:error", "portcullis:signed-in"];

// --- Turnstile, as the page and the edge see it, and the shop's own page -------------------

const turnstile = Object.assign(turnstileStandIn(SECRET), { scripts: 0 });

/** The stand-in for Cloudflare's api.js: explicit rendering into the given element. */
const SCRIPT = `(() => {
  const base = new URL(document.currentScript.src).origin;
  const boxes = new Map();
  window.turnstile = {
    render(element, options) {
      if (!(element instanceof Element) || typeof options.sitekey !== "string") throw new Error("turnstile.render: bad arguments");
      const id = "cf-chl-widget-" + (boxes.size + 1);
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      label.append(box, " Verify you are human");
      element.append(label);
      element.dataset.sitekey = options.sitekey;
      element.dataset.language = options.language;
      box.addEventListener("change", async () => {
        if (!box.checked) return;
        const answer = await fetch(base + "/turnstile/issue?sitekey=" + encodeURIComponent(options.sitekey));
        options.callback(await answer.text());
        element.dataset.solved = String(Number(element.dataset.solved || 0) + 1);
      });
      boxes.set(id, box);
      return id;
    },
    reset(id) {
      const box = boxes.get(id);
      if (box) box.checked = false;
    },
    remove(id) {
      boxes.get(id)?.closest("label")?.remove();
      boxes.delete(id);
    },
  };
})();`;

/** The shop's page on its own origin, embedding the widget of the edge at `edgeOrigin`. */
const shopPage = (edgeOrigin, clientId, lang) => `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>Shop</title>
<link rel="icon" href="data:,"><script type="module" src="${edgeOrigin}/widget.js"></script></head>
<body><h1>Shop</h1><portcullis-signin passkey-autofill="off" lang="${lang}" client-id="${clientId}"></portcullis-signin></body></html>`;

function standIn() {
  return createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const url = new URL(req.url, "http://stand-in");
      if (req.method === "GET" && url.pathname === "/shop") {
        const page = shopPage(edge.origin, url.searchParams.get("client-id"), url.searchParams.get("lang"));
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page);
      } else if (req.method === "GET" && url.pathname === "/turnstile/v0/api.js") {
        turnstile.scripts++;
        res.writeHead(200, { "content-type": "text/javascript" }).end(SCRIPT);
      } else if (req.method === "GET" && url.pathname === "/turnstile/issue" && url.searchParams.get("sitekey") === SITE_KEY) {
        res.writeHead(200, { "content-type": "text/plain" }).end(turnstile.issue());
      } else if (req.method === "POST" && url.pathname === "/turnstile/v0/siteverify") {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(turnstile.siteverify(new URLSearchParams(body))));
      } else {
        res.writeHead(404).end();
      }
    });
  });
}

// --- setup -------------------------------------------------------------------------------

let edge;
let services;
let shop; // the shop's origin, which also serves the Turnstile stand-in
let browser;
const guarded = {
  email: `guarded-${randomBytes(4).toString("hex")}@example.com`,
  password: passphrase((t) => `walnut ${t} harbour signal`),
};

before(async () => {
  const port = await freePort();
  services = standIn();
  await new Promise((r) => services.listen(port, "127.0.0.1", r));
  const base = `http://127.0.0.1:${port}`;
  shop = `http://localhost:${port}`;
  edge = await startEdge({
    vars: {
      TURNSTILE_SCRIPT_URL: `${shop}/turnstile/v0/api.js`,
      TURNSTILE_SITEVERIFY_URL: `${base}/turnstile/v0/siteverify`,
      TURNSTILE_SECRET_KEY: SECRET,
      TURNSTILE_SITE_KEY: SITE_KEY,
    },
    setup: ({ stateDir, origin }) => {
      const common = ["--redirect-uri", `${origin}/callback`, "--origin", shop];
      clientsCli(stateDir, ["add", "--id", "guarded", "--name", "Guarded Shop", "--human-check", ...common]);
      clientsCli(stateDir, ["add", "--id", "open", "--name", "Open Shop", ...common]);
    },
  });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await edge?.dispose();
  await new Promise((r) => services?.close(r) ?? r());
});

async function open(clientId, lang = "en") {
  const page = await recordingTab(browser, EVENTS);
  await page.goto(`${shop}/shop?client-id=${clientId}&lang=${lang}`);
  await page.waitForFunction(() => window.__events?.some((e) => e.name === "portcullis:ready"));
  return page;
}

const hasTurnstile = (page) => page.evaluate(() => "turnstile" in window);

async function fillSignUp(page, email, password) {
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Create account", exact: true }).click();
}

// --- the tests ---------------------------------------------------------------------------

test("a client without the human check never loads Turnstile, not even on the sign-up screen", async () => {
  const page = await open("open");
  await page.getByRole("button", { name: "Create an account" }).click();
  await page.getByLabel("Password", { exact: true }).waitFor();
  assert.equal(await hasTurnstile(page), false);
  assert.equal(await page.locator(".pc-human-check").count(), 0);
  assert.equal(turnstile.scripts, 0);
  await fillSignUp(page, `open-${randomBytes(4).toString("hex")}@example.com`, passphrase((t) => `ember ${t} quarry violet`));
  await signedIn(page);
  assert.equal(turnstile.scripts, 0);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("--human-check: the script loads on the sign-up screen, not the first; the solved challenge's token signs up once; the challenge starts again after a refusal", async () => {
  const page = await open("guarded", "fr");
  assert.equal(await hasTurnstile(page), false, "nothing loaded on the first screen");
  assert.equal(turnstile.scripts, 0);

  await page.getByRole("button", { name: "Créer un compte" }).click();
  const check = page.getByRole("checkbox", { name: "Verify you are human" });
  await check.waitFor();
  assert.equal(turnstile.scripts, 1);
  // Rendered explicitly into the widget's own element, with the site key and language.
  const rendered = await page.locator(".pc-human-check").evaluate((el) => ({ ...el.dataset }));
  assert.deepEqual(rendered, { sitekey: SITE_KEY, language: "fr" });

  const { email, password } = guarded;
  await page.getByLabel("Adresse e-mail", { exact: true }).fill(email);
  await page.getByLabel("Mot de passe", { exact: true }).fill("short");
  // Not solved yet: the widget says so and sends nothing.
  await page.getByRole("button", { name: "Créer le compte", exact: true }).click();
  await page.getByRole("alert").filter({ hasText: "Effectuez la vérification ci-dessous" }).waitFor();
  assert.equal(turnstile.verified.length, 0);

  // Solved, but the password is refused: the token was spent, so the challenge resets.
  await check.check();
  await solved(page, 1);
  await page.getByRole("button", { name: "Créer le compte", exact: true }).click();
  await page.getByText(/trop court/).first().waitFor();
  assert.equal(await check.isChecked(), false, "reset after its token was used");

  await page.getByLabel("Mot de passe", { exact: true }).fill(password);
  await check.check();
  await solved(page, 2);
  await page.getByRole("button", { name: "Créer le compte", exact: true }).click();
  await signedIn(page);
  assert.equal(turnstile.scripts, 1, "loaded once");
  const last = [...turnstile.issued.keys()].at(-1);
  assert.ok(turnstile.verified.includes(last), "the edge asked siteverify about the token the challenge gave");
  assert.deepEqual(unexpected(page.problems), []);
  await page.context().close();
});

test("an account under attack (wrong passwords from many networks): the password step shows the challenge when the edge asks, and with it and the emailed code the owner signs in", async () => {
  // SECOND_PROOF_AFTER_FAILURES in edge/src/throttle.rs, each from a network of its own,
  // so that no (account, network) limit is reached.
  const wrongFrom = async (i) => {
    const headers = { "cf-connecting-ip": `203.0.${i}.9` };
    const { challenge } = pkce();
    const flow = await callJson(edge, "POST", "/v1/flows", { client_id: "guarded", code_challenge: challenge, code_challenge_method: "S256" }, headers);
    return callJson(edge, "POST", `/v1/flows/${flow.body.flow_id}/password`, { email: guarded.email, password: `not it ${i} at all, sorry` }, headers);
  };
  for (let i = 1; i <= 10; i++) assert.equal((await wrongFrom(i)).status, 401);
  const asked = await wrongFrom(11);
  assert.equal(asked.status, 403, JSON.stringify(asked.body));
  assert.equal(asked.body.code, "human_check_required", "under attack: a token before any password is tried");

  const page = await open("guarded");
  await page.getByLabel("Email", { exact: true }).fill(guarded.email);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  assert.equal(await page.locator(".pc-human-check").count(), 0, "no challenge before the edge asks");
  await page.getByLabel("Password", { exact: true }).fill(guarded.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("alert").filter({ hasText: "Complete the check below that you're a person" }).waitFor();
  const check = page.getByRole("checkbox", { name: "Verify you are human" });
  await check.check();
  await solved(page, 1);
  const verified = turnstile.verified.length;
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  // The right password under attack still needs the code emailed to the address.
  const code = page.getByLabel("Code", { exact: true });
  await code.waitFor();
  assert.equal(turnstile.verified.length, verified + 1);
  const mail = await newestMail(edge, guarded.email);
  await code.fill(/\b(\d{6})\b/.exec(mail.text)[1]);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await signedIn(page);
  assert.deepEqual(unexpected(page.problems), []);
  await page.context().close();
});

/** Waits until the challenge has handed the widget its `n`th token. */
async function solved(page, n) {
  await page.locator(`.pc-human-check[data-solved="${n}"]`).waitFor({ state: "attached" });
}
