/**
 * The checks option validation is made of: each throws a `TypeError` (wrong
 * type) or `RangeError` (out of range) naming the option, the rule and the value
 * received, std style: `maxPerHost must be an integer >= 1: received 0`.
 *
 * @module
 */

/** A value as a message shows it. */
export function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return "a function";
  if (typeof value === "object" && value !== null) {
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}

function number(name: string, value: unknown): number {
  if (typeof value !== "number") {
    throw new TypeError(`${name} must be a number: received ${show(value)}`);
  }
  return value;
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

/** Timers: over 0, and no longer than `setTimeout` can wait (about 24.8 days). */
export function duration(name: string, value: unknown): number {
  if (!(number(name, value) > 0) || (value as number) > 2 ** 31 - 1) {
    throw new RangeError(`${name} must be a number > 0 and <= 2147483647: received ${show(value)}`);
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
