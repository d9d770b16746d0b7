// Checks message catalogues against their en.json: the same keys, the same {arguments},
// CLDR plural categories, nothing left empty. The native tests of the widget and the edge
// check the same and more; this is the quick check while translating.
//
//   node scripts/check-locales.mjs [--edge | --console] [tag …]   (all catalogues without tags)
//
// widget/locales/ by default; --edge checks the edge's (emails and pages), edge/locales/;
// --console the admin console's, www/admin/console/locales/.

import { readdirSync, readFileSync } from "node:fs";

const FLAGS = { "--edge": "../edge/locales/", "--console": "../www/admin/console/locales/" };
const flag = process.argv.find((arg) => arg in FLAGS);
const dir = new URL(FLAGS[flag] ?? "../widget/locales/", import.meta.url);
const wantedTags = process.argv.slice(2).filter((arg) => !(arg in FLAGS));
const read = (tag) => JSON.parse(readFileSync(new URL(`${tag}.json`, dir), "utf8"));
const args = (text) => new Set([...text.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]));
const same = (a, b) => a.size === b.size && [...a].every((x) => b.has(x));
const CATEGORIES = new Set(["zero", "one", "two", "few", "many", "other"]);

const english = read("en");
const tags = wantedTags.length
  ? wantedTags
  : readdirSync(dir).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5));
let problems = 0;
const problem = (tag, key, what) => {
  problems++;
  console.log(`${tag} ${key}: ${what}`);
};
for (const tag of tags) {
  let catalogue;
  try {
    catalogue = read(tag);
  } catch (error) {
    problem(tag, "-", String(error));
    continue;
  }
  for (const key of Object.keys(catalogue)) if (!(key in english)) problem(tag, key, "not in en.json");
  let untranslated = 0;
  for (const [key, source] of Object.entries(english)) {
    const value = catalogue[key];
    const wanted = args(typeof source === "string" ? source : source.other);
    if (value === undefined) problem(tag, key, "missing");
    else if (typeof value === "string") {
      if (typeof source !== "string") problem(tag, key, "needs plural forms (an object)");
      if (!value.trim() && !key.endsWith("-rest")) problem(tag, key, "empty");
      if (!same(args(value), wanted)) problem(tag, key, `arguments ${[...args(value)]} ≠ ${[...wanted]}`);
      if (value === source) untranslated++;
    } else if (value && typeof value === "object") {
      if (typeof source === "string") problem(tag, key, "plural forms for a plain message");
      if (typeof value.other !== "string") problem(tag, key, 'no "other" form');
      else if (!same(args(value.other), wanted)) problem(tag, key, `"other" arguments ≠ ${[...wanted]}`);
      for (const [category, form] of Object.entries(value)) {
        if (!CATEGORIES.has(category)) problem(tag, key, `${category} is not a CLDR plural category`);
        if (typeof form !== "string" || [...args(form)].some((a) => !wanted.has(a))) {
          problem(tag, key, `${category}: a string, with no argument en.json lacks`);
        }
      }
    } else problem(tag, key, "a string or plural forms");
  }
  if (tag !== "en" && untranslated > 6) problem(tag, "-", `${untranslated} messages left in English`);
}
console.log(problems ? `${problems} problems` : `${tags.length} catalogues fine`);
process.exit(problems ? 1 : 0);
