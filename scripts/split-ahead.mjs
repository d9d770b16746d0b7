// Lets the widget's loader fetch the password step's modules ahead of the wasm that asks
// for them, in one request.
//
// `node scripts/split-ahead.mjs <__wasm_split.js> <modules dir>` rewrites, in place, the
// module loader that wasm-split-cli writes beside the split modules, and writes
// `password.pack` into the modules' directory: the password family's module and the
// chunks it needs, one after another. Each module is otherwise fetched on its own when
// the wasm first needs it (over HTTP/1.1, six at a time); after this, once the loader has
// called `fetchAhead("password")`, the modules come out of the pack instead, each once. A
// module whose pack failed to arrive is fetched on its own when needed.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [path, modules] = process.argv.slice(2);
if (!path || !modules) throw new Error("usage: split-ahead.mjs <__wasm_split.js> <modules dir>");
const source = readFileSync(path, "utf8");

const FETCH = /fetch\(new URL\("\.\/([\w.]+\.wasm)", import\.meta\.url\)\)/g;
if (!FETCH.test(source)) throw new Error(`${path}: no module fetches found; has wasm-split-cli changed?`);

// `const __chunk_9 = makeLoad(() => { … "./chunk_9.wasm" …` and
// `export const __wasm_split_load_password = wrapAsyncCb(makeLoad(() => { … "./split_password.wasm" … }, [__chunk_9, …]));`
const files = new Map();
for (const m of source.matchAll(/const (__chunk_\d+) = makeLoad\(\(\) => \{\s*const src = fetch\(new URL\("\.\/([\w.]+)"/g)) {
  files.set(m[1], m[2]);
}
const FAMILY =
  /export const __wasm_split_load_password = wrapAsyncCb\(makeLoad\(\(\) => \{\s*const src = fetch\(new URL\("\.\/([\w.]+)"[\s\S]*?\}\s*,\s*\[([^\]]*)\]\)\)/;
const family = source.match(FAMILY);
if (!family) throw new Error(`${path}: no password family found; has wasm-split-cli changed?`);
const members = [
  family[1],
  ...family[2]
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean)
    .map((name) => {
      const file = files.get(name);
      if (!file) throw new Error(`${path}: the password family needs ${name}, which loads no file`);
      return file;
    }),
];

// The pack: the members' bytes one after another; the index says where each is.
const parts = [];
let offset = 0;
const bytes = members.map((file) => {
  const content = readFileSync(join(modules, file));
  parts.push([file, offset, content.length]);
  offset += content.length;
  return content;
});
writeFileSync(join(modules, "password.pack"), Buffer.concat(bytes));

const preamble = `// The modules fetched ahead by fetchAhead(), each used once by the first load that
// needs it; they come out of one file (PACK: each module's name, offset and length).
const ahead = new Map();
let fetchedAhead = false;
const PACK = ${JSON.stringify({ file: "password.pack", parts })};
function fetchOnce(url) {
  const early = ahead.get(url.href);
  if (early === undefined) return fetch(url);
  ahead.delete(url.href);
  return early;
}
/** Starts fetching the password step's modules, in one request, before they are needed. */
export function fetchAhead() {
  if (fetchedAhead) return;
  fetchedAhead = true;
  const pack = fetch(new URL(PACK.file, import.meta.url)).then((response) => {
    if (!response.ok) throw new Error(\`\${PACK.file} answered \${response.status}\`);
    return response.arrayBuffer();
  });
  for (const [file, offset, length] of PACK.parts) {
    const module = pack.then(
      (all) => new Response(all.slice(offset, offset + length), { headers: { "content-type": "application/wasm" } }),
    );
    module.catch(() => {});
    ahead.set(new URL(file, import.meta.url).href, module);
  }
}
`;
const rewritten = source.replace(FETCH, 'fetchOnce(new URL("./$1", import.meta.url))');
const firstImport = rewritten.indexOf("\n", rewritten.indexOf("import "));
writeFileSync(path, rewritten.slice(0, firstImport + 1) + preamble + rewritten.slice(firstImport + 1));
