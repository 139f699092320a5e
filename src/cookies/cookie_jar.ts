/**
 * A crawl's cookie jar: what the fetch layer asks before each request (the
 * `Cookie` header for that URL) and tells after each response (its
 * `Set-Cookie` headers), redirect hops and robots.txt included. The default
 * keeps cookies in memory on `tough-cookie` (RFC 6265: domain, path, secure,
 * expiry and public-suffix rules), so a cookie never goes to a site that did
 * not set it. `--cookies FILE` loads and saves it as a Netscape `cookies.txt`.
 *
 * @module
 */

import { Cookie, CookieJar as ToughCookieJar } from "tough-cookie";

/**
 * What the fetch layer needs of a cookie jar.
 *
 * @example A jar that logs what it is told
 * ```ts
 * import type { CookieJar } from "./cookie_jar.ts";
 *
 * const jar: CookieJar = {
 *   cookieHeader: () => Promise.resolve(undefined),
 *   store: (url, setCookies) => Promise.resolve(console.log(url, setCookies)),
 * };
 * ```
 */
export interface CookieJar {
  /** The `Cookie` header value for a request to `url`, or `undefined` for none. */
  cookieHeader(url: string): Promise<string | undefined>;
  /** Keep the `Set-Cookie` header values of a response from `url` (invalid ones are ignored). */
  store(url: string, setCookies: readonly string[]): Promise<void>;
}

/** One cookie as `cookies.txt` holds it. */
export interface StoredCookie {
  /** The domain, without a leading dot. */
  domain: string;
  /** Sent to subdomains too (`false`: this host only). */
  includeSubdomains: boolean;
  /** The path it is sent for. */
  path: string;
  /** Sent over https only. */
  secure: boolean;
  /** Not readable by page scripts (`#HttpOnly_` in cookies.txt). */
  httpOnly: boolean;
  /** Expiry, seconds since the epoch; 0 for a session cookie. */
  expires: number;
  /** The cookie's name. */
  name: string;
  /** The cookie's value. */
  value: string;
}

/**
 * The in-memory jar, with the list in and out for a cookie file.
 *
 * @example Start from cookies, keep what the site sets
 * ```ts
 * import { createCookieJar } from "./cookie_jar.ts";
 *
 * const jar = createCookieJar();
 * await jar.store("https://example.com/login", ["session=abc; Path=/; HttpOnly"]);
 * console.log(await jar.cookieHeader("https://example.com/members/1")); // "session=abc"
 * console.log(await jar.cookieHeader("https://other.example/")); // undefined
 * ```
 */
export interface MemoryCookieJar extends CookieJar {
  /** Put cookies in (from a file), as they are. */
  load(cookies: readonly StoredCookie[]): Promise<void>;
  /** Every cookie held (expired ones dropped). */
  list(): Promise<StoredCookie[]>;
}

/**
 * A new, empty cookie jar in memory (`tough-cookie`).
 *
 * @example One jar per crawl
 * ```ts ignore
 * import { crawl } from "../crawl.ts";
 * import { createCookieJar } from "./cookie_jar.ts";
 *
 * const cookieJar = createCookieJar();
 * await cookieJar.store("https://example.com/", ["consent=yes; Path=/"]);
 * for await (const record of crawl(["https://example.com/"], { cookieJar })) console.log(record.url);
 * ```
 */
export function createCookieJar(): MemoryCookieJar {
  const jar = new ToughCookieJar(undefined, { looseMode: true });
  return {
    async cookieHeader(url) {
      const header = await jar.getCookieString(url);
      return header === "" ? undefined : header;
    },
    async store(url, setCookies) {
      for (const text of setCookies) {
        await jar.setCookie(text, url, { ignoreError: true });
      }
    },
    async load(cookies) {
      const store = jar.store;
      for (const c of cookies) {
        await store.putCookie(
          new Cookie({
            key: c.name,
            value: c.value,
            domain: c.domain,
            path: c.path,
            secure: c.secure,
            httpOnly: c.httpOnly,
            hostOnly: !c.includeSubdomains,
            expires: c.expires === 0 ? "Infinity" : new Date(c.expires * 1000),
          }),
        );
      }
    },
    async list() {
      const now = Date.now();
      return (await jar.store.getAllCookies()).filter((c) => {
        const expiry = c.expiryTime();
        return expiry === undefined || expiry > now;
      }).map((c) => {
        const expiry = c.expiryTime();
        return {
          domain: c.domain ?? "",
          includeSubdomains: c.hostOnly !== true,
          path: c.path ?? "/",
          secure: c.secure,
          httpOnly: c.httpOnly,
          expires: expiry === undefined || !Number.isFinite(expiry) ? 0 : Math.floor(expiry / 1000),
          name: c.key,
          value: c.value,
        };
      });
    },
  };
}
