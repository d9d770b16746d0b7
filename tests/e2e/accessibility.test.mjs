// Accessibility of the sign-in widget in headless Chromium, against the edge under wrangler
// dev with the development mailbox:
//
// - axe-core finds nothing to fix (WCAG 2.0–2.2 A and AA, and best practice) on any of the
//   widget's screens, in every theme preset, light and dark;
// - a person signs in with the keyboard alone, in a sensible focus order, always seeing
//   where the focus is; reduced motion stops transitions;
// - a host page's most hostile CSS leaves the widget's pixels exactly as on a bare page,
//   in every preset, light and dark, with the element's lang set to en, ar and ja.
//
// Screens are reached as a person would, once each; the theme and the colour scheme are
// then switched in place (see `lookLike`) so that axe sees every combination without the
// flows being repeated.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import { after, before, test } from "node:test";

import { generateSync } from "otplib";

import { addVirtualAuthenticator, launchBrowser, passphrase, ROOT, startEdge } from "./harness.mjs";
import { clientsCli, newestMail, signUpThroughApi } from "./oidc-support.mjs";

const PRESETS = ["neutral", "high-contrast", "playful", "midnight"];
const SCHEMES = ["light", "dark"];
const LANGS = ["en", "ar", "ja"];

const AXE = readFileSync(join(ROOT, "node_modules/axe-core/axe.min.js"), "utf8");
// Every WCAG 2.x success criterion axe can check, at levels A and AA, and its best
// practices. No rule is left out.
const AXE_OPTIONS = {
  runOnly: {
    type: "tag",
    values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
  },
};

const SCREENSHOTS = join(ROOT, "target/screenshots");
const EVENTS = ["portcullis:ready", "portcullis:step", "portcullis:error", "portcullis:signed-in", "portcullis:signed-out"];
/** Pages of the edge's origin: the widget with these attributes, between two host controls. */
const TEST_PAGE = "/__a11y-test";

let edge;
let browser;

const tag = randomBytes(5).toString("hex");
const ada = { email: `ada-${tag}@example.com`, password: passphrase((t) => `lantern ${t} orchard harbour`) };
const kay = { email: `kay-${tag}@example.com`, password: passphrase((t) => `thimble ${t} comet juniper`) };

/** An account made through the first-party API, as a widget would. */
const createAccount = (person) => signUpThroughApi(edge, person, "demo");


before(async () => {
  edge = await startEdge({
    setup: ({ stateDir, origin }) => {
      clientsCli(stateDir, [
        "add", "--id", "strict", "--name", "Strict Shop",
        "--redirect-uri", `${origin}/callback`, "--origin", origin,
        "--require-verified-email",
      ]);
      clientsCli(stateDir, [
        "add", "--id", "vault", "--name", "Vault", "--mfa", "required",
        "--redirect-uri", `${origin}/callback`, "--origin", origin,
      ]);
    },
  });
  browser = await launchBrowser();
  await createAccount(ada);
  await createAccount(kay);
});
after(async () => {
  await browser?.close();
  await edge?.dispose();
});

/**
 * A tab in a fresh browser context with axe loaded in every document, the widget's events
 * recorded, and the test page served. `head` goes into the test page's head.
 */
