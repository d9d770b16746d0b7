// Local state (D1 and Durable Objects) survives a restart of wrangler dev.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { test } from "node:test";

import { startEdge } from "./harness.mjs";

test("a flow started before a wrangler dev restart can be used after it", async () => {
  const first = await startEdge();
  const stateDir = first.stateDir;
  let second;
  try {
    const response = await fetch(`${first.api}/v1/flows`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        client_id: "demo",
        code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        code_challenge_method: "S256",
      }),
    });
    assert.equal(response.status, 201);
    const { flow_id } = await response.json();
    await first.stop();

    second = await startEdge({ stateDir });
    const client = await fetch(`${second.api}/v1/clients/demo`);
    assert.equal(client.status, 200, "the D1 client row survived");
    const taken = await fetch(`${second.api}/v1/flows/${flow_id}`, { method: "DELETE" });
    assert.equal(taken.status, 204, "the Durable Object's value survived");
  } finally {
    await first.stop();
    await second?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
});
