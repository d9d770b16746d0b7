// The edge API under wrangler dev (workerd), with local D1 and Durable Objects.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { startEdge, widgetBuild } from "./harness.mjs";

let edge;
before(async () => {
  edge = await startEdge();
});
after(async () => {
  await edge?.dispose();
});

const json = { "content-type": "application/json" };

// RFC 7636 Appendix B: a flow ends in a code, so it starts with a PKCE challenge.
const PKCE = { code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", code_challenge_method: "S256" };

async function startFlow(body = { client_id: "demo", login_hint: "ada@example.com", ...PKCE }, headers = {}) {
  return fetch(`${edge.api}/v1/flows`, { method: "POST", headers: { ...json, ...headers }, body: JSON.stringify(body) });
}

test("GET /v1/health answers from workerd", async () => {
  const response = await fetch(`${edge.api}/v1/health`);
  assert.equal(response.status, 200);
  const body = await response.json();
  assert.equal(body.status, "ok");
  assert.match(body.version, /^\d+\.\d+\.\d+/);
});

test("GET /v1/clients/demo reads the client registered in D1", async () => {
  const response = await fetch(`${edge.api}/v1/clients/demo`);
  assert.equal(response.status, 200);
  // account_api: the demo client allows what its widget needs to manage passkeys.
  assert.deepEqual(await response.json(), { client_id: "demo", name: "Portcullis Demo", account_api: true });
  const unknown = await fetch(`${edge.api}/v1/clients/no-such-client`);
  assert.equal(unknown.status, 404);
  assert.equal((await unknown.json()).code, "unknown_client");
});

test("flow handles live in the one-time Durable Object: start, then single-use cancel", async () => {
  const started = await startFlow();
  assert.equal(started.status, 201);
  const { flow_id, next, expires_in } = await started.json();
  assert.equal(next, "password");
  assert.equal(expires_in, 600);
  const first = await fetch(`${edge.api}/v1/flows/${flow_id}`, { method: "DELETE" });
  assert.equal(first.status, 204);
  const second = await fetch(`${edge.api}/v1/flows/${flow_id}`, { method: "DELETE" });
  assert.equal(second.status, 404);
  assert.equal((await second.json()).code, "flow_not_found");
});

test("of 25 concurrent takes of one flow handle, exactly one succeeds (atomic take)", async () => {
  for (let round = 0; round < 3; round++) {
    const { flow_id } = await (await startFlow()).json();
    const statuses = await Promise.all(
      Array.from({ length: 25 }, () =>
        fetch(`${edge.api}/v1/flows/${flow_id}`, { method: "DELETE" }).then((r) => r.status),
      ),
    );
    assert.equal(statuses.filter((s) => s === 204).length, 1, `round ${round}: ${statuses}`);
    assert.equal(statuses.filter((s) => s === 404).length, 24, `round ${round}: ${statuses}`);
  }
});

test("a page whose origin is not on the client's allow-list is refused, readably", async () => {
  const response = await startFlow(undefined, { origin: "https://evil.example" });
  assert.equal(response.status, 403);
  assert.equal(response.headers.get("access-control-allow-origin"), "https://evil.example");
  assert.equal((await response.json()).code, "origin_not_allowed");
});

test("CORS preflight is answered for the JSON API", async () => {
  const response = await fetch(`${edge.api}/v1/flows`, {
    method: "OPTIONS",
    headers: {
      origin: "https://shop.example",
      "access-control-request-method": "POST",
      "access-control-request-headers": "content-type",
    },
  });
  assert.equal(response.status, 204);
  assert.equal(response.headers.get("access-control-allow-origin"), "https://shop.example");
  assert.match(response.headers.get("access-control-allow-methods"), /POST/);
});

test("bad input gets a stable JSON error code, never a 500", async () => {
  const cases = [
    [{ method: "POST", headers: json, body: "{" }, "/v1/flows", 400, "invalid_request"],
    [{ method: "POST", headers: json, body: '{"client_id": 5}' }, "/v1/flows", 400, "invalid_request"],
    [{ method: "POST", headers: { "content-type": "text/plain" }, body: '{"client_id":"demo"}' }, "/v1/flows", 415, "unsupported_media_type"],
    [{ method: "POST", headers: json, body: JSON.stringify({ client_id: "x".repeat(40_000) }) }, "/v1/flows", 413, "payload_too_large"],
    [{ method: "POST", headers: json, body: '{"client_id":"nope"}' }, "/v1/flows", 404, "unknown_client"],
    [{ method: "PUT", headers: json, body: "{}" }, "/v1/flows", 405, "method_not_allowed"],
    [{ method: "DELETE" }, "/v1/flows/not-a-handle", 404, "flow_not_found"],
    [{ method: "DELETE" }, `/v1/flows/${"A".repeat(43)}`, 404, "flow_not_found"],
    [{ method: "GET" }, "/v1/unknown", 404, "not_found"],
    [{ method: "GET" }, "/v1/clients/%E0%A4%A", 404, "unknown_client"],
  ];
  for (const [init, path, status, code] of cases) {
    const response = await fetch(`${edge.api}${path}`, init);
    const label = `${init.method} ${path}`;
    assert.equal(response.status, status, label);
    assert.match(response.headers.get("content-type") ?? "", /application\/json/, label);
    assert.equal((await response.json()).code, code, label);
  }
});

test("static assets: demo page, widget loader and wasm, loadable cross-origin", async () => {
  const page = await fetch(`${edge.api}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<portcullis-signin[^>]*client-id="demo"/);

  const loader = await fetch(`${edge.api}/widget.js`, { headers: { origin: "https://shop.example" } });
  assert.equal(loader.status, 200);
  assert.match(loader.headers.get("content-type"), /javascript/);
  assert.equal(loader.headers.get("access-control-allow-origin"), "*");
  // The loader names this build's directory: its modules are never mixed with another's.
  assert.ok((await loader.text()).includes(widgetBuild()), "the loader names its build");

  const wasm = await fetch(`${edge.api}/widget/${widgetBuild()}/portcullis-widget_bg.wasm`);
  assert.equal(wasm.status, 200);
  assert.equal(wasm.headers.get("content-type"), "application/wasm");
  assert.equal(wasm.headers.get("access-control-allow-origin"), "*");
  const bytes = new Uint8Array(await wasm.arrayBuffer());
  assert.deepEqual([...bytes.slice(0, 4)], [0x00, 0x61, 0x73, 0x6d], "wasm magic");

  // A build's files never change under their name: kept a year. The loader, whose bytes
  // name the current build, and the stylesheet are kept five minutes.
  assert.equal(wasm.headers.get("cache-control"), "public, max-age=31536000, immutable");
  const catalogue = await fetch(`${edge.api}/widget/${widgetBuild()}/locales/de.json`);
  assert.equal(catalogue.status, 200);
  assert.equal(catalogue.headers.get("cache-control"), "public, max-age=31536000, immutable");
  assert.equal(typeof (await catalogue.json()), "object");
  assert.equal(loader.headers.get("cache-control"), "public, max-age=300");
  const css = await fetch(`${edge.api}/widget/widget.css`);
  assert.equal(css.status, 200);
  assert.equal(css.headers.get("cache-control"), "public, max-age=300");
});
