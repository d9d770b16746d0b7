// Brand themes in headless Chromium: a client's theme (set with scripts/clients --theme)
// reaches the widget through the client's public configuration, a page's `theme`
// attribute overrides it, the page's own --pc-* properties override both, and light DOM
// mode themes only its own element.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { freePort, launchBrowser, serveHostPage, startEdge } from "./harness.mjs";
import { clientsCli } from "./oidc-support.mjs";

let edge;
let host;
let browser;
let hostPort;

before(async () => {
  hostPort = await freePort();
  const hostOrigin = `http://localhost:${hostPort}`;
  edge = await startEdge({
    setup: ({ stateDir }) =>
      clientsCli(stateDir, [
        "add",
        "--id",
        "brand",
        "--name",
        "Brand Shop",
        "--redirect-uri",
        `${hostOrigin}/callback`,
        "--origin",
        hostOrigin,
        "--theme",
        "midnight",
      ]),
  });
  host = await serveHostPage(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title>
     <script type="module" src="${edge.origin}/widget.js"></script>
     <style>#custom { --pc-accent: #ff0000; }</style></head><body>
     <portcullis-signin id="client" client-id="brand" passkey-autofill="off"></portcullis-signin>
     <portcullis-signin id="page" client-id="brand" theme="playful" passkey-autofill="off"></portcullis-signin>
     <portcullis-signin id="custom" client-id="brand" passkey-autofill="off"></portcullis-signin>
     </body></html>`,
    hostPort,
  );
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await host?.close();
  await edge?.dispose();
});

/** Computed styles of the widget's card and its primary button, once it rendered. */
async function looks(page, id) {
  const widget = page.locator(`#${id}`);
  await widget.getByRole("button", { name: "Continue", exact: true }).waitFor();
  return widget.evaluate((element) => {
    const root = element.shadowRoot ?? element;
    const card = getComputedStyle(root.querySelector(".pc-card"));
    const button = getComputedStyle(root.querySelector(".pc-button"));
    return {
      background: card.backgroundColor,
      text: card.color,
      buttonBackground: button.backgroundColor,
      buttonRadius: button.borderTopLeftRadius,
    };
  });
}

test("the client's theme, a page's preset, and the page's own properties, in that order of precedence", async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`${host.origin}/`);

  // midnight: always dark, slate background, sky-blue buttons.
  const client = await looks(page, "client");
  assert.equal(client.background, "rgb(11, 16, 32)");
  assert.equal(client.text, "rgb(226, 232, 240)");
  assert.equal(client.buttonBackground, "rgb(56, 189, 248)");
  assert.equal(client.buttonRadius, "12px");

  // theme="playful" on the element wins over the client's theme: pill buttons.
  const preset = await looks(page, "page");
  assert.equal(preset.buttonRadius, "999px");
  assert.notEqual(preset.background, client.background);

  // The page's own --pc-accent on the element wins over any theme.
  const custom = await looks(page, "custom");
  assert.equal(custom.buttonBackground, "rgb(255, 0, 0)");
  assert.equal(custom.background, client.background, "the rest of the theme still applies");
  assert.deepEqual(errors, []);
  await page.close();
});

test("in light DOM the theme styles only its own element", async () => {
  const page = await browser.newPage();
  await page.goto(`${host.origin}/`);
  await page.evaluate((origin) => {
    const element = document.createElement("portcullis-signin");
    element.id = "light";
    element.setAttribute("client-id", "brand");
    element.setAttribute("dom", "light");
    element.setAttribute("passkey-autofill", "off");
    document.body.append(element);
    return origin;
  }, edge.origin);
  const light = await looks(page, "light");
  assert.equal(light.background, "rgb(11, 16, 32)");
  const bodyBackground = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bodyBackground, "rgba(0, 0, 0, 0)", "the page itself is not themed");
  assert.equal(await page.locator("#light").getAttribute("data-pc-themed"), "");
  await page.close();
});

test("a client without a theme keeps the widget's own look", async () => {
  const page = await browser.newPage();
  await page.goto(`${edge.origin}/`);
  await page.locator("portcullis-signin").getByRole("button", { name: "Continue", exact: true }).waitFor();
  const adopted = await page
    .locator("portcullis-signin")
    .evaluate((element) => element.shadowRoot.adoptedStyleSheets.length);
  assert.equal(adopted, 0);
  await page.close();
});

test("the themes demo page switches presets live", async () => {
  const page = await browser.newPage();
  await page.goto(`${edge.origin}/themes.html`);
  const neutral = await page.locator("portcullis-signin").evaluate(async (element) => {
    while (!element.shadowRoot?.querySelector(".pc-button")) await new Promise((r) => setTimeout(r, 50));
    return getComputedStyle(element.shadowRoot.querySelector(".pc-button")).backgroundColor;
  });
  await page.getByLabel("High contrast").check();
  await page.getByText("Showing the High contrast theme.").waitFor();
  const outline = await page.locator("portcullis-signin").evaluate(async (element) => {
    while (!element.shadowRoot?.querySelector(".pc-button")) await new Promise((r) => setTimeout(r, 50));
    return getComputedStyle(element.shadowRoot.querySelector(".pc-button")).backgroundColor;
  });
  assert.notEqual(neutral, outline);
  assert.equal(outline, "rgba(0, 0, 0, 0)", "high contrast has outline buttons");
  await page.close();
});
