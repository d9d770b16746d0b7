// The first screen rendered by the edge and hydrated by the widget, in headless Chromium:
// usable before the widget's wasm has run, the same markup the widget renders itself,
// typing and an early click kept across hydration, and isolated from the host page's CSS.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { freePort, launchBrowser, serveHostPage, startEdge } from "./harness.mjs";
import { createUser } from "./oidc-support.mjs";

let edge;
let browser;
let hostPort;

before(async () => {
  hostPort = await freePort();
  edge = await startEdge({ extraOrigins: [`http://localhost:${hostPort}`] });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await edge?.dispose();
});

/**
 * A page whose widget wasm is held back until `release()`: what shows meanwhile is the
 * edge's first screen alone. Fails the test on any uncaught error or console error.
 */
async function heldPage(url) {
  const page = await browser.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  let release;
  const gate = new Promise((resolve) => (release = resolve));
  let wasmRequested = false;
  await page.route("**/widget/*/portcullis-widget_bg.wasm", async (route) => {
    wasmRequested = true;
    await gate;
    await route.continue();
  });
  await page.addInitScript(() => {
    window.__events = [];
    for (const name of ["portcullis:ready", "portcullis:step", "portcullis:signed-in", "portcullis:error"]) {
      document.addEventListener(name, (e) => window.__events.push({ name, detail: e.detail }), true);
    }
  });
  await page.goto(url);
  return { page, problems, release, wasmRequested: () => wasmRequested };
}

const events = (page) => page.evaluate(() => window.__events.map((e) => e.name));

/**
 * The widget's container as a tree of elements, attributes (in name order: the server
 * writes `class` last) and text, without Leptos' hydration markers (comments) and
 * without empty text (the server writes an empty text node as a space).
 */
const markup = (page) =>
  page.evaluate(() => {
    const root = document.querySelector("portcullis-signin").shadowRoot.querySelector(".pc-root");
    const describe = (node) => {
      if (node.nodeType === Node.TEXT_NODE) return node.data.trim() === "" ? "" : node.data;
      if (node.nodeType !== Node.ELEMENT_NODE) return "";
      const attrs = [...node.attributes].map((a) => ` ${a.name}="${a.value}"`).sort().join("");
      const tag = node.localName;
      return `<${tag}${attrs}>${[...node.childNodes].map(describe).join("")}</${tag}>`;
    };
    return [...root.childNodes].map(describe).join("");
  });

test("the edge's first screen is usable before the wasm runs; typing, focus and an early Continue survive hydration; then the password journey", async () => {
  const person = await createUser(edge, "demo");
  const { page, problems, release, wasmRequested } = await heldPage(`${edge.origin}/`);
  const widget = page.locator("portcullis-signin");
  await widget.getByRole("heading", { name: "Sign in to Portcullis Demo" }).waitFor();
  const email = widget.getByLabel("Email");
  assert.equal(await email.getAttribute("autocomplete"), "username webauthn");
  for (const name of ["Continue", "Sign in with a passkey", "Email me a sign-in code", "Create an account"]) {
    assert.equal(await widget.getByRole("button", { name, exact: true }).count(), 1, name);
  }
  // Server-rendered with its hydration markers, and nothing of the widget has run.
  assert.ok(await page.evaluate(() => {
    const root = document.querySelector("portcullis-signin").shadowRoot.querySelector(".pc-root");
    return [...root.childNodes].some((n) => n.nodeType === Node.COMMENT_NODE) || root.innerHTML.includes("<!---->");
  }));
  assert.deepEqual(await events(page), []);

  // A person types and presses Continue before the widget is ready.
  await email.click();
  await page.keyboard.type(person.email, { delay: 5 });
  const before = await email.evaluate((input) => (input.dataset.probe = "same node"));
  await widget.getByRole("button", { name: "Continue" }).click();
  await page.waitForTimeout(300);
  assert.equal(page.url(), `${edge.origin}/`, "the early click submitted no form");
  assert.deepEqual(await events(page), [], "still not hydrated");

  release();
  // The held click is honoured once the widget is ready: the password step for the typed address.
  await widget.getByLabel("Password", { exact: true }).waitFor();
  assert.ok(wasmRequested());
  await widget.getByText(person.email).waitFor();
  const names = await events(page);
  assert.ok(names.includes("portcullis:ready") && names.includes("portcullis:step"), `${names}`);
  assert.equal(before, "same node");
  await widget.getByLabel("Password", { exact: true }).fill(person.password);
  await widget.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForFunction(() => window.__events.some((e) => e.name === "portcullis:signed-in"));
  assert.deepEqual(problems, []);
  await page.close();
});

test("typing and focus stay through hydration, and Enter then goes on", async () => {
  const { page, problems, release } = await heldPage(`${edge.origin}/`);
  const widget = page.locator("portcullis-signin");
  const email = widget.getByLabel("Email");
  await email.waitFor();
  await email.click();
  await page.keyboard.type("someone@exa", { delay: 5 });
  await email.evaluate((input) => (input.dataset.probe = "typed before"));
  release();
  await page.waitForFunction(() => window.__events.some((e) => e.name === "portcullis:ready"));
  await page.keyboard.type("mple.com", { delay: 5 });
  assert.equal(await email.inputValue(), "someone@example.com");
  assert.equal(await email.getAttribute("data-probe"), "typed before", "hydration adopted the node");
  assert.equal(
    await page.evaluate(() => document.querySelector("portcullis-signin").shadowRoot.activeElement?.id),
    "pc-email",
  );
  await page.keyboard.press("Enter");
  await widget.getByLabel("Password", { exact: true }).waitFor();
  await widget.getByText("someone@example.com").waitFor();
  assert.deepEqual(problems, []);
  await page.close();
});

