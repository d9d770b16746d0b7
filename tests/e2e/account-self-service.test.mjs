// The account API's self-service routes against the edge under wrangler dev (workerd,
// local D1 and Durable Objects): changing one's email address (`/v1/me/email`, the code
// read from the development mailbox), sessions (`/v1/me/sessions`) and applications
// (`/v1/me/applications`) with their revocation seen at `/token`, the export's new
// parts, and every `/v1/me` route called with one person's token and another's ids (and
// the routes that name no one, which act on the caller alone).
// Every person is made through the first-party API as the widget does; every call
// carries an account-API token (audience `{issuer}/v1/me`, scope `account`). One edge for
// the file; each test has people of its own.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { passphrase, startEdge } from "./harness.mjs";
import {
  assertNoServerErrors,
  callJson,
  newestMail,
  pkce,
  postForm,
  random,
  redeemFlow,
} from "./oidc-support.mjs";

let edge;

before(async () => {
  edge = await startEdge();
});
after(async () => {
  await edge?.dispose();
  assertNoServerErrors();
});

const ACCOUNT_SCOPE = "openid email profile offline_access account";

const address = (label) =>
  `${label}-${random(6).toLowerCase().replace(/[^a-z0-9]/g, "x")}@example.com`;

/** Starts an embedded flow for the demo client; returns its handle and PKCE verifier. */
async function startFlow() {
  const { verifier, challenge } = pkce();
  const started = await callJson(edge, "POST", "/v1/flows", {
    client_id: "demo",
    code_challenge: challenge,
    code_challenge_method: "S256",
    scope: ACCOUNT_SCOPE,
  });
  assert.equal(started.status, 201, started.text);
  return { flow: started.body.flow_id, verifier };
}

/** An account-API access token from a refresh token, as the widget gets one. */
async function accountToken(refreshToken) {
  const answer = await postForm(edge, "/token", {
    grant_type: "refresh_token",
    refresh_token: refreshToken,
    client_id: "demo",
    resource: `${edge.origin}/v1/me`,
  });
  return answer;
}

/** A session of `who`: their tokens and an account-API token of it. */
async function session(tokens) {
  const account = await accountToken(tokens.refresh_token);
  assert.equal(account.status, 200, JSON.stringify(account.body));
  return { refresh: account.body.refresh_token, token: account.body.access_token };
}

/** A new person signed up through the embedded flow; their first session. */
async function person(label) {
  const email = address(label);
  const password = passphrase((t) => `correct horse ${t} staple`);
  const { flow, verifier } = await startFlow();
  const signedUp = await callJson(edge, "POST", `/v1/flows/${flow}/sign-up`, { email, password });
  const tokens = await redeemFlow(edge, signedUp, verifier);
  const first = await session(tokens);
  const sub = JSON.parse(Buffer.from(first.token.split(".")[1], "base64url").toString()).sub;
  return { email, password, sub, ...first };
}

/** Another sign-in of `who` with their password: a second session. */
async function signInAgain(who) {
  const { flow, verifier } = await startFlow();
  const signedIn = await callJson(edge, "POST", `/v1/flows/${flow}/password`, {
    email: who.email,
    password: who.password,
  });
  return session(await redeemFlow(edge, signedIn, verifier));
}

const me = (who, method, path, body) =>
  callJson(edge, method, path, body, { authorization: `Bearer ${who.token}` });

/** The six-digit code in the newest mail to `to`. */
async function codeSentTo(to) {
  const mail = await newestMail(edge, to);
  const found = mail.text.match(/\b(\d{6})\b/);
  assert.ok(found, `a code in ${mail.text}`);
  return found[1];
}

const refreshes = async (refreshToken) =>
  (await postForm(edge, "/token", { grant_type: "refresh_token", refresh_token: refreshToken, client_id: "demo" }))
    .status;

