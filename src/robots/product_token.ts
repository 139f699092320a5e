/**
 * The product token robots.txt groups are matched against.
 *
 * @module
 */

import { TrawlError } from "../trawl_error.ts";

const TOKEN = /^[A-Za-z0-9_.-]+/;

/**
 * The product token of a User-Agent string: its first token, before any `/`,
 * space or `;` (RFC 9309 matches robots.txt groups against this token,
 * case-insensitively). Throws {@linkcode TrawlError} `INVALID_OPTION` when the
 * string does not start with one.
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
        `such as "trawl/0.1 (+https://example.com/bot)".`,
    );
  }
  return token;
}
