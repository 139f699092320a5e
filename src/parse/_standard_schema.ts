/**
 * Validate an extractor's result against its `schema` export, any Standard
 * Schema v1 object (Zod, Valibot, ArkType...): no validator is bundled.
 *
 * @module
 */

import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { FieldIssue, FieldStatus } from "../types.ts";

/** Whether `value` is a Standard Schema v1 object. */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  const std = (value as { "~standard"?: { version?: unknown; validate?: unknown } } | null)
    ?.["~standard"];
  return typeof std === "object" && std !== null && std.version === 1 &&
    typeof std.validate === "function";
}

/** What validating one result gave. */
export interface Validated {
  /** The schema's output when valid (it may transform), else the value as it was. */
  value: unknown;
  /** Failed checks (empty when valid). */
  invalid: FieldIssue[];
  /** Status per field. */
  fields: Record<string, FieldStatus>;
}

/** Validate `value`; never throws for invalid data (a throwing validator does throw). */
export async function validateResult(schema: StandardSchemaV1, value: unknown): Promise<Validated> {
  const result = await schema["~standard"].validate(value);
  if (!result.issues) {
    return { value: result.value, invalid: [], fields: keysOf(result.value) };
  }
  const fields = keysOf(value);
  const invalid = result.issues.map((issue) => {
    const path = (issue.path ?? []).map((s) => typeof s === "object" ? s.key : s);
    const key = fieldKey(path);
    const status: FieldStatus = valueAt(value, path) === undefined ? "missing" : "invalid";
    if (fields[key] !== "invalid") fields[key] = status;
    return { path: pathString(path), message: issue.message };
  });
  return { value, invalid, fields };
}

/** Top-level keys of an object, or `[].key` over an array of objects, all "ok". */
function keysOf(value: unknown): Record<string, FieldStatus> {
  const fields: Record<string, FieldStatus> = {};
  const items = Array.isArray(value) ? value : [value];
  const prefix = Array.isArray(value) ? "[]." : "";
  for (const item of items) {
    if (item === null || typeof item !== "object" || Array.isArray(item)) continue;
    for (const key of Object.keys(item)) fields[prefix + key] = "ok";
  }
  return fields;
}

function valueAt(value: unknown, path: PropertyKey[]): unknown {
  let at = value;
  for (const segment of path) {
    if (at === null || typeof at !== "object") return undefined;
    at = (at as Record<PropertyKey, unknown>)[segment];
  }
  return at;
}

/** `["items", 2, "name"]` -> `items[2].name`; `[]` -> `(root)`. */
function pathString(path: PropertyKey[]): string {
  let out = "";
  for (const s of path) {
    if (typeof s === "number") out += `[${s}]`;
    else out += out === "" ? String(s) : `.${String(s)}`;
  }
  return out || "(root)";
}

/** The path with indices as `[]`: `[0, "price"]` -> `[].price`. */
function fieldKey(path: PropertyKey[]): string {
  let out = "";
  for (const s of path) {
    if (typeof s === "number") out += "[]";
    else out += out === "" ? String(s) : `.${String(s)}`;
  }
  return out || "(root)";
}
