#!/usr/bin/env node
// Independent cross-check of milo_codec output with Ajv (JSON Schema draft 2020-12).
//
//   node tools/node/check.mjs --schemas <dir> [--root <$id>] [files or dirs...]
//
// Every *.json under --schemas (recursively, sorted) is a schema with an absolute
// $id. They are all added, then each one is compiled: that meta-validates it and
// resolves every $ref among the loaded schemas only (no loadSchema, so nothing is
// ever fetched). Each data file (a directory means every *.json inside it,
// recursively, sorted) is parsed with JSON.parse, which rejects NaN/Infinity
// tokens, and validated against the root schema.
// Output: SCHEMA/READ/PARSE/INVALID lines; exit status 1 if anything failed.

import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Ajv2020 from "ajv/dist/2020.js";

const DEFAULT_ROOT = "https://milo-codec.invalid/schemas/envelope/v1.json";
const CUSTOM_KEYWORD_PREFIX = "x-milo-";

const { values: opts, positionals: dataArgs } = parseArgs({
  options: {
    schemas: { type: "string" },
    root: { type: "string", default: DEFAULT_ROOT },
    help: { type: "boolean", short: "h" },
  },
  allowPositionals: true,
});
if (opts.help || !opts.schemas) {
  console.error("usage: node check.mjs --schemas <dir> [--root <$id>] [files or dirs...]");
  process.exit(opts.help ? 0 : 2);
}

let failed = false;
function fail(kind, path, message) {
  console.log(`${kind} ${path}: ${message.replace(/\s*\n\s*/g, " ")}`); // one line each
  failed = true;
}

// A file path as given, or every *.json file below a directory, sorted by path.
function jsonFiles(path) {
  if (!statSync(path).isDirectory()) return [path];
  const found = [];
  for (const name of readdirSync(path).sort()) {
    const child = join(path, name);
    if (statSync(child).isDirectory()) found.push(...jsonFiles(child));
    else if (name.endsWith(".json")) found.push(child);
  }
  return found.sort();
}

// Strict UTF-8 (invalid bytes are an error, not U+FFFD) then JSON.parse.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
function readJson(path) {
  return JSON.parse(utf8.decode(readFileSync(path)));
}

function collectCustomKeywords(node, into) {
  if (Array.isArray(node)) {
    for (const item of node) collectCustomKeywords(item, into);
  } else if (node !== null && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (key.startsWith(CUSTOM_KEYWORD_PREFIX)) into.add(key);
      collectCustomKeywords(value, into);
    }
  }
}

function isAbsoluteUri(id) {
  try {
    new URL(id);
    return !id.includes("#");
  } catch {
    return false;
  }
}

// Options: strict: true turns on strictSchema (unknown keywords and unknown formats
// are errors; hence x-milo-* must be registered), strictNumbers, strictTypes,
// strictTuples and strictRequired. Two relaxations, both for ordinary 2020-12:
// - allowUnionTypes: true: type: ["number", "string"] (e.g. sklearn params that are
//   a float or a string) is standard; strictTypes alone allows only unions with
//   "null". strictTypes stays on otherwise, so type-specific keywords (properties,
//   items, minimum...) need an explicit matching "type" next to them or inherited
//   from an in-place applicator's parent.
// - strictRequired: false: Ajv's check is local to one schema object, so it rejects
//   the usual conditional pattern `then: {required: ["b"]}` even when "b" is in the
//   parent's properties.
// allErrors: report every error, not just the first. validateSchema: meta-validate
// each schema against draft 2020-12 when it is added.
const ajv = new Ajv2020({
  strict: true,
  allowUnionTypes: true,
  strictRequired: false,
  allErrors: true,
  validateSchema: true,
});

// Load the schema files.
let schemaFiles = [];
try {
  schemaFiles = jsonFiles(opts.schemas);
} catch (err) {
  fail("READ", opts.schemas, err.message);
}
const schemas = [];
for (const path of schemaFiles) {
  try {
    const schema = readJson(path);
    if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
      fail("SCHEMA", path, "not a JSON object");
    } else if (typeof schema.$id !== "string" || !isAbsoluteUri(schema.$id)) {
      fail("SCHEMA", path, "missing or non-absolute $id");
    } else {
      schemas.push({ path, schema });
    }
  } catch (err) {
    fail("SCHEMA", path, err.message);
  }
}

// Register the annotation-only custom keywords before any schema is added.
const customKeywords = new Set();
for (const { schema } of schemas) collectCustomKeywords(schema, customKeywords);
for (const keyword of [...customKeywords].sort()) ajv.addKeyword({ keyword });

// Add all, then compile each (meta-validation happens at add time).
const added = [];
for (const entry of schemas) {
  try {
    ajv.addSchema(entry.schema);
    added.push(entry);
  } catch (err) {
    fail("SCHEMA", entry.path, err.message);
  }
}
let compiled = 0;
for (const { path, schema } of added) {
  try {
    ajv.getSchema(schema.$id);
    compiled += 1;
  } catch (err) {
    fail("SCHEMA", path, err.message);
  }
}

// Validate the data files against the root schema.
let validFiles = 0;
if (dataArgs.length > 0) {
  let validate;
  try {
    validate = ajv.getSchema(opts.root);
  } catch {
    validate = undefined; // its compile error was reported above
  }
  if (!validate) {
    fail("ROOT", opts.root, "no compiled schema with this $id");
  } else {
    for (const arg of dataArgs) {
      let files;
      try {
        files = jsonFiles(arg);
      } catch (err) {
        fail("READ", arg, err.message);
        continue;
      }
      for (const path of files) {
        let data;
        try {
          data = readJson(path);
        } catch (err) {
          fail("PARSE", path, err.message);
          continue;
        }
        if (validate(data)) {
          validFiles += 1;
        } else {
          for (const e of validate.errors) {
            fail("INVALID", path, `${e.instancePath || "(root)"} ${e.message} ${JSON.stringify(e.params)}`);
          }
        }
      }
    }
  }
}

if (failed) process.exit(1);
console.log(`ajv: ${compiled} schemas compiled, ${validFiles} files valid`);
