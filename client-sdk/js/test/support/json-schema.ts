/**
 * A validator for the subset of JSON Schema (draft 2020-12) that client-sdk/protocol/lilium-protocol.schema.json
 * uses: type (one or a list), properties, required, const, enum, $ref (`#/$defs/...`), oneOf, not, items,
 * maxLength, minimum, maximum, format `uuid`; annotations (description, default, title, x-*) are ignored. A keyword outside
 * that subset throws, so a schema that grows a new keyword makes the tests fail loudly instead of
 * passing everything.
 */

export type Schema = Record<string, unknown>;

const ANNOTATIONS = new Set(["description", "default", "title", "$schema", "$id", "$comment", "examples"]);
const ASSERTIONS = new Set(["type", "properties", "required", "const", "enum", "$ref", "oneOf", "not", "items", "maxLength", "minimum", "maximum", "format", "$defs"]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Validates `value` against `schema` (resolving `$ref` in `root`); returns the list of problems, empty when valid. */
export function validate(root: Schema, schema: Schema, value: unknown, path = "$"): string[] {
  const errors: string[] = [];
  for (const key of Object.keys(schema)) {
    if (!ANNOTATIONS.has(key) && !ASSERTIONS.has(key) && !key.startsWith("x-")) throw new Error(`unsupported JSON Schema keyword "${key}" at ${path}`);
  }
  if (typeof schema.$ref === "string") errors.push(...validate(root, resolve(root, schema.$ref), value, path));
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((t) => hasType(value, t))) errors.push(`${path}: expected ${types.join("|")}, got ${describe(value)}`);
  }
  if ("const" in schema && !deepEqual(schema.const, value)) errors.push(`${path}: expected ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => deepEqual(e, value))) errors.push(`${path}: ${JSON.stringify(value)} is not one of the enum`);
  if (typeof schema.maxLength === "number" && typeof value === "string" && [...value].length > schema.maxLength) errors.push(`${path}: longer than ${schema.maxLength}`);
  if (typeof schema.minimum === "number" && typeof value === "number" && value < schema.minimum) errors.push(`${path}: below ${schema.minimum}`);
  if (typeof schema.maximum === "number" && typeof value === "number" && value > schema.maximum) errors.push(`${path}: above ${schema.maximum}`);
  if (schema.format === "uuid" && typeof value === "string" && !UUID.test(value)) errors.push(`${path}: not a uuid`);
  else if (schema.format !== undefined && schema.format !== "uuid") throw new Error(`unsupported format "${String(schema.format)}" at ${path}`);
  if (isObject(value)) {
    if (Array.isArray(schema.required)) {
      for (const r of schema.required as string[]) if (!(r in value)) errors.push(`${path}: missing required "${r}"`);
    }
    if (isObject(schema.properties)) {
      for (const [name, sub] of Object.entries(schema.properties)) {
        if (name in value) errors.push(...validate(root, sub as Schema, value[name], `${path}.${name}`));
      }
    }
  }
  if (Array.isArray(value) && isObject(schema.items)) value.forEach((item, i) => errors.push(...validate(root, schema.items as Schema, item, `${path}[${i}]`)));
  if (Array.isArray(schema.oneOf)) {
    const matching = (schema.oneOf as Schema[]).filter((s) => validate(root, s, value, path).length === 0).length;
    if (matching !== 1) errors.push(`${path}: matches ${matching} of oneOf (exactly 1 needed)`);
  }
  if (isObject(schema.not) && validate(root, schema.not, value, path).length === 0) errors.push(`${path}: matches a "not" schema`);
  return errors;
}

/** The schema a local `#/$defs/...` reference points at. */
export function resolve(root: Schema, ref: string): Schema {
  if (!ref.startsWith("#/")) throw new Error(`only local references are supported: ${ref}`);
  let node: unknown = root;
  for (const part of ref.slice(2).split("/").map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))) {
    if (!isObject(node) || !(part in node)) throw new Error(`dangling reference ${ref}`);
    node = node[part];
  }
  if (!isObject(node)) throw new Error(`reference ${ref} is not a schema`);
  return node;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case "null": return value === null;
    case "boolean": return typeof value === "boolean";
    case "string": return typeof value === "string";
    case "number": return typeof value === "number" && Number.isFinite(value);
    case "integer": return typeof value === "number" && Number.isInteger(value);
    case "array": return Array.isArray(value);
    case "object": return isObject(value);
    default: throw new Error(`unsupported type "${type}"`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function describe(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
}
