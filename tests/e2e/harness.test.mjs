// The harness itself: a test run killed mid-way leaves nothing running after the next
// run's start.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { reapStrays, ROOT } from "./harness.mjs";

function running(pid) {
  try {
    // A zombie has exited; only its table entry waits for its parent.
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** Live (non-zombie) processes whose process group is one of `groups`. */
function membersOf(groups) {
  const members = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (state !== "Z" && groups.includes(Number(pgrp))) members.push(Number(entry));
    } catch {
      // Exited while we looked.
    }
  }
  return members;
}

test("processes of a SIGKILLed test run are killed by the next run's reaper", async () => {
  const script = `
    import { startEdge, launchBrowser } from ${JSON.stringify(join(ROOT, "tests/e2e/harness.mjs"))};
    await startEdge();
    await launchBrowser();
    console.log("READY " + process.pid);
    setInterval(() => {}, 1000);
  `;
  const victim = spawn(process.execPath, ["--input-type=module", "-e", script], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error("victim never got ready")), 90_000);
    victim.stdout.on("data", (d) => String(d).includes("READY") && (clearTimeout(timer), ok()));
    victim.on("exit", (code) => fail(new Error(`victim exited early (${code})`)));
  });
  victim.kill("SIGKILL");
  await new Promise((r) => victim.once("exit", r));

  const recorded = readFileSync(join(ROOT, "target/e2e/pids"), "utf8")
    .split("\n")
    .filter((line) => line.split(" ")[1] === String(victim.pid))
    .map((line) => Number.parseInt(line, 10));
  assert.equal(recorded.length, 2, "wrangler and chromium were recorded");
  const left = membersOf(recorded);
  assert.ok(left.length >= 2, `the killed run left workerd and chromium behind: ${left}`);

  reapStrays();
  const deadline = Date.now() + 10_000;
  while (membersOf(recorded).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(membersOf(recorded), [], "nothing it started is still running");
  assert.deepEqual(recorded.filter(running), []);
});
