// Email under wrangler dev (workerd, local D1 and Durable Objects): sign-in by emailed
// code, the pre-hijacking defence, password reset, and send limits, with every message
// read back from the development mailbox as a person reads their inbox. A second edge
// sends through the HTTP mail-API transport to a local mail API.

import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, test } from "node:test";

import { createRemoteJWKSet, jwtVerify } from "jose";

import { freePort, startEdge } from "./harness.mjs";
import { assertNoServerErrors, callJson, recordingFetch, redeemFlow, startDemoFlow } from "./oidc-support.mjs";

const PASSWORD = "correct horse battery staple 42";
const NEW_PASSWORD = "a brand new passphrase for 2027";

let edge;
before(async () => {
  edge = await startEdge();
});
after(async () => {
  await edge?.dispose();
});

const call = (method, path, body, base = edge) => callJson(base, method, path, body);

const startFlow = () => startDemoFlow(call);

const redeem = (outcome, verifier) => redeemFlow(edge, outcome, verifier);

async function idClaims(tokens) {
  const jwks = createRemoteJWKSet(new URL(`${edge.api}/.well-known/jwks.json`));
  const { payload } = await jwtVerify(tokens.id_token, jwks, { issuer: edge.origin, audience: "demo" });
  return payload;
}

/** The newest message to `to` in the development mailbox. */
async function newestMail(to) {
  const response = await call("GET", `/v1/dev/mailbox?to=${encodeURIComponent(to)}`);
  assert.equal(response.status, 200);
  const [message] = response.body.messages;
  assert.ok(message, `no mail to ${to}`);
  return message;
}

const codeIn = (text) => /Your code: (\d{6})/.exec(text)?.[1];
const linkIn = (text, label) => new RegExp(`${label}: (\\S+)`).exec(text)?.[1];

async function signUp(email, password = PASSWORD) {
  const { flow, verifier } = await startFlow();
  const done = await call("POST", `/v1/flows/${flow}/sign-up`, { email, password });
  return redeem(done, verifier);
}

/** Signs in `email` with an emailed code typed into the flow; returns the step's answer. */
async function emailSignIn(email) {
  const { flow, verifier } = await startFlow();
  assert.equal((await call("POST", `/v1/flows/${flow}/email`, { email })).status, 202);
  const done = await call("POST", `/v1/flows/${flow}/email/code`, { code: codeIn((await newestMail(email)).text) });
  return { done, verifier };
}

