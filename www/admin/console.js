// Starts the admin console (Rust, built into /admin/pkg/ by scripts/build-console).
import init, { start } from "/admin/pkg/portcullis-console.js";

await init({ module_or_path: new URL("/admin/pkg/portcullis-console_bg.wasm", import.meta.url) });
await start(document.getElementById("console"));
