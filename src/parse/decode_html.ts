/**
 * Turn HTML body bytes into text by the WHATWG encoding-sniffing rules.
 *
 * @module
 */

/** What {@linkcode decodeHtml} found. */
export interface DecodedHtml {
  /** The decoded text (any byte-order mark removed). */
  html: string;
  /** The WHATWG name of the encoding used, e.g. `"utf-8"`, `"windows-1251"`, `"shift_jis"`. */
  encoding: string;
}

/**
 * Decode an HTML body: a byte-order mark wins, then the `charset` of the
 * Content-Type header, then a `<meta charset>` / `<meta http-equiv>` prescan of
 * the first 1024 bytes, then UTF-8. Labels that name no encoding (`uft-8`,
 * `none`) are skipped, never fatal; invalid bytes become U+FFFD.
 *
 * @example Decode windows-1251 bytes named in the header
 * ```ts
 * import { decodeHtml } from "./decode_html.ts";
 *
 * const bytes = new Uint8Array([0xcf, 0xf0, 0xe8]); // "При"
 * const { html, encoding } = decodeHtml(bytes, "text/html; charset=windows-1251");
 * console.log(html, encoding); // "При" "windows-1251"
 * ```
 */
export function decodeHtml(body: Uint8Array, contentType?: string | null): DecodedHtml {
  const encoding = sniffEncoding(body, contentType);
  return { html: new TextDecoder(encoding).decode(body), encoding };
}

/**
 * Only the sniffing half of {@linkcode decodeHtml}: the WHATWG name of the
 * encoding the body should be decoded with.
 *
 * @example Find the encoding from a meta tag
 * ```ts
 * import { sniffEncoding } from "./decode_html.ts";
 *
 * const bytes = new TextEncoder().encode('<meta charset="shift_jis"><p>hi');
 * console.log(sniffEncoding(bytes, "text/html")); // "shift_jis"
 * ```
 */
export function sniffEncoding(body: Uint8Array, contentType?: string | null): string {
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) return "utf-8";
  if (body[0] === 0xfe && body[1] === 0xff) return "utf-16be";
  if (body[0] === 0xff && body[1] === 0xfe) return "utf-16le";
  const fromHeader = contentType ? encodingOf(charsetFromContent(contentType)) : null;
  if (fromHeader) return fromHeader;
  return prescan(body.subarray(0, 1024)) ?? "utf-8";
}

/** The WHATWG name for a label, or `null` when the label names no supported encoding. */
function encodingOf(label: string | null): string | null {
  if (!label) return null;
  try {
    return new TextDecoder(label.trim()).encoding;
  } catch {
    return null; // unknown labels and "replacement" encodings fall through
  }
}

const WS = /[\t\n\f\r ]/;

/** "Extract a character encoding from a meta element" (also fine for Content-Type). */
function charsetFromContent(content: string): string | null {
  const lower = content.toLowerCase();
  let at = 0;
  while (true) {
    const found = lower.indexOf("charset", at);
    if (found < 0) return null;
    let i = found + 7;
    while (WS.test(lower[i] ?? "")) i++;
    if (lower[i] !== "=") {
      at = i;
      continue;
    }
    i++;
    while (WS.test(lower[i] ?? "")) i++;
    const quote = content[i];
    if (quote === '"' || quote === "'") {
      const end = content.indexOf(quote, i + 1);
      return end < 0 ? null : content.slice(i + 1, end);
    }
    let end = i;
    while (end < content.length && !/[\t\n\f\r ;]/.test(content[end])) end++;
    return end === i ? null : content.slice(i, end);
  }
}

/** The WHATWG "prescan a byte stream to determine its encoding", over at most 1024 bytes. */
function prescan(bytes: Uint8Array): string | null {
  // Latin-1 maps each byte to one char, so string positions are byte positions.
  const s = String.fromCharCode(...bytes);
  const lower = s.toLowerCase();
  let pos = 0;
  while (pos < s.length) {
    if (lower.startsWith("<!--", pos)) {
      const end = s.indexOf("-->", pos + 2);
      if (end < 0) return null;
      pos = end + 3;
    } else if (lower.startsWith("<meta", pos) && /[\t\n\f\r /]/.test(s[pos + 5] ?? "")) {
      pos += 6;
      const seen = new Set<string>();
      let gotPragma = false;
      let needPragma: boolean | null = null;
      let charset: string | null = null;
      for (let attr = readAttribute(s, pos); attr; attr = readAttribute(s, pos)) {
        pos = attr.end;
        if (seen.has(attr.name)) continue;
        seen.add(attr.name);
        if (attr.name === "http-equiv" && attr.value === "content-type") gotPragma = true;
        else if (attr.name === "content" && charset === null) {
          const found = encodingOf(charsetFromContent(attr.value));
          if (found) [charset, needPragma] = [found, true];
        } else if (attr.name === "charset") {
          [charset, needPragma] = [encodingOf(attr.value), false];
        }
      }
      if (needPragma === null || (needPragma && !gotPragma) || !charset) continue;
      if (charset === "utf-16be" || charset === "utf-16le") return "utf-8";
      return charset === "x-user-defined" ? "windows-1252" : charset;
    } else if (/^<\/?[a-z]/.test(lower.slice(pos, pos + 3))) {
      pos += 1;
      while (pos < s.length && !/[\t\n\f\r >]/.test(s[pos])) pos++;
      for (let attr = readAttribute(s, pos); attr; attr = readAttribute(s, pos)) pos = attr.end;
    } else if (
      lower.startsWith("<!", pos) || lower.startsWith("</", pos) || lower.startsWith("<?", pos)
    ) {
      const end = s.indexOf(">", pos + 2);
      if (end < 0) return null;
      pos = end + 1;
    } else {
      pos++;
    }
  }
  return null;
}

/** The prescan's "get an attribute": name lowercased, value lowercased, and where it ended. */
function readAttribute(
  s: string,
  start: number,
): { name: string; value: string; end: number } | null {
  let pos = start;
  while (pos < s.length && /[\t\n\f\r /]/.test(s[pos])) pos++;
  if (pos >= s.length || s[pos] === ">") return null;
  let name = "";
  for (; pos < s.length; pos++) {
    const c = s[pos];
    if (c === "=" && name) break;
    if (WS.test(c)) {
      while (pos < s.length && WS.test(s[pos])) pos++;
      if (s[pos] !== "=") return { name, value: "", end: pos };
      break;
    }
    if (c === "/" || c === ">") return { name, value: "", end: pos };
    name += c.toLowerCase();
  }
  if (pos >= s.length) return null;
  pos++; // past "="
  while (pos < s.length && WS.test(s[pos])) pos++;
  const quote = s[pos];
  if (quote === '"' || quote === "'") {
    const end = s.indexOf(quote, pos + 1);
    if (end < 0) return null;
    return { name, value: s.slice(pos + 1, end).toLowerCase(), end: end + 1 };
  }
  if (quote === ">") return { name, value: "", end: pos };
  let end = pos;
  while (end < s.length && !/[\t\n\f\r >]/.test(s[end])) end++;
  if (end >= s.length) return null;
  return { name, value: s.slice(pos, end).toLowerCase(), end };
}