test("proof of an address wipes what came before it: a password planted before the owner proves the address stops working", async () => {
  // The attacker signs up first with the owner's address, and keeps a refresh token.
  const planted = await signUp("ada@example.com");
  assert.equal((await idClaims(planted)).email_verified, false);
  assert.ok(planted.refresh_token);
  // No verification link is mailed that the owner could follow for the attacker.
  const welcome = await call("GET", `/v1/dev/mailbox?to=ada%40example.com`);
  assert.deepEqual(welcome.body.messages, []);

  // The owner signs in with a code from their mailbox, and is told what was removed.
  const { done, verifier } = await emailSignIn("ada@example.com");
  assert.equal(done.status, 200);
  assert.equal(done.body.notice, "credentials_removed");
  assert.equal((await idClaims(await redeem(done, verifier))).email_verified, true);

  // The planted password and refresh token are dead.
  const { flow } = await startFlow();
  const old = await call("POST", `/v1/flows/${flow}/password`, { email: "ada@example.com", password: PASSWORD });
  assert.equal(old.status, 401);
  assert.equal(old.body.code, "invalid_credentials");
  const refreshed = await recordingFetch(`${edge.api}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: planted.refresh_token, client_id: "demo" }),
  });
  assert.equal(refreshed.status, 400);
  assert.equal((await refreshed.json()).error, "invalid_grant");

  // A second proof removes nothing more.
  const again = await emailSignIn("ada@example.com");
  assert.equal(again.done.status, 200);
  assert.equal(again.done.body.notice, undefined);
  assertNoServerErrors();
});

test("a code signs in only the window it is typed into: an attacker's scripted flow gets nothing from the owner's mailbox", async () => {
  // The attacker knows only the address and scripts requests without an Origin header.
  const { flow } = await startFlow();
  assert.equal((await call("POST", `/v1/flows/${flow}/email`, { email: "ada@example.com" })).status, 202);
  const mail = await newestMail("ada@example.com");
  assert.equal(mail.subject, "Your sign-in code for Portcullis Demo");
  // The mail holds a code and no link that could finish the flow from another browser.
  assert.doesNotMatch(mail.text, /https?:\/\//);
  assert.doesNotMatch(mail.html, /href="https?:/);
  // There is nothing to poll: the starter learns nothing of what the owner does.
  const poll = await call("POST", `/v1/flows/${flow}/email/link`, {});
  assert.equal(poll.status, 404);
  // Links from older emails use nothing.
  const old = await recordingFetch(`${edge.api}/email-link`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token: "A".repeat(43) }),
  });
  assert.equal(old.status, 400);
  assert.match(await old.text(), /This link has expired/);
  // Guessing is bounded: wrong codes end the flow.
  let last;
  for (let i = 0; i < 5; i += 1) {
    last = await call("POST", `/v1/flows/${flow}/email/code`, { code: "000000" === codeIn(mail.text) ? "111111" : "000000" });
  }
  assert.equal(last.body.code, "too_many_attempts");
  assertNoServerErrors();
});

test("an emailed code signs in once; the used code then fails with a clear code", async () => {
  const { flow, verifier } = await startFlow();
  const sent = await call("POST", `/v1/flows/${flow}/email`, { email: "ada@example.com" });
  assert.equal(sent.status, 202);
  assert.deepEqual(sent.body, { expires_in: 600, code_length: 6 });
  const mail = await newestMail("ada@example.com");
  assert.equal(mail.subject, "Your sign-in code for Portcullis Demo");
  const code = codeIn(mail.text);
  const wrong = await call("POST", `/v1/flows/${flow}/email/code`, { code: code === "000000" ? "111111" : "000000" });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.body.code, "code_invalid");
  const done = await call("POST", `/v1/flows/${flow}/email/code`, { code });
  const claims = await idClaims(await redeem(done, verifier));
  assert.deepEqual(claims.amr, ["otp"]);
  const reused = await call("POST", `/v1/flows/${flow}/email/code`, { code });
  assert.equal(reused.body.code, "flow_not_found");
});

test("a password reset through the mailed link: the old password and refresh token stop working", async () => {
  const tokens = await signUp("grace@example.com");
  assert.ok(tokens.refresh_token);
  const known = await call("POST", "/v1/recovery/password", { client_id: "demo", email: "grace@example.com" });
  const unknown = await call("POST", "/v1/recovery/password", { client_id: "demo", email: "nobody@example.com" });
  assert.equal(known.status, 202);
  assert.deepEqual([known.status, known.body], [unknown.status, unknown.body]);
  const link = new URL(linkIn((await newestMail("grace@example.com")).text, "Choose a new password"));
  assert.equal(link.pathname, "/reset-password");
  const token = link.searchParams.get("token");
  const reset = await call("POST", "/v1/recovery/password/reset", { token, password: NEW_PASSWORD });
  assert.equal(reset.status, 204);
  const reused = await call("POST", "/v1/recovery/password/reset", { token, password: NEW_PASSWORD });
  assert.equal(reused.body.code, "link_expired");

  const { flow } = await startFlow();
  const old = await call("POST", `/v1/flows/${flow}/password`, { email: "grace@example.com", password: PASSWORD });
  assert.equal(old.body.code, "invalid_credentials");
  const refreshed = await recordingFetch(`${edge.api}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: "demo" }),
  });
  assert.equal(refreshed.status, 400);
  assert.equal((await refreshed.json()).error, "invalid_grant");
  const { flow: next, verifier } = await startFlow();
  await redeem(
    await call("POST", `/v1/flows/${next}/password`, { email: "grace@example.com", password: NEW_PASSWORD }),
    verifier,
  );
});

test("a burst of reset requests is throttled alike for existing and unknown addresses", async () => {
  const burst = async (email) => {
    const answers = [];
    for (let i = 0; i < 6; i += 1) {
      const r = await call("POST", "/v1/recovery/password", { client_id: "demo", email });
      answers.push([r.status, r.body]);
    }
    return answers;
  };
  await signUp("burst@example.com");
  const known = await burst("burst@example.com");
  const unknown = await burst("ghost@example.com");
  assert.deepEqual(
    known.map(([status]) => status),
    [202, 202, 202, 202, 202, 429],
  );
  assert.deepEqual(known, unknown);
  assertNoServerErrors();
});

test("the HTTP mail-API transport posts each message with its key", async () => {
  const received = [];
  const port = await freePort();
  const api = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      received.push({ authorization: req.headers.authorization, body: JSON.parse(body) });
      res.writeHead(202).end();
    });
  });
  await new Promise((r) => api.listen(port, "127.0.0.1", r));
  const mailing = await startEdge({
    vars: {
      MAIL_TRANSPORT: "http",
      MAIL_API_URL: `http://127.0.0.1:${port}/send`,
      MAIL_API_KEY: "test-mail-key",
      MAIL_FROM: "Shop <no-reply@shop.example>",
    },
  });
  try {
    const answer = await call("POST", "/v1/recovery/account", { client_id: "demo", email: "ada@example.com" }, mailing);
    assert.equal(answer.status, 202);
    assert.equal(received.length, 1);
    const [{ authorization, body }] = received;
    assert.equal(authorization, "Bearer test-mail-key");
    assert.equal(body.from, "Shop <no-reply@shop.example>");
    assert.equal(body.to, "ada@example.com");
    assert.equal(body.subject, "Your Portcullis Demo account");
    assert.match(body.text, /there is no account/);
    assert.match(body.html, /^<!doctype html>/);
    const mailbox = await call("GET", "/v1/dev/mailbox?to=ada%40example.com", undefined, mailing);
    assert.equal(mailbox.status, 404, "no development mailbox where mail is really sent");
  } finally {
    await mailing.dispose();
    await new Promise((r) => api.close(r));
  }
});
