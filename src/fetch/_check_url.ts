/**
 * Validates a URL before it is requested: parse, scheme, length, and the
 * caller's `allowUrl`.
 *
 * @module
 */

import { TrawlError } from "../trawl_error.ts";

/** Parse `input` (against `base` for redirects) and refuse what cannot be fetched. */
export function checkUrl(input: string | URL, maxUrlLength: number, base?: URL): URL {
  const text = String(input);
  let url: URL;
  try {
    url = new URL(text, base);
  } catch (cause) {
    throw new TrawlError("INVALID_URL", `Not a valid URL: ${JSON.stringify(text.slice(0, 200))}`, {
      url: text,
      cause,
    });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TrawlError(
      "UNSUPPORTED_SCHEME",
      `Unsupported scheme ${url.protocol} in ${
        url.href.slice(0, 200)
      }: only http: and https: are fetched`,
      { url: url.href },
    );
  }
  if (url.hash !== "") url.hash = ""; // the setter re-parses: skip it when there is none
  if (url.href.length > maxUrlLength) {
    throw new TrawlError(
      "URL_TOO_LONG",
      `URL of ${url.href.length} characters exceeds maxUrlLength ${maxUrlLength}: ${
        url.href.slice(0, 100)
      }...`,
      { url: url.href },
    );
  }
  return url;
}

/**
 * Ask `allowUrl` about `url` (`from`: the URL that redirected to it, or `null`):
 * `false` is `REDIRECT_BLOCKED`; a thrown `TrawlError` keeps its code, anything
 * else thrown is `REDIRECT_BLOCKED` with its message.
 */
export async function checkAllowed(
  allowUrl: (url: URL, from: URL | null) => boolean | Promise<boolean>,
  url: URL,
  from: URL | null,
): Promise<void> {
  let allowed: boolean;
  try {
    allowed = await allowUrl(url, from);
  } catch (error) {
    if (error instanceof TrawlError) throw error;
    throw new TrawlError(
      "REDIRECT_BLOCKED",
      `${url.href}: allowUrl threw: ${error instanceof Error ? error.message : String(error)}`,
      { url: url.href, cause: error },
    );
  }
  if (!allowed) {
    throw new TrawlError(
      "REDIRECT_BLOCKED",
      `${url.href}: refused by allowUrl${from ? ` (redirect target of ${from.href})` : ""}`,
      { url: url.href },
    );
  }
}