test("change email: the new address replaces the old only with the code sent to it; the old one is told; replays, wrong codes and another person's token are refused", async () => {
  const [ada, eve] = [await person("ada"), await person("eve")];
  const newAddress = address("ada-new");
  const started = await me(ada, "POST", "/v1/me/email", { email: newAddress });
  assert.equal(started.status, 202, started.text);
  assert.equal(started.body.expires_in, 600);
  const changeId = started.body.change_id;
  const code = await codeSentTo(newAddress);

  // Not before the proof.
  assert.equal((await me(ada, "GET", "/v1/me/export")).body.profile.email, ada.email);
  const wrong = code === "000000" ? "111111" : "000000";
  const refused = await me(ada, "POST", "/v1/me/email/confirm", { change_id: changeId, code: wrong });
  assert.equal(refused.status, 401, refused.text);
  assert.equal(refused.body.code, "code_invalid");
  // Eve, holding the handle and the code, is answered as for no change, and uses up nothing.
  const stolen = await me(eve, "POST", "/v1/me/email/confirm", { change_id: changeId, code });
  assert.equal(stolen.body.code, "code_expired", stolen.text);
  assert.equal((await me(eve, "GET", "/v1/me/export")).body.profile.email, eve.email);

  // Confirmed five times at once: one wins, the others find nothing.
  const raced = await Promise.all(
    Array.from({ length: 5 }, () => me(ada, "POST", "/v1/me/email/confirm", { change_id: changeId, code })),
  );
  const won = raced.filter((r) => r.status === 200);
  assert.equal(won.length, 1, JSON.stringify(raced.map((r) => [r.status, r.body])));
  assert.deepEqual(won[0].body, { email: newAddress, email_verified: true });
  for (const lost of raced.filter((r) => r.status !== 200)) {
    assert.equal(lost.body.code, "code_expired", lost.text);
  }
  const notice = await newestMail(edge, ada.email);
  assert.match(notice.subject, /email address/i);
  assert.doesNotMatch(notice.text, new RegExp(code));

  // Tokens follow: the refreshed grant carries the new, verified address.
  const renewed = await accountToken(ada.refresh);
  assert.equal(renewed.status, 200, JSON.stringify(renewed.body));
  const userinfo = await callJson(edge, "GET", "/userinfo", undefined, {
    authorization: `Bearer ${(await postForm(edge, "/token", { grant_type: "refresh_token", refresh_token: renewed.body.refresh_token, client_id: "demo" })).body.access_token}`,
  });
  assert.equal(userinfo.body.email, newAddress, userinfo.text);
  assert.equal(userinfo.body.email_verified, true);
  // The old address no longer signs in; the new one does.
  const { flow } = await startFlow();
  const old = await callJson(edge, "POST", `/v1/flows/${flow}/password`, { email: ada.email, password: ada.password });
  assert.equal(old.body.code, "invalid_credentials", old.text);
  await signInAgain({ ...ada, email: newAddress });
});

test("change email: another account's address gets the same answer, its owner is told without a code, and no code sets it", async () => {
  const [ada, bob] = [await person("ada"), await person("bob")];
  const free = await me(ada, "POST", "/v1/me/email", { email: address("free") });
  const taken = await me(ada, "POST", "/v1/me/email", { email: bob.email.toUpperCase() });
  assert.equal(taken.status, free.status, taken.text);
  assert.deepEqual(Object.keys(taken.body).sort(), Object.keys(free.body).sort());
  assert.equal(taken.body.change_id.length, free.body.change_id.length);
  const told = await newestMail(edge, bob.email);
  assert.doesNotMatch(told.text, /\b\d{6}\b/, "no code for the owner to give away");
  for (const code of ["000000", "123456"]) {
    const tried = await me(ada, "POST", "/v1/me/email/confirm", { change_id: taken.body.change_id, code });
    assert.equal(tried.body.code, "code_invalid", tried.text);
  }
  assert.equal((await me(bob, "GET", "/v1/me/export")).body.profile.email, bob.email);

  // A code for one address never sets another.
  const mine = address("mine");
  const forMine = await me(ada, "POST", "/v1/me/email", { email: mine });
  const myCode = await codeSentTo(mine);
  const theirs = await me(ada, "POST", "/v1/me/email", { email: address("victim") });
  const crossed = await me(ada, "POST", "/v1/me/email/confirm", { change_id: theirs.body.change_id, code: myCode });
  assert.notEqual(crossed.status, 200, crossed.text);
  const bad = await me(ada, "POST", "/v1/me/email", { email: "not an address" });
  assert.equal(bad.status, 400, bad.text);
  assert.equal(bad.body.code, "invalid_request");
  const done = await me(ada, "POST", "/v1/me/email/confirm", { change_id: forMine.body.change_id, code: myCode });
  assert.equal(done.status, 200, done.text);
});