async function newTab({ head = "" } = {}) {
  const page = await browser.newPage();
  page.problems = [];
  page.on("pageerror", (e) => page.problems.push(`pageerror: ${e.message}`));
  await page.addInitScript((names) => {
    window.__events = [];
    for (const name of names) {
      document.addEventListener(name, (e) => window.__events.push({ name, detail: e.detail }), true);
    }
  }, EVENTS);
  await page.addInitScript(AXE);
  await page.route(`${edge.origin}${TEST_PAGE}?*`, (route) => {
    const query = new URL(route.request().url()).searchParams;
    const attrs = [...query].map(([k, v]) => `${k}="${v}"`).join(" ");
    route.fulfill({
      contentType: "text/html; charset=utf-8",
      body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>
<link rel="icon" href="data:,"><script type="module" src="/widget.js"></script>${head}</head>
<body><main><h1>Shop</h1><button id="before" type="button">Basket</button>
<portcullis-signin ${attrs}></portcullis-signin>
<input id="after" aria-label="Search the shop"></main></body></html>`,
    });
  });
  return page;
}

/** Opens the test page with these attributes and waits for the widget's first screen. */
async function open(page, attrs) {
  await page.goto(`${edge.origin}${TEST_PAGE}?${new URLSearchParams(attrs)}`);
  await page.waitForFunction(() => window.__events.some((e) => e.name === "portcullis:ready"));
}

const events = (page, name) => page.evaluate((name) => window.__events.filter((e) => e.name === name), name);

/** The element with focus, looking through the widget's shadow root. */
const focused = (page) =>
  page.evaluate(() => {
    let el = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    const style = getComputedStyle(el);
    return {
      id: el.id,
      tag: el.tagName.toLowerCase(),
      text: el.textContent.trim(),
      inWidget: el.getRootNode() !== document,
      // A visible focus indicator: an outline or a box shadow.
      indicator:
        (style.outlineStyle !== "none" && Number.parseFloat(style.outlineWidth) > 0) || style.boxShadow !== "none",
    };
  });

// --- axe --------------------------------------------------------------------------------

/**
 * Each preset's stylesheet as the widget makes it, with what its --pc-bg computes to in
 * each scheme: taken from widgets mounted with each `theme` attribute.
 */
async function presetLooks() {
  const page = await newTab();
  await open(page, { "client-id": "demo", "passkey-autofill": "off" });
  await page.evaluate((presets) => {
    for (const preset of presets) {
      const element = document.createElement("portcullis-signin");
      element.id = `preset-${preset}`;
      element.setAttribute("client-id", "demo");
      element.setAttribute("theme", preset);
      element.setAttribute("passkey-autofill", "off");
      document.body.append(element);
    }
  }, PRESETS);
  await page.waitForFunction(
    (presets) => presets.every((p) => document.getElementById(`preset-${p}`).shadowRoot?.adoptedStyleSheets.length === 1),
    PRESETS,
  );
  const looks = {};
  for (const scheme of SCHEMES) {
    await page.emulateMedia({ colorScheme: scheme });
    const found = await page.evaluate(
      (presets) =>
        presets.map((p) => {
          const element = document.getElementById(`preset-${p}`);
          return {
            css: [...element.shadowRoot.adoptedStyleSheets[0].cssRules].map((r) => r.cssText).join("\n"),
            bg: getComputedStyle(element).getPropertyValue("--pc-bg").trim(),
          };
        }),
      PRESETS,
    );
    PRESETS.forEach((preset, i) => {
      looks[preset] ??= { css: found[i].css, bg: {} };
      looks[preset].bg[scheme] = found[i].bg;
    });
  }
  await page.context().close();
  assert.equal(new Set(PRESETS.map((p) => looks[p].css)).size, PRESETS.length, "four different presets");
  return looks;
}

/**
 * Gives the widget on `page` a preset's look in a colour scheme. The `theme` attribute is
 * read once, when the element connects; the preset's stylesheet (as the widget made it)
 * replaces the adopted one exactly as the loader adopts it, so the screen stays where the
 * flow brought it.
 */
async function lookLike(page, looks, preset, scheme) {
  await page.emulateMedia({ colorScheme: scheme });
  const bg = await page.locator("portcullis-signin").evaluate(async (element, css) => {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    element.shadowRoot.adoptedStyleSheets = [sheet];
    await Promise.all(element.shadowRoot.getAnimations().map((a) => a.finished));
    return getComputedStyle(element).getPropertyValue("--pc-bg").trim();
  }, looks[preset].css);
  assert.equal(bg, looks[preset].bg[scheme], `${preset} ${scheme} applied`);
}

/**
 * Runs axe over the widget (its shadow tree included) on `screen` in every preset and
 * scheme; adds what it finds to `found`. Returns how many combinations it checked.
 */
async function axeEverywhere(page, looks, screen, found) {
  let checked = 0;
  for (const preset of PRESETS) {
    for (const scheme of SCHEMES) {
      await lookLike(page, looks, preset, scheme);
      const result = await page.locator("portcullis-signin").evaluate(async (element, options) => {
        const { violations, incomplete, passes } = await window.axe.run(element, options);
        // What axe could not decide ("needs review") counts as a violation too.
        return {
          violations: [...violations, ...incomplete].map((v) => ({
            rule: v.id,
            help: v.help,
            nodes: v.nodes.map((n) => `${n.target.join(" >> ")}: ${n.failureSummary ?? n.any[0]?.message}`),
          })),
          contrastChecked: passes.find((p) => p.id === "color-contrast")?.nodes.length ?? 0,
        };
      }, AXE_OPTIONS);
      // axe saw the text inside the shadow root (nothing to check would also pass).
      assert.ok(result.contrastChecked > 0, `${screen}: axe checked no text contrast`);
      for (const v of result.violations) found.push({ screen, preset, scheme, ...v });
      checked += 1;
    }
  }
  await page.emulateMedia({ colorScheme: "light" });
  return checked;
}

test("axe finds no WCAG 2.x A/AA or best-practice violation on any screen, in any preset, light or dark", async () => {
  const looks = await presetLooks();
  const found = [];
  const screens = [];
  let runs = 0;
  const page = await newTab();
  // A device that can make passkeys: the passkey buttons, the sign-up variant and the
  // signed-in list show.
  await addVirtualAuthenticator(page);
  const widget = page.locator("portcullis-signin");
  const check = async (screen) => {
    screens.push(screen);
    runs += await axeEverywhere(page, looks, screen, found);
  };
  const button = (name) => widget.getByRole("button", { name, exact: true });
  const heading = (name) => widget.getByRole("heading", { name, exact: true }).waitFor();
  const shown = (id) => widget.locator(`#${id}:not(:empty)`).waitFor();
  const demo = { "client-id": "demo", theme: "neutral", "passkey-autofill": "off" };

  await open(page, demo);
  // axe does see problems inside the shadow root: a nameless button and faint text.
  const planted = await widget.evaluate(async (element, options) => {
    const card = element.shadowRoot.querySelector(".pc-card");
    const faint = Object.assign(document.createElement("p"), { textContent: "Faint" });
    faint.style.color = "#d0d0d0"; // on the light card, 1.5:1
    card.append(document.createElement("button"), faint);
    const { violations } = await window.axe.run(element, options);
    card.lastChild.remove();
    card.lastChild.remove();
    return violations.map((v) => v.id).sort();
  }, AXE_OPTIONS);
  assert.deepEqual(planted, ["button-name", "color-contrast"]);
  await check("identify");
  await widget.getByLabel("Email", { exact: true }).fill("not an address");
  await button("Continue").click();
  await shown("pc-email-error");
  await check("identify, field error");

  await button("Create an account").click();
  await widget.getByLabel("Name (optional)").waitFor();
  await check("sign-up with a password");
  await button("Create with a passkey instead").click();
  await button("Create account with a passkey").waitFor();
  await check("sign-up with a passkey");
  await button("Use a password instead").click();
  await button("Sign in").click();

  await widget.getByLabel("Email", { exact: true }).fill(ada.email);
  await button("Continue").click();
  await widget.getByLabel("Password", { exact: true }).waitFor();
  await check("password");
  await widget.getByLabel("Password", { exact: true }).fill("not the password at all");
  await button("Sign in").click();
  await shown("pc-password-error");
  await check("password, wrong password");
  // The account has no passkey on this device: the browser says none was used.
  await button("Use a passkey instead").click();
  await shown("pc-form-error");
  await check("password, form error");

  await button("Forgot password?").click();
  await heading("Reset your password");
  await check("forgot password");
  await button("Email me a reset link").click();
  await heading("Check your email");
  await check("check your email");
  await button("Back to sign in").click();
  await widget.getByLabel("Email", { exact: true }).fill(ada.email);
  await button("Continue").click();
  await button("Forgot password?").click();
  await button("Forgot which email you used?").click();
  await heading("Find your account");
  await check("find your account");
  await button("Back to sign in").click();

  await widget.getByLabel("Email", { exact: true }).fill(ada.email);
  await button("Email me a sign-in code").click();
  await widget.getByLabel("Code", { exact: true }).waitFor();
  await check("emailed code");
  const code = (await newestMail(edge, ada.email, "Your sign-in code for Portcullis Demo")).text.match(/Your code: (\d{6})/)[1];
  await widget.getByLabel("Code", { exact: true }).fill(code === "000000" ? "111111" : "000000");
  await button("Continue").click();
  await shown("pc-code-error");
  await check("emailed code, wrong code");
  await button("Use another way").click();
  await widget.getByLabel("Password", { exact: true }).fill(ada.password);
  await button("Sign in").click();

  const list = widget.getByRole("region", { name: "Your passkeys" });
  await list.getByText("You have no passkeys yet.").waitFor();
  await check("signed in, the offer to add a passkey");
  await widget.getByRole("region", { name: "Sign in faster next time" }).getByRole("button", { name: "Add a passkey" }).click();
  await list.getByRole("listitem").first().waitFor();
  await widget.getByRole("status").filter({ hasText: "Passkey added." }).waitFor();
  await check("signed in, the passkey list");
  await list.getByRole("button", { name: /^Rename / }).click();
  await list.getByLabel("Passkey name").fill("");
  await list.getByRole("button", { name: "Save" }).click();
  await shown("pc-passkey-name-error");
  await check("renaming a passkey, field error");
  await list.getByRole("button", { name: "Cancel" }).click();
  await button("Sign out").click();
  await widget.getByLabel("Email", { exact: true }).waitFor();

  // The reset link's token, as the /reset-password page passes it to the widget.
  const reset = await newestMail(edge, ada.email, "Reset your password for Portcullis Demo");
  const link = new URL(reset.text.match(/Choose a new password: (\S+)/)[1]);
  await open(page, { ...demo, "reset-token": link.searchParams.get("token") });
  await heading("Choose a new password");
  await check("choose a new password");
  await widget.getByLabel("New password", { exact: true }).fill("too short");
  await button("Change password").click();
  await shown("pc-new-password-error");
  await check("choose a new password, refused");
  await widget.getByLabel("New password", { exact: true }).fill(`copper ${tag} meadow violin kettle`);
  await button("Change password").click();
  await heading("Your password has been changed");
  await check("password changed");

  // A client that signs in only verified addresses asks to confirm one after sign-up.
  await open(page, { ...demo, "client-id": "strict" });
  await button("Create an account").click();
  await widget.getByLabel("Email", { exact: true }).fill(`vera-${tag}@example.com`);
  await widget.getByLabel("Password", { exact: true }).fill(`saffron ${tag} glacier pebble`);
  await button("Create account").click();
  await heading("Confirm your email address");
  await check("confirm your email address");

  // A client that requires a second factor: setting up an app, the recovery codes shown
  // once, then the code steps of the next sign-in.
  const mia = { email: `mia-${tag}@example.com`, password: passphrase((t) => `nutmeg ${t} lantern quarry`) };
  await open(page, { ...demo, "client-id": "vault" });
  await button("Create an account").click();
  await widget.getByLabel("Email", { exact: true }).fill(mia.email);
  await widget.getByLabel("Password", { exact: true }).fill(mia.password);
  await button("Create account").click();
  await widget.getByRole("img", { name: "QR code for your authenticator app" }).waitFor();
  await check("set up an authenticator app");
  const key = (await widget.locator(".pc-key code").textContent()).trim();
  await widget.getByLabel("Code", { exact: true }).fill(generateSync({ secret: key }));
  await button("Continue").click();
  await button("I've saved them, continue").waitFor();
  await check("recovery codes");
  await button("I've saved them, continue").click();
  await button("Sign out").click();
  await widget.getByLabel("Email", { exact: true }).fill(mia.email);
  await button("Continue").click();
  await widget.getByLabel("Password", { exact: true }).fill(mia.password);
  await button("Sign in").click();
  await widget.getByText("Enter the 6-digit code from your authenticator app.").first().waitFor();
  await check("authenticator-app code");
  await button("Continue").click();
  await shown("pc-code-error");
  await check("authenticator-app code, field error");
  await button("Use a recovery code").click();
  await widget.getByLabel("Recovery code", { exact: true }).waitFor();
  await check("recovery code");

  // Loading: the widget renders the first screen itself (the edge's cannot be had) and
  // the client's configuration is held back until axe has looked.
  await page.route("**/first-screen*", (route) => route.fulfill({ status: 503, body: "" }));
  let release;
  const held = new Promise((resolve) => (release = resolve));
  await page.route(`${edge.origin}/v1/clients/demo`, async (route) => {
    await held;
    await route.continue();
  });
  await page.goto(`${edge.origin}${TEST_PAGE}?${new URLSearchParams(demo)}`);
  await widget.getByText("Loading…").waitFor();
  await check("loading");
  release();
  await page.waitForFunction(() => window.__events.some((e) => e.name === "portcullis:ready"));
  await page.unroute(`${edge.origin}/v1/clients/demo`);
  await page.unroute("**/first-screen*");

  // A client the edge does not know: the card says the widget cannot start.
  await page.goto(`${edge.origin}${TEST_PAGE}?${new URLSearchParams({ ...demo, "client-id": `nobody-${tag}` })}`);
  await widget.getByRole("alert").filter({ hasText: /\S/ }).waitFor();
  await check("configuration failed");

  console.log(
    `axe: ${screens.length} screens × ${PRESETS.length} presets × ${SCHEMES.length} schemes = ${runs} runs, ` +
      `${found.length} violations`,
  );
  assert.equal(runs, screens.length * PRESETS.length * SCHEMES.length);
  assert.deepEqual(found, []);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

// --- keyboard ---------------------------------------------------------------------------

test("a person signs in with the keyboard alone: a logical focus order, focus always visible", async () => {
  const page = await newTab();
  await open(page, { "client-id": "demo", "passkey-autofill": "off" });
  const press = async (key) => {
    await page.keyboard.press(key);
    return focused(page);
  };

  // From the top of the page: the host's button, then the widget's email field.
  assert.equal((await press("Tab")).id, "before");
  let at = await press("Tab");
  assert.deepEqual([at.id, at.inWidget, at.indicator], ["pc-email", true, true], "the email field, with a focus ring");
  await page.keyboard.type(kay.email);
  at = await press("Tab");
  assert.deepEqual([at.tag, at.text, at.indicator], ["button", "Continue", true], "then Continue");
  // Back and forth: Shift+Tab returns to the field.
  assert.equal((await press("Shift+Tab")).id, "pc-email");
  await press("Tab");
  await page.keyboard.press("Enter");

  // The password step takes focus on its field.
  await page.waitForFunction(() => document.querySelector("portcullis-signin").shadowRoot.activeElement?.id === "pc-password");
  at = await focused(page);
  assert.equal(at.indicator, true, "the password field shows focus");
  at = await press("Shift+Tab");
  assert.deepEqual([at.tag, at.text, at.indicator], ["button", "Use another account", true], "before it, the other account");
  assert.equal((await press("Tab")).id, "pc-password");
  await page.keyboard.type("not the password at all");
  at = await press("Tab");
  assert.deepEqual([at.text, at.indicator], ["Show password", true], "the show/hide toggle");
  await page.keyboard.press("Space");
  const pressed = () => page.locator("portcullis-signin .pc-toggle").getAttribute("aria-pressed");
  assert.equal(await pressed(), "true", "Space shows the password");
  await page.keyboard.press("Space");
  assert.equal(await pressed(), "false", "and hides it again");
  at = await press("Tab");
  assert.deepEqual([at.tag, at.text, at.indicator], ["button", "Sign in", true]);
  await page.keyboard.press("Enter");

  // A wrong password: the error is said at the field, and focus goes to it.
  await page.locator("portcullis-signin #pc-password-error:not(:empty)").waitFor();
  at = await focused(page);
  assert.deepEqual([at.id, at.indicator], ["pc-password", true], "focus on the first error");
  assert.equal(
    await page.locator("portcullis-signin #pc-password").getAttribute("aria-describedby"),
    "pc-password-error",
  );
  await page.keyboard.type(kay.password);
  await page.keyboard.press("Enter");

  await page.waitForFunction(() => window.__events.some((e) => e.name === "portcullis:signed-in"), null, { timeout: 30_000 });
  const [{ detail: tokens }] = await events(page, "portcullis:signed-in");
  assert.equal(tokens.token_type, "Bearer");
  assert.match(tokens.access_token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  assert.match(tokens.id_token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  // Focus moves to what happened, then on to the widget's controls and out to the page.
  await page.waitForFunction(() =>
    document.querySelector("portcullis-signin").shadowRoot.activeElement?.textContent.startsWith("Signed in as"),
  );
  // Where the browser can make passkeys, their list loads meanwhile: tab through it loaded.
  await page.waitForFunction(
    () => !document.querySelector("portcullis-signin").shadowRoot.textContent.includes("Loading your passkeys"),
  );
  const stops = [];
  for (let i = 0; i < 8; i += 1) {
    at = await press("Tab");
    if (!at.inWidget) break;
    assert.equal(at.indicator, true, `focus visible on ${at.text}`);
    stops.push(at.text);
  }
  assert.equal(at.id, "after", `Tab leaves the widget for the page after: ${stops.join(" → ")}`);
  assert.equal(stops.at(-1), "Sign out");
  await press("Shift+Tab");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => window.__events.some((e) => e.name === "portcullis:signed-out"));
  await page.waitForFunction(() => document.querySelector("portcullis-signin").shadowRoot.activeElement?.id === "pc-email");
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("prefers-reduced-motion: reduce stops transitions, even those a page gives the widget's parts", async () => {
  const page = await newTab({
    head: `<style>portcullis-signin::part(button), portcullis-signin::part(input) {
      transition: background-color 0.3s, box-shadow 0.3s; }</style>`,
  });
  await open(page, { "client-id": "demo", "passkey-autofill": "off" });
  await page.locator("portcullis-signin .pc-button").first().waitFor();
  const durations = () =>
    page.locator("portcullis-signin").evaluate((element) =>
      [...element.shadowRoot.querySelectorAll("*")].flatMap((el) => getComputedStyle(el).transitionDuration.split(", ")),
    );
  const moving = (await durations()).filter((d) => d !== "0s");
  assert.ok(moving.includes("0.3s"), `the page's transitions run: ${moving}`);
  await page.emulateMedia({ reducedMotion: "reduce" });
  const still = (await durations()).filter((d) => d !== "0s");
  assert.deepEqual(still, [], "no transition under reduced motion");
  await page.context().close();
});

// --- hostile host CSS -------------------------------------------------------------------

// Everything a page's CSS can do to a widget in a shadow root: its rules match the host
// element (and its pseudo-elements), and inherited properties, text decorations and
// first-line/first-letter styles would flow into the widget from the host and its
// ancestors. Left out, as the page's own business rather than leaks: zoom, transforms,
// filters, opacity and blending (how the page paints the element), a box narrower than
// the card (the card reflows, WCAG 1.4.10), visibility and pointer-events (the widget
// inherits them: a page may hide it or make it inert), ::part() and --pc-* (the styling
// API), and @font-face (a page may supply a theme's font).
const HOSTILE_CSS = `
* { all: unset !important; }
html, body, main, div, section, p, button, input, portcullis-signin {
  font: italic small-caps 700 30px/3 serif !important;
  color: red !important;
  background: yellow !important;
  letter-spacing: 3px !important;
  word-spacing: 17px !important;
  direction: rtl !important;
  text-align: right !important;
  text-indent: 40px !important;
  text-transform: uppercase !important;
  text-shadow: 2px 2px 0 blue !important;
  text-decoration: underline wavy green 3px !important;
  text-underline-offset: 6px !important;
  text-emphasis: filled circle magenta !important;
  white-space: pre !important;
  word-break: break-all !important;
  hyphens: auto !important;
  font-feature-settings: "smcp", "zero" !important;
  font-variant-numeric: slashed-zero !important;
  font-kerning: none !important;
  font-synthesis: none !important;
  font-optical-sizing: none !important;
  text-rendering: geometricPrecision !important;
  -webkit-font-smoothing: none !important;
  -webkit-text-fill-color: lime !important;
  -webkit-text-stroke: 1px black !important;
  -webkit-text-security: disc !important;
  paint-order: stroke !important;
  tab-size: 40 !important;
  line-break: anywhere !important;
  text-wrap: balance !important;
  color-scheme: dark !important;
  accent-color: orange !important;
  caret-color: transparent !important;
  cursor: wait !important;
  list-style: square inside !important;
  quotes: "«" "»" !important;
  image-rendering: pixelated !important;
  user-select: none !important;
  box-sizing: content-box !important;
}
html { font-size: 30px !important; }
section { writing-mode: vertical-rl !important; text-orientation: upright !important; }
body { display: flex !important; flex-direction: row-reverse !important; padding: 37px !important; }
main { display: grid !important; grid-template-columns: min-content !important; }
portcullis-signin {
  display: inline !important;
  padding: 40px !important;
  margin: 11px !important;
  border: 7px dashed red !important;
  outline: 5px solid blue !important;
  box-shadow: 0 0 0 9px purple !important;
  position: relative !important;
  left: 5px !important;
  vertical-align: super !important;
}
#slot::before { content: "Log in below" !important; }
portcullis-signin::first-line, body::first-line, main::first-line { color: blue !important; font-size: 45px !important; }
portcullis-signin::first-letter, body::first-letter, main::first-letter {
  font-size: 80px !important; color: green !important; float: left !important;
}
`;

/**
 * The host pages: `hostile` with the CSS above, `bare` with none. What shows around the
 * card's rounded corners is the page's background: both pages paint the same one there.
 */
function hostPage(kind) {
  const style = kind === "hostile" ? HOSTILE_CSS : "html { background: yellow; }";
  return `<!doctype html><html lang="${kind === "hostile" ? "zh-Hant" : "en"}"${kind === "hostile" ? ' dir="rtl"' : ""}>
<head><meta charset="utf-8">${kind === "hostile" ? '<meta name="color-scheme" content="dark">' : ""}
<title>${kind}</title><link rel="icon" href="data:,"><script type="module" src="/widget.js"></script>
<style>${style}</style></head><body><main><div><p>Welcome to the shop</p><section id="slot"></section></div></main></body></html>`;
}

/** Mounts a fresh widget with `preset` and `lang` on `page`; waits until it is styled. */
async function mountFresh(page, preset, lang) {
  await page.evaluate(
    ({ preset, lang }) => {
      const element = document.createElement("portcullis-signin");
      for (const [k, v] of Object.entries({ "client-id": "demo", theme: preset, lang, "passkey-autofill": "off" })) {
        element.setAttribute(k, v);
      }
      element.addEventListener("portcullis:ready", () => (element.dataset.ready = ""));
      document.getElementById("slot").replaceChildren(element);
    },
    { preset, lang },
  );
  await page.waitForFunction(() => {
    const element = document.querySelector("portcullis-signin");
    const root = element?.shadowRoot;
    return (
      element.dataset.ready === "" &&
      root.querySelector("link")?.sheet &&
      root.adoptedStyleSheets.length === 1 &&
      root.querySelector(".pc-button")
    );
  });
  await page.evaluate(() => document.fonts.ready);
}

/**
 * Runs `shoot` while the card is drawn afresh, in a compositing layer of its own (on both
 * pages alike). Chromium draws a page in tiles, redraws only what changed, and
 * anti-aliases a rounded corner a shade differently at another place in a tile or when
 * redrawing part of it: the same card can differ by a shade at its corners depending on
 * where the page put it and what it showed before. Drawn whole in its own layer, it
 * cannot; whatever the page's CSS changes in it still shows.
 */
async function freshlyDrawn(page, shoot) {
  const element = page.locator("portcullis-signin");
  // In view first: drawn at once, not tile by tile as the page scrolls to it.
  await element.locator(".pc-card").scrollIntoViewIfNeeded();
  await element.evaluate(async (element) => {
    const layer = new CSSStyleSheet();
    layer.replaceSync(".pc-card { will-change: transform; }");
    element.shadowRoot.adoptedStyleSheets = [...element.shadowRoot.adoptedStyleSheets, layer];
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  });
  try {
    return await shoot();
  } finally {
    await element.evaluate((element) => {
      element.shadowRoot.adoptedStyleSheets = element.shadowRoot.adoptedStyleSheets.slice(0, -1);
    });
  }
}

/** The pixels of an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium's screenshots are). */
function pixels(png) {
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const channels = { 2: 3, 6: 4 }[png[25]];
  assert.ok(png[24] === 8 && channels && png[28] === 0, "an 8-bit RGB(A) PNG, not interlaced");
  const chunks = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    if (png.toString("latin1", at + 4, at + 8) === "IDAT") chunks.push(png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(chunks));
  const stride = width * channels;
  const out = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[y * stride + x - channels] : 0;
      const b = y > 0 ? out[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? out[(y - 1) * stride + x - channels] : 0;
      const paeth = () => {
        const [pa, pb, pc] = [Math.abs(b - c), Math.abs(a - c), Math.abs(a + b - 2 * c)];
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      };
      const predicted = [0, a, b, (a + b) >> 1, filter === 4 ? paeth() : 0][filter];
      out[y * stride + x] = (raw[y * (stride + 1) + 1 + x] + predicted) & 255;
    }
  }
  return { width, height, data: out };
}

/**
 * Whether two screenshots show the same thing. Chromium's text anti-aliasing can move a
 * channel by a step or two between two draws of the same glyphs under load; anything the
 * page's CSS changes (a colour, a font, a size, a position) moves far more, or changes
 * the size.
 */
function sameLook(one, other) {
  if (one.equals(other)) return true;
  const [a, b] = [pixels(one), pixels(other)];
  if (a.width !== b.width || a.height !== b.height) return false;
  let changed = 0;
  for (let i = 0; i < a.data.length; i++) {
    const delta = Math.abs(a.data[i] - b.data[i]);
    if (delta > 8) return false;
    changed += delta > 0;
  }
  return changed <= a.data.length / 1000;
}

test("hostile host CSS: the widget looks as on a bare page, in every preset, scheme and language", async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const pages = {};
  for (const kind of ["bare", "hostile"]) {
    const page = await browser.newPage();
    page.problems = [];
    page.on("pageerror", (e) => page.problems.push(`pageerror: ${e.message}`));
    await page.route(`${edge.origin}/__a11y-${kind}`, (route) =>
      route.fulfill({ contentType: "text/html; charset=utf-8", body: hostPage(kind) }),
    );
    await page.goto(`${edge.origin}/__a11y-${kind}`);
    pages[kind] = page;
  }
  // The hostile CSS does reach the page itself.
  assert.equal(
    await pages.hostile.evaluate(() => getComputedStyle(document.querySelector("p")).color),
    "rgb(255, 0, 0)",
  );

  const differ = [];
  let pairs = 0;
  const shoot = async (name) => {
    const shots = {};
    for (const [kind, page] of Object.entries(pages)) {
      shots[kind] = await freshlyDrawn(page, () =>
        page.locator("portcullis-signin .pc-card").screenshot({ animations: "disabled", caret: "hide", scale: "css" }),
      );
      writeFileSync(join(SCREENSHOTS, `${name}-${kind}.png`), shots[kind]);
    }
    pairs += 1;
    if (!sameLook(shots.bare, shots.hostile)) differ.push(name);
  };

  for (const preset of PRESETS) {
    for (const lang of LANGS) {
      for (const page of Object.values(pages)) await mountFresh(page, preset, lang);
      // The page styles the element's box, which stays a block; the card fills its
      // content box from the start, at its own width.
      const fit = await pages.hostile.locator("portcullis-signin").evaluate((element) => {
        const style = getComputedStyle(element);
        const box = element.getBoundingClientRect();
        const card = element.shadowRoot.querySelector(".pc-card").getBoundingClientRect();
        const inset = (side) =>
          Number.parseFloat(style[`border${side}Width`]) + Number.parseFloat(style[`padding${side}`]);
        return {
          display: style.display,
          padding: style.paddingTop,
          left: card.left - box.left - inset("Left"),
          top: card.top - box.top - inset("Top"),
          width: card.width,
        };
      });
      assert.deepEqual(fit, { display: "block", padding: "40px", left: 0, top: 0, width: 380 });
      for (const scheme of SCHEMES) {
        for (const page of Object.values(pages)) await page.emulateMedia({ colorScheme: scheme });
        await shoot(`${preset}-${scheme}-${lang}`);
      }
      // A screen with more in it: sign-up with its errors showing.
      const words = JSON.parse(readFileSync(join(ROOT, "widget/locales", `${lang}.json`), "utf8"));
      for (const page of Object.values(pages)) {
        const widget = page.locator("portcullis-signin");
        await widget.getByRole("button", { name: words["identify.create-account"], exact: true }).click();
        await widget.getByRole("button", { name: words["sign-up.submit"], exact: true }).click();
        await widget.locator("#pc-email-error:not(:empty)").waitFor();
      }
      for (const scheme of SCHEMES) {
        for (const page of Object.values(pages)) await page.emulateMedia({ colorScheme: scheme });
        await shoot(`${preset}-${scheme}-${lang}-sign-up`);
      }
    }
  }
  console.log(
    `hostile CSS: ${pairs} screenshot pairs (${PRESETS.length} presets × ${SCHEMES.length} schemes × ` +
      `${LANGS.length} languages × 2 screens), ${differ.length} differ; in ${SCREENSHOTS}`,
  );
  assert.deepEqual(differ, [], "screenshots that differ between the bare and the hostile page");
  for (const page of Object.values(pages)) assert.deepEqual(page.problems, []);
  for (const page of Object.values(pages)) await page.context().close();
});
