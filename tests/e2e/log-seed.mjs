// System Log rows written straight into the local D1 file (miniflare keeps one SQLite
// file per database) after the migrations and before the edge starts: how the paging
// e2e test and `node scripts/bench.mjs admin` get many events fast. Loopback state only.
import { readdirSync } from "node:fs";
import { join } from "node:path";

/** The local D1 database file under `stateDir`. */
export function localD1File(stateDir) {
  const dir = join(stateDir, "v3/d1/miniflare-D1DatabaseObject");
  const file = readdirSync(dir).find((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite");
  return join(dir, file);
}

/** The local D1 database of `stateDir`, open for writing (close it before the edge starts). */
export async function openLocalD1(stateDir) {
  const { DatabaseSync } = await import("node:sqlite");
  return new DatabaseSync(localD1File(stateDir));
}

/** Calls `each(i)` for `i` in `0..total`, one transaction per 50,000 rows. */
export function inBatches(db, total, each) {
  for (let from = 0; from < total; from += 50_000) {
    db.exec("BEGIN");
    for (let i = from; i < Math.min(total, from + 50_000); i++) each(i);
    db.exec("COMMIT");
  }
}

/**
 * An inserter of System Log events into `db`: give it the event as the API shows it
 * (`uuid`, `published` as Unix milliseconds, `eventType`, `outcome`, `actor`, `client`,
 * `target`); it stores the columns the queries read and the JSON the API returns.
 */
export function eventWriter(db) {
  const insert = db.prepare(
    "INSERT INTO events (uuid, published, event_type, severity, outcome, actor_id, client_id, ip_address, data) VALUES (?, ?, ?, 'INFO', ?, ?, ?, ?, ?)",
  );
  return ({ uuid, published, eventType, outcome = "SUCCESS", actor, client, target = [], displayMessage = "seeded" }) => {
    const data = JSON.stringify({
      uuid, published: new Date(published).toISOString(), eventType, severity: "INFO", displayMessage,
      actor, client, request: { ipAddress: client.ipAddress }, outcome: { result: outcome }, target,
    });
    insert.run(uuid, published, eventType, outcome, actor.id, client.id, client.ipAddress, data);
  };
}
