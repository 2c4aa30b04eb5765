// Usage: node validate.mjs <document.json>
// Prints every diagnostic as one JSON line and exits 1 when any has error severity (0).
//
// @asyncapi/parser 3.x runs custom schema formats through their parser only for AsyncAPI 2.x
// documents; for 3.x it converts Avro without checking it. So every Multi Format Schema Object
// of the document is also handed to the Avro schema parser's own validate().
import { readFile } from "node:fs/promises";
import { Parser } from "@asyncapi/parser";
import { AvroSchemaParser } from "@asyncapi/avro-schema-parser";

const ERROR = 0;
const avro = AvroSchemaParser();
const avroFormats = new Set(avro.getMimeTypes());
const parser = new Parser();
parser.registerSchemaParser(avro);

function* multiFormatSchemas(node, path) {
  if (node === null || typeof node !== "object") return;
  if (typeof node.schemaFormat === "string" && "schema" in node) yield { node, path };
  for (const [key, child] of Object.entries(node)) yield* multiFormatSchemas(child, [...path, key]);
}

async function avroDiagnostics(raw) {
  const found = [];
  for (const { node, path } of multiFormatSchemas(raw, [])) {
    if (!avroFormats.has(node.schemaFormat)) continue;
    const input = { asyncapi: {}, data: node.schema, meta: {}, path, schemaFormat: node.schemaFormat, defaultSchemaFormat: "" };
    for (const result of (await avro.validate(input)) ?? []) {
      found.push({ severity: ERROR, code: "avro-schema", message: result.message, path: result.path?.length ? result.path : [...path, "schema"] });
    }
  }
  return found;
}

const text = await readFile(process.argv[2], "utf8");
const { document, diagnostics } = await parser.parse(text);
const all = [...diagnostics, ...(await avroDiagnostics(JSON.parse(text)))];
for (const d of all) {
  console.log(JSON.stringify({ severity: d.severity, code: d.code, message: d.message, path: d.path }));
}
if (all.some((d) => d.severity === ERROR) || document === undefined) {
  process.exit(1);
}
console.log(JSON.stringify({ valid: true, channels: document.channels().length, operations: document.operations().length }));