test("sessions: each sign-in is listed with its client and the current one marked; ending another one kills its refresh token; 'all others' keeps the caller's", async () => {
  const ada = await person("ada");
  const second = { ...ada, ...(await signInAgain(ada)) };
  const third = await signInAgain(ada);
  const listed = await me(second, "GET", "/v1/me/sessions");
  assert.equal(listed.status, 200, listed.text);
  assert.equal(listed.body.sessions.length, 3);
  assert.equal(listed.body.sessions.filter((s) => s.current).length, 1);
  for (const s of listed.body.sessions) {
    assert.equal(s.client_id, "demo");
    assert.deepEqual(s.amr, ["pwd"]);
    assert.ok(s.signed_in_at > 0 && s.expires_at > s.created_at);
  }

  // Ending the first session: its refresh token is refused at once, the others live.
  const others = listed.body.sessions.filter((s) => !s.current);
  const firstId = (await me(ada, "GET", "/v1/me/sessions")).body.sessions.find((s) => s.current).id;
  assert.ok(others.some((s) => s.id === firstId));
  const ended = await me(second, "DELETE", `/v1/me/sessions/${firstId}`);
  assert.equal(ended.status, 204, ended.text);
  assert.equal(await refreshes(ada.refresh), 400);
  assert.equal((await me(ada, "GET", "/v1/me/sessions")).status, 401, "its access token is dead too");
  assert.equal((await me(second, "DELETE", `/v1/me/sessions/${firstId}`)).body.code, "session_not_found");

  const rest = await me(second, "DELETE", "/v1/me/sessions");
  assert.equal(rest.status, 200, rest.text);
  assert.equal(rest.body.ended, 1);
  assert.equal(await refreshes(third.refresh), 400);
  const left = await me(second, "GET", "/v1/me/sessions");
  assert.deepEqual(left.body.sessions.map((s) => s.current), [true]);
});

test("applications: the client holding grants is listed with its scopes and consents; revoking it ends its refresh tokens; the export holds both lists", async () => {
  const ada = await person("ada");
  const consent = await me(ada, "POST", "/v1/me/consents", {
    purpose: "terms",
    state: "granted",
    document_version: "1",
    text_sha256: "ab".repeat(32),
  });
  assert.equal(consent.status, 201, consent.text);
  const other = await signInAgain(ada);
  const apps = await me(ada, "GET", "/v1/me/applications");
  assert.equal(apps.status, 200, apps.text);
  assert.equal(apps.body.applications.length, 1);
  const [demo] = apps.body.applications;
  assert.equal(demo.client_id, "demo");
  assert.equal(demo.sessions, 2);
  assert.ok(demo.scopes.includes("account") && demo.scopes.includes("offline_access"), demo.scopes);
  assert.deepEqual(demo.consents.map((c) => [c.purpose, c.state]), [["terms", "granted"]]);

  const exported = await me(ada, "GET", "/v1/me/export");
  assert.equal(exported.status, 200, exported.text);
  assert.equal(exported.body.app_sessions.length, 2);
  assert.deepEqual(exported.body.applications.map((a) => a.client_id), ["demo"]);

  const revoked = await me(ada, "DELETE", "/v1/me/applications/demo");
  assert.equal(revoked.status, 204, revoked.text);
  assert.equal(await refreshes(ada.refresh), 400);
  assert.equal(await refreshes(other.refresh), 400);
});

