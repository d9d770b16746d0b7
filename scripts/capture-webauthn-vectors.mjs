// Captures a real registration and assertion from Chromium's virtual CTAP2 authenticator
// (internal transport, resident keys, user verification) on http://localhost:PORT, and
// writes them as a test vector for the edge's WebAuthn ceremonies:
//
//   node scripts/capture-webauthn-vectors.mjs   (after scripts/build)
//
// The challenges are fixed so the vector documents what the relying party issued.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

import { ROOT, addVirtualAuthenticator, launchBrowser, startEdge } from "../tests/e2e/harness.mjs";

const b64url = (bytes) => Buffer.from(bytes).toString("base64url");
const registrationChallenge = Buffer.from("portcullis-registration-vector-1");
const authenticationChallenge = Buffer.from("portcullis-authentication-vec-01");

function chromiumVersion() {
  const result = spawnSync(process.env.CHROMIUM ?? "/usr/bin/chromium", ["--version"], { encoding: "utf8" });
  return result.stdout.trim() || "Chromium";
}

const edge = await startEdge();
const browser = await launchBrowser();
try {
  const page = await browser.newPage();
  await page.goto(`${edge.origin}/`);
  await addVirtualAuthenticator(page);
  const captured = await page.evaluate(
    async ({ registrationChallenge, authenticationChallenge }) => {
      const bytes = (buffer) => Array.from(new Uint8Array(buffer));
      const created = await navigator.credentials.create({
        publicKey: {
          rp: { id: "localhost", name: "Portcullis" },
          user: { id: new TextEncoder().encode("user-1"), name: "ada@example.com", displayName: "Ada" },
          challenge: new Uint8Array(registrationChallenge),
          pubKeyCredParams: [{ type: "public-key", alg: -7 }],
          authenticatorSelection: { residentKey: "required", userVerification: "required" },
          attestation: "none",
        },
      });
      const asserted = await navigator.credentials.get({
        publicKey: {
          rpId: "localhost",
          challenge: new Uint8Array(authenticationChallenge),
          userVerification: "required",
        },
      });
      return {
        credentialId: bytes(created.rawId),
        registration: {
          clientDataJSON: bytes(created.response.clientDataJSON),
          attestationObject: bytes(created.response.attestationObject),
        },
        authentication: {
          clientDataJSON: bytes(asserted.response.clientDataJSON),
          authenticatorData: bytes(asserted.response.authenticatorData),
          signature: bytes(asserted.response.signature),
          userHandle: bytes(asserted.response.userHandle),
        },
      };
    },
    {
      registrationChallenge: Array.from(registrationChallenge),
      authenticationChallenge: Array.from(authenticationChallenge),
    },
  );
  const vector = {
    source: `${chromiumVersion()} CDP virtual authenticator (ctap2, internal, resident key, user verification), captured by scripts/capture-webauthn-vectors.mjs`,
    rp_id: "localhost",
    origin: edge.origin,
    credential_id: b64url(captured.credentialId),
    registration: {
      challenge: b64url(registrationChallenge),
      client_data_json: b64url(captured.registration.clientDataJSON),
      attestation_object: b64url(captured.registration.attestationObject),
    },
    authentication: {
      challenge: b64url(authenticationChallenge),
      client_data_json: b64url(captured.authentication.clientDataJSON),
      authenticator_data: b64url(captured.authentication.authenticatorData),
      signature: b64url(captured.authentication.signature),
      user_handle: b64url(captured.authentication.userHandle),
    },
  };
  const out = join(ROOT, "edge/tests/vectors/webauthn-chromium-virtual-ctap2.json");
  writeFileSync(out, `${JSON.stringify(vector, null, 2)}\n`);
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await edge.dispose();
}
