// The widget's languages in headless Chromium: the page's `lang` (attribute or mount()
// option) or else the browser's preferred languages pick a catalogue, which is the only
// one downloaded; Arabic is laid out right to left; a catalogue that cannot be loaded
// leaves a working English widget; and in another language a wrong password and an
// unknown address still read the same.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { freePort, launchBrowser, ROOT, serveHostPage, startEdge } from "./harness.mjs";
import { clientsCli, createUser, newestMail } from "./oidc-support.mjs";

const CLIENT = "Brand Shop";
const catalogue = (tag) => JSON.parse(readFileSync(join(ROOT, "widget/locales", `${tag}.json`), "utf8"));
const title = (tag) => catalogue(tag)["card.sign-in-title"].replace("{client}", CLIENT);

let edge;
let host;
let browser;

before(async () => {
  const hostPort = await freePort();
  const hostOrigin = `http://localhost:${hostPort}`;
  edge = await startEdge({
    setup: ({ stateDir }) =>
      clientsCli(stateDir, [
        "add", "--id", "shop", "--name", CLIENT,
        "--redirect-uri", `${hostOrigin}/callback`, "--origin", hostOrigin,
      ]),
  });
  // The page builds its widget from its query: ?lang=ar, ?mount=fr (the mount() API).
  host = await serveHostPage(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title><link rel="icon" href="data:,">
     <script type="module">
       import { mount } from "${edge.origin}/widget.js";
       const query = new URLSearchParams(location.search);
       const element = document.createElement("portcullis-signin");
       element.setAttribute("passkey-autofill", "off");
       if (query.has("mount")) {
         document.body.append(element);
         mount(element, { clientId: "shop", lang: query.get("mount"), dom: "light", passkeyAutofill: false });
       } else {
         element.setAttribute("client-id", "shop");
         if (query.has("lang")) element.setAttribute("lang", query.get("lang"));
         document.body.append(element);
       }
     </script></head><body></body></html>`,
    hostPort,
  );
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await host?.close();
  await edge?.dispose();
});

/** Opens the host page; returns it with the catalogues it fetched. */
async function open(query = "", contextOptions = {}) {
  const page = await browser.newPage(contextOptions);
  const fetched = [];
  page.on("request", (request) => {
    const match = new URL(request.url()).pathname.match(/^\/widget\/[0-9a-f]{16}\/locales\/(.+)\.json$/);
    if (match) fetched.push(match[1]);
  });
  await page.goto(`${host.origin}/${query}`);
  return { page, fetched };
}

/** The `lang` and `dir` of the widget's root, once the heading shows `heading`. */
async function shown(page, heading) {
  await page.getByRole("heading", { name: heading }).waitFor();
  return page.locator(".pc-root").evaluate((root) => ({ lang: root.lang, dir: root.dir }));
}

test("the lang attribute picks the language: Arabic, right to left, one catalogue fetched", async () => {
  const { page, fetched } = await open("?lang=ar");
  assert.deepEqual(await shown(page, title("ar")), { lang: "ar", dir: "rtl" });
  const ar = catalogue("ar");
  const email = page.getByLabel(ar["identify.email"], { exact: true });
  await email.waitFor();
  assert.equal(await email.evaluate((input) => getComputedStyle(input).direction), "rtl");
  // Mirrored: a label's text starts at the card's right edge.
  const edges = await page.locator(".pc-card").evaluate((card) => {
    const box = card.getBoundingClientRect();
    // The label's text, not its box (a block as wide as the card).
    const range = document.createRange();
    range.selectNodeContents(card.querySelector("label"));
    const label = range.getBoundingClientRect();
    return { cardRight: box.right, cardLeft: box.left, labelRight: label.right, labelLeft: label.left };
  });
  assert.ok(
    edges.cardRight - edges.labelRight < edges.labelLeft - edges.cardLeft,
    `the label sits at the right: ${JSON.stringify(edges)}`,
  );
  await page.getByRole("button", { name: ar["identify.submit"], exact: true }).waitFor();
  assert.deepEqual(fetched, ["ar"]);
  await page.context().close();
});

test("mount() takes lang too; English is built in and fetches nothing", async () => {
  {
    const { page, fetched } = await open("?mount=fr");
    assert.deepEqual(await shown(page, title("fr")), { lang: "fr", dir: "ltr" });
    assert.deepEqual(fetched, ["fr"]);
    await page.context().close();
  }
  {
    const { page, fetched } = await open("?lang=en");
    assert.deepEqual(await shown(page, title("en")), { lang: "en", dir: "ltr" });
    assert.deepEqual(fetched, []);
    await page.context().close();
  }
});

test("without lang the browser's languages decide, falling back sensibly", async () => {
  const cases = [
    ["de-AT", "de"], // a region Portcullis has no catalogue for: the language
    ["zh-HK", "zh-TW"], // Traditional Chinese
    ["pt-PT", "pt-PT"],
    ["sw", "en"], // not spoken here: English
  ];
  for (const [locale, expected] of cases) {
    const { page, fetched } = await open("", { locale });
    assert.deepEqual(await shown(page, title(expected)), { lang: expected, dir: "ltr" }, locale);
    assert.deepEqual(fetched, expected === "en" ? [] : [expected], locale);
    await page.context().close();
  }
  // A lang the widget does not speak gives way to the browser's.
  const { page } = await open("?lang=tlh", { locale: "ja-JP" });
  assert.equal((await shown(page, title("ja"))).lang, "ja");
  await page.context().close();
});

test("a catalogue that cannot be loaded leaves a working widget in English", async () => {
  const page = await browser.newPage();
  const warnings = [];
  page.on("console", (m) => m.type() === "warning" && warnings.push(m.text()));
  await page.route("**/widget/*/locales/**", (route) => route.abort());
  await page.goto(`${host.origin}/?lang=ja`);
  assert.deepEqual(await shown(page, title("en")), { lang: "en", dir: "ltr" });
  await page.getByLabel("Email", { exact: true }).fill("ada@example.com");
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await page.getByLabel("Password", { exact: true }).waitFor();
  assert.ok(warnings.some((w) => w.includes("ja messages could not be loaded")), warnings.join("\n"));
  await page.context().close();
});

test("in Japanese, a wrong password and an unknown address read the same", async () => {
  const person = await createUser(edge, "shop");
  const ja = catalogue("ja");
  const { page } = await open("?lang=ja");
  await page.getByRole("heading", { name: title("ja") }).waitFor();
  const attempt = async (email, password) => {
    await page.getByLabel(ja["identify.email"], { exact: true }).fill(email);
    await page.getByRole("button", { name: ja["identify.submit"], exact: true }).click();
    const field = page.getByLabel(ja["password.password"], { exact: true });
    await field.fill(password);
    await page.getByRole("button", { name: ja["password.submit"], exact: true }).click();
    const alert = page.getByRole("alert").filter({ hasText: /\S/ });
    await alert.first().waitFor();
    const said = (await alert.allTextContents()).join(" ").trim();
    await page.getByRole("button", { name: ja["password.other-account"], exact: true }).click();
    return said;
  };
  const wrongPassword = await attempt(person.email, `${person.password} but wrong`);
  const unknownAddress = await attempt("nobody-here@example.com", person.password);
  assert.equal(wrongPassword, ja["failure.invalid-credentials"]);
  assert.equal(unknownAddress, wrongPassword);
  await page.context().close();
});

const edgeCatalogue = (tag) => JSON.parse(readFileSync(join(ROOT, "edge/locales", `${tag}.json`), "utf8"));


test("emails, the link page and the reset page follow the widget's language", async () => {
  const person = await createUser(edge, "shop");
  const [de, ja] = [catalogue("de"), catalogue("ja")];

  // German: "Forgot password?" → the reset email → the reset page, all in German.
  const { page } = await open("?lang=de");
  await page.getByLabel(de["identify.email"], { exact: true }).fill(person.email);
  await page.getByRole("button", { name: de["identify.submit"], exact: true }).click();
  await page.getByRole("button", { name: de["password.forgot"], exact: true }).click();
  await page.getByRole("button", { name: de["forgot.reset-submit"], exact: true }).click();
  await page.getByRole("heading", { name: de["card.check-email-title"] }).waitFor();
  const reset = await newestMail(edge, person.email);
  assert.equal(reset.subject, edgeCatalogue("de")["reset.subject"].replace("{app}", CLIENT));
  assert.match(reset.html, /^<!doctype html><html lang="de" dir="ltr">/);
  const resetLink = /(http\S+\/reset-password\?\S+)/.exec(reset.text)?.[1];
  assert.match(resetLink ?? "", /[?&]lang=de(&|$)/, reset.text);
  await page.goto(resetLink);
  assert.equal((await shown(page, catalogue("de")["card.reset-title"])).lang, "de");
  await page.context().close();

  // Japanese: the sign-in code email.
  const { page: japanese } = await open("?lang=ja");
  await japanese.getByLabel(ja["identify.email"], { exact: true }).fill(person.email);
  await japanese.getByRole("button", { name: ja["identify.submit"], exact: true }).click();
  await japanese.getByRole("button", { name: ja["email.send"], exact: true }).click();
  await japanese.getByLabel(ja["email.code"], { exact: true }).waitFor();
  const code = await newestMail(edge, person.email);
  const edgeJa = edgeCatalogue("ja");
  assert.equal(code.subject, edgeJa["sign-in.subject"].replace("{app}", CLIENT));
  assert.match(code.html, /^<!doctype html><html lang="ja" dir="ltr">/);
  assert.ok(code.text.includes(edgeJa["sign-in.code-only"]), code.text);
  await japanese.context().close();
});

test("the hosted sign-in page speaks the languages the app asked for (OIDC ui_locales)", async () => {
  const { page } = await open();
  // /signin as /authorize sends the browser there; the flow itself is not needed to
  // choose the language, only to sign in.
  const flow = "A".repeat(43);
  await page.goto(`${edge.origin}/signin?flow=${flow}&client_id=shop&ui_locales=tlh+pt-PT+en`);
  assert.equal((await shown(page, title("pt-PT"))).lang, "pt-PT");
  await page.context().close();
});
