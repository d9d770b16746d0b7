// Limits on guessing under wrangler dev (workerd, the counter Durable Objects): a burst of
// parallel wrong passwords for one account from one IP address gets no more than the
// per-(account, IP prefix) limit checked; the rest are refused unchecked, and none fails.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { startEdge } from "./harness.mjs";
import { assertNoServerErrors, callJson, redeemFlow, startDemoFlow } from "./oidc-support.mjs";

const PASSWORD = "correct horse battery staple 42";
// MAX_FAILURES_PER_ACCOUNT_AND_IP in edge/src/throttle.rs: wrong passwords per account
// from one IP prefix per 15 minutes.
const LIMIT_PER_ACCOUNT_AND_IP = 10;
const BURST = 40;
// Cloudflare sets cf-connecting-ip; wrangler dev sets it to the caller's address unless
// the request carries one. Either way, every request here comes from one address.
const IP = "203.0.113.40";

let edge;
before(async () => {
  edge = await startEdge();
});
after(async () => {
  await edge?.dispose();
});

const call = (method, path, body) => callJson(edge, method, path, body, { "cf-connecting-ip": IP });

const startFlow = () => startDemoFlow(call);

test("40 parallel wrong passwords for one account from one IP: at most the limit are checked, the rest get too_many_attempts", async () => {
  const email = "ada@example.com";
  const { flow, verifier } = await startFlow();
  const signedUp = await call("POST", `/v1/flows/${flow}/sign-up`, { email, password: PASSWORD });
  await redeemFlow(edge, signedUp, verifier);

  // Each guess in a flow of its own, all flows started first so the guesses go out together.
  const flows = await Promise.all(Array.from({ length: BURST }, () => startFlow()));
  const answers = await Promise.all(
    flows.map(({ flow: guessFlow }, i) =>
      call("POST", `/v1/flows/${guessFlow}/password`, { email, password: `${PASSWORD} wrong ${i}` }),
    ),
  );
  const summary = answers.map((a) => `${a.status} ${a.body?.code ?? a.text}`).join(", ");

  assert.deepEqual(
    answers.filter((a) => a.status >= 500),
    [],
    `no guess may end in a server error: ${summary}`,
  );
  // A checked guess is wrong, or (once the account counts as under attack) answered as a
  // right password would be, with a code nobody can type.
  const judged = answers.filter(
    (a) => (a.status === 401 && a.body?.code === "invalid_credentials") || (a.status === 200 && a.body?.status === "verify_email"),
  );
  const refused = answers.filter((a) => a.status === 429 && a.body?.code === "too_many_attempts");
  assert.ok(judged.length >= 1, `some guesses are checked: ${summary}`);
  assert.ok(
    judged.length <= LIMIT_PER_ACCOUNT_AND_IP,
    `at most ${LIMIT_PER_ACCOUNT_AND_IP} checked, ${judged.length} were: ${summary}`,
  );
  assert.equal(refused.length, BURST - judged.length, `the rest are refused unchecked: ${summary}`);

  // The (account, IP) pair stays limited: from here even the right password is refused.
  const { flow: last } = await startFlow();
  const right = await call("POST", `/v1/flows/${last}/password`, { email, password: PASSWORD });
  assert.equal(right.status, 429, JSON.stringify(right.body));
  assert.equal(right.body.code, "too_many_attempts");
  assertNoServerErrors();
});
