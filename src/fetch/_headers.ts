/**
 * Response headers as undici hands them to a dispatch handler: repeated ones
 * joined, and header bytes read as UTF-8 where they are (undici decodes every
 * header value as latin1).
 *
 * @module
 */

/** undici's parsed headers (fresh per response) with repeated ones joined, in place. */
export function flattenHeaders(
  raw: Record<string, string | string[] | undefined>,
): Record<string, string> {
  for (const name in raw) {
    const value = raw[name];
    if (typeof value === "string") continue;
    if (value === undefined) delete raw[name];
    else raw[name] = value.join(", ");
  }
  return raw as Record<string, string>;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * A header value undici decoded as latin1 (one char per byte), read as UTF-8 when
 * its bytes are valid UTF-8, as browsers read `Location`: raw `/ü` (bytes C3 BC)
 * becomes `/ü` (then `/%C3%BC` in a URL), not `/Ã¼`. Other values come back as
 * they are; ASCII costs one scan and no allocation.
 */
export function latin1AsUtf8(value: string): string {
  let high = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff) return value; // not undici's latin1: leave it
    if (c > 0x7f) high = true;
  }
  if (!high) return value;
  const bytes = new Uint8Array(value.length);
  for (let i = 0; i < value.length; i++) bytes[i] = value.charCodeAt(i);
  try {
    return utf8.decode(bytes);
  } catch {
    return value; // latin1 it is
  }
}
