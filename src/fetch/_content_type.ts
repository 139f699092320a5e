/**
 * Splits a Content-Type header into the media type and charset.
 *
 * @module
 */

/** `"Text/HTML; charset=\"UTF-8\""` becomes `{type: "text/html", charset: "utf-8"}`. */
export function parseContentType(
  value: string | undefined,
): { type: string | null; charset: string | null } {
  if (!value) return { type: null, charset: null };
  const [head, ...params] = value.split(";");
  const type = head.trim().toLowerCase() || null;
  let charset: string | null = null;
  for (const param of params) {
    const eq = param.indexOf("=");
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== "charset") continue;
    charset = param.slice(eq + 1).trim().replace(/^"(.*)"$/, "$1").toLowerCase() || null;
  }
  return { type, charset };
}
