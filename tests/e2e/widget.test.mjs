// The real widget in headless Chromium, against the edge under wrangler dev.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { freePort, launchBrowser, serveHostPage, startEdge } from "./harness.mjs";

let edge;
let browser;
let allowedPort;
let refusedPort;

before(async () => {
  allowedPort = await freePort();
  refusedPort = await freePort();
  edge = await startEdge({ extraOrigins: [`http://localhost:${allowedPort}`] });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await edge?.dispose();
});

/** A page that fails the test on any uncaught error or console error. */
async function openPage(url) {
  const page = await browser.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()} (${m.location().url})`));
  await page.goto(url);
  return { page, problems };
}

/** Collects portcullis:* events dispatched on the widget element. */
async function recordEvents(page) {
  await page.evaluate(() => {
    window.__events = [];
    const el = document.querySelector("portcullis-signin");
    for (const name of ["portcullis:ready", "portcullis:step", "portcullis:error"]) {
      el.addEventListener(name, (e) => window.__events.push({ name, detail: e.detail }));
    }
  });
}

const events = (page) => page.evaluate(() => window.__events);

function hostPage(edgeOrigin, extraCss = "") {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title><link rel="icon" href="data:,">
<style>${extraCss}</style>
<script type="module" src="${edgeOrigin}/widget.js"></script></head>
<body><h1>Shop</h1><portcullis-signin client-id="demo"></portcullis-signin></body></html>`;
}

test("the demo page renders the widget, which reads its client from the edge", async () => {
  const { page, problems } = await openPage(`${edge.origin}/`);
  await page.getByRole("heading", { name: "Sign in to Portcullis Demo" }).waitFor();
  assert.equal(await page.getByLabel("Email").getAttribute("autocomplete"), "username webauthn");
  assert.deepEqual(problems, []);
  await page.close();
});

test("identify step: by its label, the email starts a flow on the edge and can be cancelled", async () => {
  const { page, problems } = await openPage(`${edge.origin}/`);
  await page.getByRole("heading", { name: "Sign in to Portcullis Demo" }).waitFor();
  await recordEvents(page);

  await page.getByLabel("Email").fill("ada@example.com");
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByText("ada@example.com").waitFor();

  const step = (await events(page)).find((e) => e.name === "portcullis:step");
  assert.ok(step, "a portcullis:step event was dispatched");
  assert.equal(step.detail.step, "password");
  assert.match(step.detail.flow_id, /^[A-Za-z0-9_-]{43}$/);

  await page.getByRole("button", { name: "Use another account" }).click();
  await page.getByLabel("Email").waitFor();
  // The widget cancelled the flow on the edge: its handle is spent.
  const again = await fetch(`${edge.api}/v1/flows/${step.detail.flow_id}`, { method: "DELETE" });
  assert.equal(again.status, 404);
  assert.deepEqual(problems, []);
  await page.close();
});

test("an empty email is caught in the widget, announced, and focused", async () => {
  const { page } = await openPage(`${edge.origin}/`);
  await page.getByRole("heading", { name: "Sign in to Portcullis Demo" }).waitFor();
  await page.getByRole("button", { name: "Continue" }).click();
  const alert = page.getByRole("alert").filter({ hasText: "Enter your email address" });
  await alert.waitFor();
  const input = page.getByLabel("Email");
  assert.equal(await input.getAttribute("aria-invalid"), "true");
  assert.equal(await input.evaluate((el) => el.getRootNode().activeElement === el), true);
  await page.close();
});

test("embedded cross-origin on an allowed site, behind hostile CSS, the widget works", async () => {
  const hostile = "* { all: unset !important; } input, button { display: none !important; }";
  const host = await serveHostPage(hostPage(edge.origin, hostile), allowedPort);
  try {
    const { page, problems } = await openPage(`${host.origin}/`);
    await page.getByRole("heading", { name: "Sign in to Portcullis Demo" }).waitFor();
    await recordEvents(page);
    const input = page.getByLabel("Email");
    assert.equal(await input.isVisible(), true, "host CSS does not reach into the widget");
    await input.fill("grace@example.com");
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByText("grace@example.com").waitFor();
    const names = (await events(page)).map((e) => e.name);
    assert.ok(names.includes("portcullis:step"), `${names}`);
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await host.close();
  }
});

test("embedded on a site not on the allow-list, the widget says so and emits portcullis:error", async () => {
  const host = await serveHostPage(hostPage(edge.origin), refusedPort);
  try {
    const { page } = await openPage(`${host.origin}/`);
    await page.getByRole("heading", { name: "Sign in to Portcullis Demo" }).waitFor();
    await recordEvents(page);
    await page.getByLabel("Email").fill("mallory@example.com");
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("alert").filter({ hasText: "origin is not allowed" }).waitFor();
    const error = (await events(page)).find((e) => e.name === "portcullis:error");
    assert.equal(error?.detail.code, "origin_not_allowed");
    await page.close();
  } finally {
    await host.close();
  }
});
