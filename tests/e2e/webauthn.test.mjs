// Chromium's virtual authenticator (CDP WebAuthn domain) on the demo origin: the base
// that passkey tests build on.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { addVirtualAuthenticator, launchBrowser, startEdge } from "./harness.mjs";

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

test("a passkey is created and then used on http://localhost:PORT through the virtual authenticator", async () => {
  const page = await browser.newPage();
  await page.goto(`${edge.origin}/`);
  const { cdp, authenticatorId } = await addVirtualAuthenticator(page);

  const created = await page.evaluate(async () => {
    const credential = await navigator.credentials.create({
      publicKey: {
        rp: { id: "localhost", name: "Portcullis" },
        user: { id: new TextEncoder().encode("user-1"), name: "ada@example.com", displayName: "Ada" },
        challenge: crypto.getRandomValues(new Uint8Array(32)),
        pubKeyCredParams: [{ type: "public-key", alg: -7 }],
        authenticatorSelection: { residentKey: "required", userVerification: "required" },
      },
    });
    const clientData = JSON.parse(new TextDecoder().decode(credential.response.clientDataJSON));
    return { id: credential.id, type: clientData.type, origin: clientData.origin };
  });
  assert.equal(created.type, "webauthn.create");
  assert.equal(created.origin, edge.origin);

  const asserted = await page.evaluate(async () => {
    const credential = await navigator.credentials.get({
      publicKey: {
        rpId: "localhost",
        challenge: crypto.getRandomValues(new Uint8Array(32)),
        userVerification: "required",
      },
    });
    return {
      id: credential.id,
      userHandle: new TextDecoder().decode(credential.response.userHandle),
      type: JSON.parse(new TextDecoder().decode(credential.response.clientDataJSON)).type,
    };
  });
  assert.equal(asserted.id, created.id, "usernameless get finds the discoverable credential");
  assert.equal(asserted.userHandle, "user-1");
  assert.equal(asserted.type, "webauthn.get");

  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  assert.equal(credentials.length, 1);
  assert.equal(credentials[0].rpId, "localhost");
  assert.equal(credentials[0].isResidentCredential, true);
  assert.ok(credentials[0].signCount >= 1, "the assertion was signed by the authenticator");
  await page.close();
});
