/**
 * The product token robots.txt groups are matched against (RFC 9309 section
 * 2.2.1). It is not the User-Agent header: a crawler sending
 * `Mozilla/5.0 (compatible; ExampleBot/0.1; +https://example.com/bot)` still
 * obeys the `ExampleBot` group, so the token is set on its own
 * (`RobotsOptions.productToken`, `--robots-agent`).
 *
 * @module
 */

import { TrawlError } from "../trawl_error.ts";

/** Letters, digits, `_` and `-` (RFC 9309's token is letters, `_` and `-`; digits are accepted too). */
const TOKEN = /^[A-Za-z0-9_-]+/;

/**
 * The product token of a User-Agent string: its leading run of letters,
 * digits, `_` and `-` (before any `/`, space, `;` or `.`). Throws
 * {@linkcode TrawlError} `INVALID_OPTION` when the string does not start with
 * one.
 *
 * @example Take the token from a full User-Agent
 * ```ts
 * import { productToken } from "./product_token.ts";
 *
 * productToken("trawl/0.1 (+https://example.com/bot)"); // "trawl"
 * ```
 */
export function productToken(userAgent: string): string {
  const token = TOKEN.exec(userAgent.trim())?.[0];
  if (token === undefined) {
    throw new TrawlError(
      "INVALID_OPTION",
      `userAgent ${JSON.stringify(userAgent)} has no product token: start it with a name ` +
        `such as "trawl/0.1 (+https://example.com/bot)", or set the product token on its own.`,
    );
  }
  return token;
}

/**
 * Whether `token` can be a product token: one or more letters, digits, `_` or
 * `-`, nothing else.
 *
 * @example Validate `--robots-agent`
 * ```ts
 * import { isProductToken } from "./product_token.ts";
 *
 * isProductToken("ExampleBot"); // true
 * isProductToken("ExampleBot/0.1"); // false
 * ```
 */
export function isProductToken(token: string): boolean {
  return /^[A-Za-z0-9_-]+$/.test(token);
}
