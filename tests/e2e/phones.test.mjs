// The widget on phones, in headless Chromium: on the demo page at 320, 360 and 390 px
// wide, in English, German (long compound words) and Arabic (right to left), the card
// fits the screen with no sideways scrolling, every touch target is at least 44 px high,
// inputs' text is at least 16 px (phones zoom in on smaller), and axe finds nothing to fix
// at the narrowest width.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { launchBrowser, ROOT, startEdge } from "./harness.mjs";

const WIDTHS = [320, 360, 390];
const LOCALES = ["en-US", "de-DE", "ar"];
const AXE = readFileSync(join(ROOT, "node_modules/axe-core/axe.min.js"), "utf8");
const catalogue = (tag) => JSON.parse(readFileSync(join(ROOT, "widget/locales", `${tag}.json`), "utf8"));

let edge;
let browser;

before(async () => {
  edge = await startEdge();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await edge?.dispose();
});

/** The demo page on a phone `width` px wide whose language is `locale`. */
async function phone(width, locale) {
  const page = await browser.newPage({
    viewport: { width, height: 740 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale,
  });
  page.problems = [];
  page.on("pageerror", (e) => page.problems.push(`pageerror: ${e.message}`));
  await page.addInitScript(AXE);
  await page.goto(`${edge.origin}/`);
  await page.locator("portcullis-signin .pc-title").waitFor();
  return page;
}

/** What does not fit a phone on the screen showing now: empty when everything does. */
function misfits(page, label) {
  return page.locator("portcullis-signin .pc-card").evaluate((card, label) => {
    const found = [];
    const width = window.innerWidth;
    if (document.documentElement.scrollWidth > width) {
      found.push(`${label}: the page scrolls sideways (${document.documentElement.scrollWidth} > ${width})`);
    }
    const box = card.getBoundingClientRect();
    if (box.left < 0 || box.right > width) {
      found.push(`${label}: the card runs off the screen (${box.left}→${box.right} of ${width})`);
    }
    for (const el of card.querySelectorAll("button, input, a, [role=button]")) {
      const rect = el.getBoundingClientRect();
      if (el.hidden || rect.width === 0) continue;
      const name = `${el.tagName.toLowerCase()}#${el.id || el.textContent.trim().slice(0, 24)}`;
      if (rect.height < 44) found.push(`${label}: ${name} is ${rect.height} px high`);
      if (rect.right > width + 0.5 || rect.left < -0.5) found.push(`${label}: ${name} runs off the screen`);
      if (el.tagName === "INPUT" && Number.parseFloat(getComputedStyle(el).fontSize) < 16) {
        found.push(`${label}: ${name} has text under 16 px`);
      }
    }
    return found;
  }, label);
}

test("on 320, 360 and 390 px phones, in English, German and Arabic, the widget fits with touch-sized targets", async () => {
  const found = [];
  let screens = 0;
  for (const locale of LOCALES) {
    const tag = locale.split("-")[0];
    const words = catalogue(tag);
    for (const width of WIDTHS) {
      const page = await phone(width, locale);
      const widget = page.locator("portcullis-signin");
      assert.equal(await widget.locator(".pc-root").getAttribute("lang"), tag, `${locale} is the widget's language`);
      found.push(...(await misfits(page, `${tag} ${width}px identify`)));
      // The screen with the most to fit: creating an account.
      await widget.getByRole("button", { name: words["identify.create-account"], exact: true }).click();
      await widget.locator("#pc-name").waitFor();
      found.push(...(await misfits(page, `${tag} ${width}px sign-up`)));
      screens += 2;
      assert.deepEqual(page.problems, []);
      await page.context().close();
    }
  }
  console.log(`phones: ${screens} screens (${LOCALES.length} languages × ${WIDTHS.length} widths × 2)`);
  assert.deepEqual(found, []);
});

test("at 320 px, the card takes the width it is given and the first screen has no empty band", async () => {
  const page = await phone(320, "en-US");
  const widget = page.locator("portcullis-signin");
  const geometry = await widget.locator(".pc-card").evaluate((card) => {
    const root = card.getRootNode();
    const input = root.querySelector("#pc-email").getBoundingClientRect();
    const button = root.querySelector(".pc-form .pc-button").getBoundingClientRect();
    return {
      card: card.getBoundingClientRect().width,
      host: root.host.getBoundingClientRect().width,
      gap: button.top - input.bottom,
    };
  });
  // The demo page's body has 16 px margins each side: the card takes all of the rest.
  assert.equal(geometry.card, geometry.host);
  assert.equal(geometry.host, 320 - 32);
  // Only the form's spacing between the field and Continue, no room held for messages
  // that are not there.
  assert.ok(geometry.gap <= 32, `the email field and Continue are ${geometry.gap} px apart`);
  await page.context().close();
});

test("axe finds nothing to fix at 320 px, on the first screen and on creating an account", async () => {
  const page = await phone(320, "en-US");
  const widget = page.locator("portcullis-signin");
  const axe = () =>
    widget.evaluate(async (element) => {
      const { violations, incomplete } = await window.axe.run(element, {
        runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
      });
      return [...violations, ...incomplete].map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" >> ")).join(", ")}`);
    });
  assert.deepEqual(await axe(), []);
  await widget.getByRole("button", { name: "Create an account", exact: true }).click();
  await widget.locator("#pc-name").waitFor();
  assert.deepEqual(await axe(), []);
  await page.context().close();
});
