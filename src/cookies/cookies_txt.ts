/**
 * The Netscape `cookies.txt` format curl (`-b`/`-c`) and wget
 * (`--load-cookies`/`--save-cookies`) read and write: a header line, then one
 * cookie per line with 7 tab-separated fields (domain, include-subdomains,
 * path, secure, expiry in Unix seconds with 0 for a session cookie, name,
 * value); `#HttpOnly_` before the domain marks an HttpOnly cookie.
 *
 * @module
 */

import { TrawlError } from "../trawl_error.ts";
import type { StoredCookie } from "./cookie_jar.ts";

const HEADER = "# Netscape HTTP Cookie File";
const HTTP_ONLY = "#HttpOnly_";

/**
 * The cookies of a `cookies.txt` text. A line that is not a cookie (other than
 * blank lines and comments) throws an `INVALID_OPTION` error naming `file` and
 * the line.
 *
 * @example Read curl's file
 * ```ts
 * import { parseCookiesTxt } from "./cookies_txt.ts";
 *
 * const text = "# Netscape HTTP Cookie File\n.example.com\tTRUE\t/\tFALSE\t0\tsession\tabc\n";
 * console.log(parseCookiesTxt(text, "cookies.txt")[0].name); // "session"
 * ```
 */
export function parseCookiesTxt(text: string, file: string): StoredCookie[] {
  const cookies: StoredCookie[] = [];
  const lines = text.split(/\r\n|\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    let httpOnly = false;
    if (line.startsWith(HTTP_ONLY)) {
      httpOnly = true;
      line = line.slice(HTTP_ONLY.length);
    } else if (line.trim() === "" || line.startsWith("#")) continue;
    const fields = line.split("\t");
    const bad = (why: string) =>
      new TrawlError(
        "INVALID_OPTION",
        `--cookies ${file} line ${i + 1}: ${why}; each line is domain, TRUE|FALSE, path, ` +
          `TRUE|FALSE, expiry (Unix seconds, 0 for a session), name, value, separated by tabs`,
      );
    if (fields.length !== 7) throw bad(`${fields.length} tab-separated fields, not 7`);
    const [domain, sub, path, secure, expires, name, value] = fields as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    if (domain === "") throw bad("no domain");
    if (!/^(TRUE|FALSE)$/i.test(sub) || !/^(TRUE|FALSE)$/i.test(secure)) {
      throw bad("the 2nd and 4th fields must be TRUE or FALSE");
    }
    if (!/^\d+$/.test(expires)) throw bad(`expiry ${JSON.stringify(expires)} is not a number`);
    cookies.push({
      domain: domain.replace(/^\./, "").toLowerCase(),
      includeSubdomains: sub.toUpperCase() === "TRUE",
      path: path || "/",
      secure: secure.toUpperCase() === "TRUE",
      httpOnly,
      expires: Number(expires),
      name,
      value,
    });
  }
  return cookies;
}

/**
 * `cookies` as a `cookies.txt` text, as curl writes it.
 *
 * @example Write a session cookie
 * ```ts
 * import { formatCookiesTxt } from "./cookies_txt.ts";
 *
 * console.log(formatCookiesTxt([{
 *   domain: "example.com", includeSubdomains: false, path: "/", secure: false,
 *   httpOnly: true, expires: 0, name: "session", value: "abc",
 * }]));
 * ```
 */
export function formatCookiesTxt(cookies: readonly StoredCookie[]): string {
  const lines = [HEADER, "# Written by trawl; curl -b and wget --load-cookies read it.", ""];
  for (const c of cookies) {
    const domain = `${c.httpOnly ? HTTP_ONLY : ""}${c.includeSubdomains ? "." : ""}${c.domain}`;
    lines.push(
      [
        domain,
        c.includeSubdomains ? "TRUE" : "FALSE",
        c.path,
        c.secure ? "TRUE" : "FALSE",
        String(c.expires),
        c.name,
        c.value,
      ].join("\t"),
    );
  }
  return lines.join("\n") + "\n";
}
