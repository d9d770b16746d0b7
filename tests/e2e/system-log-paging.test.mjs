// The System Log API pages through 10,000 events without gaps or repeats, against the
// live edge: 10,000 events are written into the local D1 before it starts (four share
// each millisecond, and their uuids are not in their time order, so the cursor's
// tie-break on uuid is exercised), then `GET /api/v1/logs` is followed by its
// `Link: rel="next"` header in both sort orders and with a filter, and every event must
// come exactly once, in (published, uuid) order. A SIEM polling with the `after` cursor
// then gets only what happened after it, once.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { startEdge } from "./harness.mjs";
import { eventWriter, inBatches, openLocalD1 } from "./log-seed.mjs";
import { assertNoServerErrors, basic, clientsCli, eventually, postForm, recordingFetch } from "./oidc-support.mjs";

const SEEDED = 10_000;
const TYPES = ["user.session.start", "user.authentication.auth_via_password", "group.lifecycle.create"];
// Bounds every walk: a cursor that looped would fail here, not hang.
const MAX_PAGES = 200;

/** Event `i` of the seed: 7919 is prime to 10,000, so the uuids are a shuffle of 0..9999. */
function seeded(i, start) {
  return {
    uuid: `00000000-0000-4000-8000-${String((i * 7919) % SEEDED).padStart(12, "0")}`,
    published: start + Math.floor(i / 4),
    eventType: TYPES[i % TYPES.length],
    outcome: i % 11 ? "SUCCESS" : "FAILURE",
    actor: { id: `u${i % 97}`, type: "User", alternateId: `person-${i % 97}@seed.example` },
    client: { id: "demo", ipAddress: "198.51.100.7" },
    target: [{ id: `u${i % 97}`, type: "User" }],
  };
}

/** `(published, uuid)` order, the API's. */
const byTime = (a, b) => a.published - b.published || (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0);

describe("System Log API: 10,000 events, paged", () => {
  let edge;
  let token;
  let ops;
  let events;
  // The seed lies between these, before the edge writes anything of its own.
  const start = Date.now() - 3 * 86_400_000;
  const since = new Date(start).toISOString();
  const until = new Date(start + SEEDED).toISOString();

  before(async () => {
    edge = await startEdge({
      setup: async ({ stateDir }) => {
        ops = clientsCli(stateDir, [
          "add", "--id", "siem", "--name", "SIEM", "--type", "confidential",
          "--grant-type", "client_credentials", "--scope", "admin.logs.read admin.groups.manage",
        ]);
        const db = await openLocalD1(stateDir);
        const write = eventWriter(db);
        inBatches(db, SEEDED, (i) => write(seeded(i, start)));
        db.close();
      },
    });
    const grant = await postForm(edge, "/token", { grant_type: "client_credentials", scope: "admin.logs.read admin.groups.manage" }, { auth: basic("siem", ops.client_secret) });
    assert.equal(grant.status, 200, JSON.stringify(grant.body));
    token = grant.body.access_token;
    events = Array.from({ length: SEEDED }, (_, i) => seeded(i, start)).sort(byTime);
  });
  after(async () => {
    await edge?.dispose();
    assertNoServerErrors();
  });

  async function get(path) {
    const response = await recordingFetch(`${edge.api}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const body = await response.json();
    assert.equal(response.status, 200, `${path}: ${JSON.stringify(body)}`);
    const next = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get("link") ?? "")?.[1];
    return { body, next };
  }

  /** Follows `rel="next"` from `first` until a page comes back short; every page's events, and the last next link. */
  async function walk(first, limit) {
    const seen = [];
    let path = first;
    for (let pages = 0; pages < MAX_PAGES; pages++) {
      const { body, next } = await get(path);
      assert.ok(body.length <= limit, `a page of ${body.length} over limit ${limit}`);
      seen.push(...body);
      if (body.length < limit || !next) return { seen, next };
      const url = new URL(next);
      assert.equal(url.pathname, "/api/v1/logs");
      path = `${url.pathname}${url.search}`;
    }
    assert.fail(`more than ${MAX_PAGES} pages`);
  }

  const query = (params) => `/api/v1/logs?${new URLSearchParams(params)}`;
  const uuids = (list) => list.map((e) => e.uuid);

  test("ascending: every event once, in (published, uuid) order, with pages that do not divide the total", async () => {
    const { seen } = await walk(query({ since, until, limit: "997" }), 997);
    assert.equal(seen.length, SEEDED);
    assert.equal(new Set(uuids(seen)).size, SEEDED, "no repeats");
    assert.deepEqual(uuids(seen), uuids(events));
    assert.deepEqual(seen.slice(0, 3).map((e) => e.published), events.slice(0, 3).map((e) => new Date(e.published).toISOString()));
  });

  test("descending: every event once, newest first", async () => {
    const { seen } = await walk(query({ since, until, limit: "1000", sortOrder: "DESCENDING" }), 1000);
    assert.equal(seen.length, SEEDED);
    assert.deepEqual(uuids(seen), uuids(events).reverse());
  });

  test("with a filter: exactly the matching events, each once, in order", async () => {
    const filter = 'eventType eq "user.session.start" and outcome.result eq "SUCCESS"';
    const { seen } = await walk(query({ since, until, limit: "250", filter }), 250);
    const expected = events.filter((e) => e.eventType === "user.session.start" && e.outcome === "SUCCESS");
    assert.ok(expected.length > 2000, `${expected.length}`);
    assert.deepEqual(uuids(seen), uuids(expected));
    const actor = await walk(query({ since, until, limit: "40", sortOrder: "DESCENDING", filter: 'target.id eq "u5"' }), 40);
    assert.deepEqual(uuids(actor.seen), uuids(events.filter((e) => e.target[0].id === "u5")).reverse());
  });

  test("polling: after the last cursor only newer events come, once; a page past the end is empty", async () => {
    const filter = 'eventType eq "group.lifecycle.create"';
    const drained = await walk(query({ since, limit: "1000", filter }), 1000);
    assert.deepEqual(uuids(drained.seen), uuids(events.filter((e) => e.eventType === "group.lifecycle.create")));
    assert.ok(drained.next, "a polling query always links to what comes next");
    const cursor = new URL(drained.next);
    const poll = `${cursor.pathname}${cursor.search}`;
    assert.deepEqual((await get(poll)).body, [], "nothing new yet");

    const made = await recordingFetch(`${edge.api}/scim/v2/Groups`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/scim+json" },
      body: JSON.stringify({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "polled" }),
    });
    assert.equal(made.status, 201);
    const group = await made.json();
    // Events reach the log through a queue: poll the same cursor until it shows.
    const fresh = await eventually(() => get(poll), (r) => r.body.length > 0);
    assert.deepEqual(fresh.body.map((e) => [e.eventType, e.target[0].id]), [["group.lifecycle.create", group.id]]);
    assert.ok(!uuids(events).includes(fresh.body[0].uuid));
    // From the new cursor: nothing again, no repeat.
    const again = new URL(fresh.next);
    assert.deepEqual((await get(`${again.pathname}${again.search}`)).body, []);
  });
});