test("the edge's first screen is the markup the widget renders itself, before and after hydration", async () => {
  // Hydrated over the edge's HTML.
  const held = await heldPage(`${edge.origin}/`);
  await held.page.locator("portcullis-signin").getByLabel("Email").waitFor();
  const fromEdge = await markup(held.page);
  held.release();
  await held.page.waitForFunction(() => window.__events.some((e) => e.name === "portcullis:ready"));
  // Capabilities are detected after ready's task starts; let the passkey button settle.
  await held.page.waitForTimeout(200);
  const hydrated = await markup(held.page);

  // Rendered by the widget alone: the first screen cannot be had.
  const page = await browser.newPage();
  await page.route("**/first-screen*", (route) => route.abort());
  await page.addInitScript(() => {
    window.__events = [];
    document.addEventListener("portcullis:ready", (e) => window.__events.push({ name: e.type }), true);
  });
  await page.goto(`${edge.origin}/`);
  await page.waitForFunction(() => window.__events.length > 0);
  await page.locator("portcullis-signin").getByLabel("Email").waitFor();
  const rendered = await markup(page);

  assert.match(fromEdge, /autocomplete="username webauthn"/);
  assert.equal(hydrated, fromEdge);
  assert.equal(rendered, fromEdge);
  assert.deepEqual(held.problems, []);
  await held.page.close();
  await page.close();
});

test("hostile page CSS does not reach the server-rendered first screen, in Arabic, right to left", async () => {
  const hostile = `* { display: none !important; } html, body { display: block !important; }
portcullis-signin { display: block !important; } input, button, h2, form { visibility: hidden !important; color: red !important; }`;
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>Shop</title><link rel="icon" href="data:,">
<style>${hostile}</style><script type="module" src="${edge.origin}/widget.js"></script></head>
<body><portcullis-signin client-id="demo" lang="ar"></portcullis-signin></body></html>`;
  const host = await serveHostPage(html, hostPort);
  try {
    const { page, problems, release } = await heldPage(`${host.origin}/`);
    const widget = page.locator("portcullis-signin");
    const email = widget.locator("#pc-email");
    await email.waitFor();
    assert.deepEqual(await events(page), [], "not hydrated yet");
    assert.equal(await email.isVisible(), true);
    assert.notEqual(await email.evaluate((e) => getComputedStyle(e).color), "rgb(255, 0, 0)");
    const root = widget.locator(".pc-root");
    assert.equal(await root.getAttribute("dir"), "rtl");
    assert.equal(await root.getAttribute("lang"), "ar");
    assert.match(await widget.locator("h2").textContent(), /Portcullis Demo/);
    assert.doesNotMatch(await widget.locator("h2").textContent(), /Sign in to/);
    await email.fill("someone@example.com");
    release();
    await page.waitForFunction(() => window.__events.some((e) => e.name === "portcullis:ready"));
    assert.equal(await email.inputValue(), "someone@example.com");
    assert.equal(await email.isVisible(), true);
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await host.close();
  }
});

/**
 * A host page that enforces Trusted Types with `policies` allowed, at the host origin the
 * demo client allows; `close()` ends both.
 */
async function trustedTypesPage(policies) {
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>Shop</title><link rel="icon" href="data:,">
<script type="module" src="${edge.origin}/widget.js"></script></head>
<body><portcullis-signin client-id="demo"></portcullis-signin></body></html>`;
  const host = await serveHostPage(html, hostPort, {
    "content-security-policy": `require-trusted-types-for 'script'; trusted-types ${policies}`,
  });
  const page = await browser.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  const warnings = [];
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  page.on("console", (m) => m.type() === "warning" && warnings.push(m.text()));
  await page.goto(`${host.origin}/`);
  return { page, problems, warnings, close: () => page.close().finally(() => host.close()) };
}

/** Signs `person` in with a password on `page`'s widget. */
async function passwordJourney(page, person) {
  const widget = page.locator("portcullis-signin");
  await widget.getByLabel("Email").fill(person.email);
  await widget.getByRole("button", { name: "Continue" }).click();
  await widget.getByLabel("Password", { exact: true }).fill(person.password);
  await widget.getByRole("button", { name: "Sign in", exact: true }).click();
  await widget.getByText(person.email).waitFor();
}

test("Trusted Types: a page enforcing them that allows the 'portcullis' policy gets the edge's first screen, hydrated, with no violation", async () => {
  const person = await createUser(edge, "demo");
  const { page, problems, warnings, close } = await trustedTypesPage("portcullis");
  try {
    const widget = page.locator("portcullis-signin");
    await widget.getByRole("heading", { name: "Sign in to Portcullis Demo" }).waitFor();
    await passwordJourney(page, person);
    assert.deepEqual(problems, []);
    assert.deepEqual(warnings.filter((w) => /Trusted Types|first screen/.test(w)), [], "the edge's first screen went in");
  } finally {
    await close();
  }
});

test("Trusted Types: a page that allows no policy of ours still gets a working widget, rendered by the widget itself", async () => {
  const person = await createUser(edge, "demo");
  const { page, problems, warnings, close } = await trustedTypesPage("'none'");
  try {
    const widget = page.locator("portcullis-signin");
    await widget.getByRole("heading", { name: "Sign in to Portcullis Demo" }).waitFor();
    await passwordJourney(page, person);
    assert.ok(warnings.some((w) => /allows no 'portcullis' Trusted Types policy/.test(w)), JSON.stringify(warnings));
    // The refused policy is reported by the browser as an error: only that, nothing else.
    assert.deepEqual(problems.filter((p) => !/Trusted Type|trusted-types/i.test(p)), []);
  } finally {
    await close();
  }
});