test("isolation: person B's token with person A's ids, through every /v1/me route, reaches nothing of A's and changes nothing", async () => {
  const [ada, bob] = [await person("ada"), await person("bob")];
  const adaSecond = await signInAgain(ada);
  const receipt = await me(ada, "POST", "/v1/me/consents", {
    purpose: "marketing_email",
    state: "granted",
    document_version: "7",
    text_sha256: "cd".repeat(32),
  });
  const receiptId = receipt.body.records[0].id;
  const newAddress = address("ada-moved");
  const change = await me(ada, "POST", "/v1/me/email", { email: newAddress });
  const code = await codeSentTo(newAddress);
  const adaSessions = (await me(ada, "GET", "/v1/me/sessions")).body.sessions;
  const before = (await me(ada, "GET", "/v1/me/export")).body;

  const ids = [...adaSessions.map((s) => s.id), receiptId, change.body.change_id, ada.sub];
  const calls = [
    ["GET", "/v1/me/profile"],
    ["PATCH", "/v1/me/profile", {}],
    ["GET", "/v1/me/export"],
    ["GET", "/v1/me/consents"],
    ["GET", "/v1/me/passkeys"],
    ["GET", "/v1/me/factors"],
    ["GET", "/v1/me/identities"],
    ["GET", "/v1/me/sessions"],
    ["GET", "/v1/me/applications"],
    ["POST", "/v1/me/email/confirm", { change_id: change.body.change_id, code }],
    ...ids.flatMap((id) => [
      ["GET", `/v1/me/consents/receipts/${id}`],
      ["DELETE", `/v1/me/sessions/${id}`],
      ["PATCH", `/v1/me/passkeys/${id}`, { name: "mine now" }],
      ["DELETE", `/v1/me/passkeys/${id}`],
      ["DELETE", `/v1/me/factors/${id}`],
      ["DELETE", `/v1/me/devices/${id}`],
      ["DELETE", `/v1/me/identities/${id}`],
      ["DELETE", `/v1/me/applications/${id}`],
    ]),
  ];
  for (const [method, path, body] of calls) {
    const answer = await me(bob, method, path, body);
    assert.ok(answer.status < 500, `${method} ${path}: ${answer.text}`);
    assert.ok(!answer.text.includes(ada.sub), `${method} ${path} names A: ${answer.text}`);
    assert.ok(!answer.text.includes(ada.email), `${method} ${path} shows A's address`);
    if (method === "DELETE" || path.startsWith("/v1/me/consents/receipts/") || path.endsWith("/confirm")) {
      assert.notEqual(answer.status, 200, `${method} ${path}`);
      assert.notEqual(answer.status, 204, `${method} ${path}`);
    }
  }
  // A is as before: every session alive, the change still hers to confirm.
  assert.equal(await refreshes(adaSecond.refresh), 200);
  const after = (await me(ada, "GET", "/v1/me/export")).body;
  assert.equal(after.app_sessions.length, before.app_sessions.length);
  assert.deepEqual(after.consents, before.consents);
  const confirmed = await me(ada, "POST", "/v1/me/email/confirm", { change_id: change.body.change_id, code });
  assert.equal(confirmed.status, 200, confirmed.text);
  assert.equal((await me(bob, "GET", "/v1/me/export")).body.profile.email, bob.email);

  // The routes that name no one act on the caller alone, deleting the account included.
  const own = [
    ["POST", "/v1/me/passkeys/options", {}],
    ["POST", "/v1/me/factors/totp"],
    ["POST", "/v1/me/recovery-codes"],
    ["POST", "/v1/me/consents", { purpose: "marketing_email", state: "withdrawn", document_version: "7", text_sha256: "cd".repeat(32) }],
    ["DELETE", "/v1/me/devices"],
    ["DELETE", "/v1/me/sessions"],
    ["DELETE", "/v1/me"],
  ];
  for (const [method, path, body] of own) {
    const answer = await me(bob, method, path, body);
    assert.ok(answer.status < 500, `${method} ${path}: ${answer.text}`);
    for (const adas of [ada.sub, ada.email, newAddress]) {
      assert.ok(!answer.text.includes(adas), `${method} ${path} shows A's data`);
    }
  }
  // A's first session still works; her sessions and consents are as they were.
  const exported = await me(ada, "GET", "/v1/me/export");
  assert.equal(exported.status, 200, exported.text);
  const still = exported.body;
  assert.equal(still.profile.email, newAddress);
  assert.deepEqual(still.consents, after.consents);
  assert.equal(still.app_sessions.length, after.app_sessions.length);
});
