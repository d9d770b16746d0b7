// Lets the widget's loader fetch a family of screens ahead of the wasm that asks for it.
//
// `node scripts/split-ahead.mjs <__wasm_split.js>` rewrites, in place, the module loader
// that wasm-split-cli writes beside the split modules. Each module there is fetched when
// the wasm first needs it; after this, a fetch the loader started earlier for the same
// file (`fetchAhead(family)`) is used instead, once. The loader starts the password
// family with the main module, so that the password step needs no fetch of its own
// after the address is sent; a file fetched ahead that failed is fetched again when
// needed.
import { readFileSync, writeFileSync } from "node:fs";

const [path] = process.argv.slice(2);
if (!path) throw new Error("usage: split-ahead.mjs <__wasm_split.js>");
const source = readFileSync(path, "utf8");

const FETCH = /fetch\(new URL\("\.\/([\w.]+\.wasm)", import\.meta\.url\)\)/g;
if (!FETCH.test(source)) throw new Error(`${path}: no module fetches found; has wasm-split-cli changed?`);

// `const __chunk_9 = makeLoad(() => { … "./chunk_9.wasm" …` and
// `export const __wasm_split_load_password = wrapAsyncCb(makeLoad(() => { … "./split_password.wasm" … }, [__chunk_9, …]));`
const files = new Map();
for (const m of source.matchAll(/const (__chunk_\d+) = makeLoad\(\(\) => \{\s*const src = fetch\(new URL\("\.\/([\w.]+)"/g)) {
  files.set(m[1], m[2]);
}
const families = {};
const FAMILY =
  /export const __wasm_split_load_(\w+) = wrapAsyncCb\(makeLoad\(\(\) => \{\s*const src = fetch\(new URL\("\.\/([\w.]+)"[\s\S]*?\}\s*,\s*\[([^\]]*)\]\)\)/g;
for (const m of source.matchAll(FAMILY)) {
  const chunks = m[3]
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean)
    .map((name) => {
      const file = files.get(name);
      if (!file) throw new Error(`${path}: ${m[1]} needs ${name}, which loads no file`);
      return file;
    });
  families[m[1]] = [m[2], ...chunks];
}
if (!families.password) throw new Error(`${path}: no password family found; has wasm-split-cli changed?`);

const preamble = `// Files fetched ahead by fetchAhead(), each used once by the first load that needs it.
const ahead = new Map();
const FAMILIES = ${JSON.stringify(families)};
function fetchOnce(url) {
  const early = ahead.get(url.href);
  if (early === undefined) return fetch(url);
  ahead.delete(url.href);
  return early;
}
/** Starts fetching the files of a family of screens (see FAMILIES) before it is needed. */
export function fetchAhead(family) {
  for (const file of FAMILIES[family] ?? []) {
    const url = new URL(file, import.meta.url);
    if (ahead.has(url.href)) continue;
    const response = fetch(url);
    response.catch(() => {});
    ahead.set(url.href, response);
  }
}
`;
const rewritten = source.replace(FETCH, 'fetchOnce(new URL("./$1", import.meta.url))');
const firstImport = rewritten.indexOf("\n", rewritten.indexOf("import "));
writeFileSync(path, rewritten.slice(0, firstImport + 1) + preamble + rewritten.slice(firstImport + 1));
