/**
 * The checks behind `resolveCrawlOptions`: each takes an option's name and value
 * and returns the value (or a copy) or throws a `TypeError` (wrong type) or a
 * `RangeError` (out of range) whose message starts with the name, then the rule,
 * then the value received.
 *
 * @module
 */

import { compilePatterns } from "./frontier/_pattern.ts";

/** The longest `setTimeout` delay; a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A check: the value (never `undefined`) to its resolved form, or a throw. */
export type Check<T> = (name: string, value: unknown) => Exclude<T, undefined>;

/** A value as a message shows it: strings quoted, objects briefly. */
export function show(value: unknown): string {
  if (typeof value === "string") {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}..."` : text;
  }
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "function") return "a function";
  if (typeof value !== "object" || value === null) return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  const name = Object.getPrototypeOf(value)?.constructor?.name;
  if (!name || name === "Object") return "an object";
  return `${/^[AEIOU]/.test(name) ? "an" : "a"} ${name}`;
}

export function wrongType(name: string, value: unknown, rule: string): TypeError {
  return new TypeError(`${name} must be ${rule}: received ${show(value)}`);
}

export function number(name: string, value: unknown): number {
  if (typeof value === "number") return value;
  throw wrongType(name, value, "a number");
}

export function string(name: string, value: unknown, rule = "a string"): string {
  if (typeof value === "string") return value;
  throw wrongType(name, value, rule);
}

export function boolean(name: string, value: unknown): boolean {
  if (typeof value === "boolean") return value;
  throw wrongType(name, value, "a boolean");
}

export function object(name: string, value: unknown, rule: string): object {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) return value;
  throw wrongType(name, value, rule);
}

export function callable<T>(name: string, value: unknown): T {
  if (typeof value === "function") return value as T;
  throw wrongType(name, value, "a function");
}

export function integer(min: number, infinite = false): Check<number> {
  return (name, value) => {
    const n = number(name, value);
    if ((infinite && n === Infinity) || (Number.isSafeInteger(n) && n >= min)) return n;
    throw new RangeError(
      `${name} must be an integer >= ${min}${infinite ? " or Infinity" : ""}: received ${n}`,
    );
  };
}

/** A duration in ms: finite, at most the longest timer, above 0 (or from 0 with `zero`). */
export function duration(zero: "zero" | "positive"): Check<number> {
  return (name, value) => {
    const n = number(name, value);
    if ((zero === "zero" ? n >= 0 : n > 0) && n <= MAX_TIMER_MS) return n;
    throw new RangeError(
      `${name} must be a number of ms ${zero === "zero" ? ">= 0" : "> 0"} and <= ` +
        `${MAX_TIMER_MS}: received ${n}`,
    );
  };
}

export function rate(name: string, value: unknown): { requests: number; perMs: number } {
  checkKeys(`${name}.`, object(name, value, "an object {requests, perMs}"), ["requests", "perMs"]);
  const { requests, perMs } = value as { requests: number; perMs: number };
  if (!(number(`${name}.requests`, requests) > 0 && requests < Infinity)) {
    throw new RangeError(`${name}.requests must be a finite number > 0: received ${requests}`);
  }
  duration("positive")(`${name}.perMs`, perMs);
  if (perMs / requests > MAX_TIMER_MS) {
    throw new RangeError(
      `${name} must leave a gap perMs / requests <= ${MAX_TIMER_MS} ms: ` +
        `received ${requests} per ${perMs} ms`,
    );
  }
  return { requests, perMs };
}

export function strings(name: string, value: unknown): string[] {
  if (!Array.isArray(value)) {
    throw new TypeError(`${name} must be an array of strings: received ${show(value)}`);
  }
  value.forEach((item, i) => string(`${name}[${i}]`, item));
  return [...value];
}

/** A copy of the patterns, compiled once here so a bad one fails before the crawl. */
export function patterns(name: string, value: unknown): string[] {
  const list = strings(name, value);
  try {
    compilePatterns(list, name);
  } catch (cause) {
    throw new RangeError(
      `${name} must be globs or /regex/ patterns that compile: ${(cause as Error).message}`,
      { cause },
    );
  }
  return list;
}

export function headerValue(name: string, value: unknown): string {
  if (!/[\0\r\n]/.test(string(name, value))) return value as string;
  throw new RangeError(
    `${name} must be a header value without CR, LF or NUL: received ${show(value)}`,
  );
}

export function implementing<T>(kind: string, methods: Record<string, true>): Check<T> {
  return (name, value) => {
    const missing = Object.keys(methods).filter((method) =>
      typeof (value as Record<string, unknown> | null)?.[method] !== "function"
    );
    if (typeof value === "object" && value !== null && missing.length === 0) {
      return value as Exclude<T, undefined>;
    }
    throw new TypeError(
      `${name} must be a ${kind} (methods ${Object.keys(methods).join(", ")}): received ` +
        `${show(value)}${missing.length > 0 ? ` without ${missing.join(", ")}` : ""}`,
    );
  };
}

/** Names people reach for that no edit distance finds. */
const SYNONYMS: Readonly<Record<string, string>> = { concurrency: "maxInFlight" };

/**
 * Throw a TypeError for the first key of `value` not in `known`, naming the closest
 * known key: a synonym, else the nearest name containing the key (or contained in it),
 * else the nearest by edit distance; case, `-` and `_` ignored.
 */
export function checkKeys(prefix: string, value: object, known: readonly string[]): void {
  const plain = (name: string) => name.toLowerCase().replace(/[-_]/g, "");
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const far = (name: string) => distance(plain(key), plain(name));
    const near = known.filter((name) =>
      plain(name).includes(plain(key)) || plain(key).includes(plain(name))
    );
    const pool = near.length > 0 ? near : known;
    const closest = known.includes(SYNONYMS[plain(key)])
      ? SYNONYMS[plain(key)]
      : pool.reduce((best, name) => far(name) < far(best) ? name : best);
    throw new TypeError(`${prefix}${key} is not a known option: did you mean ${prefix}${closest}?`);
  }
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length];
}

/** `value` as an integer >= `min`, or a `TypeError`/`RangeError` naming `name`. */
export function integerAtLeast(name: string, value: unknown, min: number): number {
  if (!Number.isInteger(number(name, value)) || (value as number) < min) {
    throw new RangeError(`${name} must be an integer >= ${min}: received ${show(value)}`);
  }
  return value as number;
}

/** `value` as a finite number >= 0. */
export function finiteAtLeastZero(name: string, value: unknown): number {
  if (!Number.isFinite(number(name, value)) || (value as number) < 0) {
    throw new RangeError(`${name} must be a finite number >= 0: received ${show(value)}`);
  }
  return value as number;
}

/** `value` as a finite number > 0. */
export function finitePositive(name: string, value: unknown): number {
  if (!Number.isFinite(number(name, value)) || (value as number) <= 0) {
    throw new RangeError(`${name} must be a finite number > 0: received ${show(value)}`);
  }
  return value as number;
}

/** `value` if absent or of `type` (`typeof`), else a `TypeError`. */
export function optional<T>(name: string, value: unknown, type: string): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== type || value === null) {
    throw new TypeError(`${name} must be a ${type}: received ${show(value)}`);
  }
  return value as T;
}
