// The widget's split wasm in headless Chromium: the first screen from the main module,
// the later screens from their own modules, fetched when the browser is idle or when a
// screen is first needed, and a module that cannot be fetched said as a network failure.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { launchBrowser, startEdge } from "./harness.mjs";

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

/** The demo page, with every widget module it requests recorded by file name. */
async function openDemo(setup = async () => {}) {
  const page = await browser.newPage();
  const problems = [];
  const modules = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("request", (r) => {
    const name = new URL(r.url()).pathname.split("/").pop();
    if (/^(split_|chunk_).*\.wasm$|\.pack$/.test(name)) modules.push(name);
  });
  await setup(page);
  await page.goto(`${edge.origin}/`);
  return { page, problems, modules };
}

/** Waits, polling for at most 15 s, until `done()` holds. */
async function until(done, what) {
  const deadline = Date.now() + 15_000;
  while (!done()) {
    if (Date.now() > deadline) assert.fail(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const email = (page) => page.locator("portcullis-signin").getByLabel("Email", { exact: true });

test("the later screens' modules are fetched while the browser is idle, before anyone asks, each once; the provider-return module only on a return", async () => {
  const { page, problems, modules } = await openDemo();
  await email(page).waitFor();
  // Nobody touches the page: only the idle prefetch can ask for the later screens' modules.
  const families = ["password", "sign_up", "email_code", "second_factor", "recovery", "signed_in", "profile"];
  // The password step's modules come in one file, asked for with the main module.
  const fetched = (f) => modules.includes(`split_${f}.wasm`) || modules.includes(`${f}.pack`);
  await until(() => families.every(fetched), `every family fetched: ${modules}`);
  await email(page).fill("someone@example.com");
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await page.locator("portcullis-signin").getByLabel("Password", { exact: true }).waitFor();
  const once = new Set(modules);
  assert.equal(once.size, modules.length, `a module fetched twice: ${modules}`);
  // The module that resumes a sign-in provider's return is fetched only on that return.
  assert.ok(!modules.includes("split_federation_resume.wasm"), `${modules}`);
  assert.deepEqual(problems, []);
  await page.close();
});

test("a screen whose module cannot be fetched says the network failed: no blank card, no crash, the first screen still works", async () => {
  const { page, problems } = await openDemo(async (page) => {
    await page.route("**/widget/*/split_sign_up.wasm", (route) => route.abort("internetdisconnected"));
  });
  await email(page).waitFor();
  await page.getByRole("button", { name: "Create an account" }).click();
  const alert = page.locator("portcullis-signin").getByRole("alert");
  await alert.filter({ hasText: "We couldn't reach the sign-in service" }).waitFor();
  // The widget's wasm is alive: the page can still sign the person out and back in.
  await page.reload();
  await email(page).fill("someone@example.com");
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await page.locator("portcullis-signin").getByLabel("Password", { exact: true }).waitFor();
  assert.deepEqual(problems, [], "a failed module load is not a wasm trap");
  await page.close();
});

test("the password step's modules come in one file with the main module; when that file fails, each is fetched on its own", async () => {
  const { page, problems, modules } = await openDemo(async (page) => {
    await page.route("**/widget/*/password.pack", (route) => route.abort("internetdisconnected"));
  });
  await email(page).fill("someone@example.com");
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await page.locator("portcullis-signin").getByLabel("Password", { exact: true }).waitFor();
  assert.ok(modules.includes("password.pack"), `${modules}`);
  assert.ok(modules.includes("split_password.wasm"), `fetched on its own after the pack failed: ${modules}`);
  assert.deepEqual(problems, []);
  await page.close();

  // With the pack, the password step fetches none of its modules on its own.
  const fine = await openDemo();
  await email(fine.page).fill("someone@example.com");
  await fine.page.getByRole("button", { name: "Continue", exact: true }).click();
  await fine.page.locator("portcullis-signin").getByLabel("Password", { exact: true }).waitFor();
  assert.ok(fine.modules.includes("password.pack"), `${fine.modules}`);
  assert.ok(!fine.modules.includes("split_password.wasm"), `${fine.modules}`);
  assert.deepEqual(fine.problems, []);
  await fine.page.close();
});
