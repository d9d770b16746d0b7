// Helpers for the tests that drive the widget in Chromium: a tab that records the
// widget's events, the tokens a sign-in hands the page, and an authenticator app (otplib,
// a TOTP implementation this project did not write) standing in for the person's phone.
import { generateSync } from "otplib";

/** RFC 6238 time step of authenticator apps. */
export const STEP_SECONDS = 30;
/** The current RFC 6238 time step. */
export const stepNow = () => Math.floor(Date.now() / 1000 / STEP_SECONDS);

/**
 * A new tab of `browser` whose documents record the widget's DOM events named in `names`
 * in `window.__events`, after running `initScripts`; page errors go to `page.problems`.
 */
export async function recordingTab(browser, names, ...initScripts) {
  const page = await browser.newPage();
  page.problems = [];
  page.on("pageerror", (e) => page.problems.push(`pageerror: ${e.message}`));
  for (const script of initScripts) await page.addInitScript(script);
  await page.addInitScript((names) => {
    window.__events = [];
    for (const name of names) {
      document.addEventListener(name, (e) => window.__events.push({ name, detail: e.detail }), true);
    }
  }, names);
  return page;
}

/**
 * Serves `url?…` in `page` as a host page titled `title` that embeds the widget, the
 * query's parameters as the element's attributes (`client-id`, `login-hint`, `lang`, …).
 */
export async function serveWidgetPage(page, url, title) {
  await page.route(`${url}?*`, (route) => {
    const query = new URL(route.request().url()).searchParams;
    const attrs = [...query].map(([k, v]) => `${k}="${v}"`).join(" ");
    route.fulfill({
      contentType: "text/html; charset=utf-8",
      body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<link rel="icon" href="data:,"><script type="module" src="/widget.js"></script></head>
<body><h1>${title}</h1><portcullis-signin passkey-autofill="off" ${attrs}></portcullis-signin></body></html>`,
    });
  });
}

/** The token response of the `n`th `portcullis:signed-in` in `page`, waited for. */
export async function signedIn(page, n = 1) {
  await page.waitForFunction(
    (n) => window.__events.filter((e) => e.name === "portcullis:signed-in").length >= n,
    n,
    { timeout: 30_000 },
  );
  const all = await page.evaluate(() => window.__events.filter((e) => e.name === "portcullis:signed-in"));
  return all[n - 1].detail;
}

/** Console problems other than the browser's note about an expected 4xx response. */
export const unexpected = (problems) => problems.filter((p) => !/status of 4[0-9][0-9]/.test(p));

/** An authenticator app holding `key` (base32): its codes, each accepted once per account. */
export class Phone {
  constructor(key) {
    this.key = key;
    this.lastStep = 0;
  }

  /** The code of time step `step`. */
  at(step) {
    return generateSync({ secret: this.key, epoch: step * STEP_SECONDS });
  }

  /** The code the app shows now (or of the last step used, if that is later). */
  code() {
    this.lastStep = Math.max(this.lastStep, stepNow());
    return this.at(this.lastStep);
  }

  /**
   * A code of a time step after every one used so far, as the app shows it within the
   * next 30 s: waited for until it is at most one step ahead (RFC 6238 §5.2 accepts one
   * step either side). Waits at most one step.
   */
  async next() {
    const wanted = Math.max(this.lastStep + 1, stepNow());
    const deadline = Date.now() + (STEP_SECONDS + 2) * 1000;
    while (stepNow() < wanted - 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    this.lastStep = wanted;
    return this.at(wanted);
  }

  /** A six-digit code that is none of the codes the app gives around now. */
  wrong() {
    const valid = new Set([-1, 0, 1, 2].map((d) => this.at(stepNow() + d)));
    for (let n = 0; ; n++) {
      const code = String(123456 + n).padStart(6, "0");
      if (!valid.has(code)) return code;
    }
  }
}
