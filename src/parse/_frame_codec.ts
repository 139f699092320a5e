/**
 * Length-prefixed frames for the pipe between the pool and an extraction
 * process. A value crosses as JSON, except `Uint8Array` and `ArrayBuffer`
 * values, which travel as raw bytes after the JSON (a page body is not turned
 * into text). `node:v8`'s serializer would keep more types, but measured here it
 * costs ~144 us of main-thread time per 100 KB body against ~15 us for this.
 *
 * Frame: `magic u32 | json bytes u32 | blob count u32 | blob sizes u32... | json | blobs`
 * (little-endian).
 *
 * @module
 */

const MAGIC = 0x6c777274; // "trwl"
const BYTES = "\u0000bytes";
const BUFFER = "\u0000buffer";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encode one value as a frame. Throws (TypeError) what `JSON.stringify` throws, e.g. on a BigInt. */
export function encodeFrame(value: unknown): Uint8Array {
  const blobs: Uint8Array[] = [];
  const json = encoder.encode(
    JSON.stringify(value, function (key, v) {
      // `v` is after toJSON; read the raw property to see typed arrays as they are.
      const raw = key === "" ? v : (this as Record<string, unknown>)[key];
      if (raw instanceof Uint8Array) return { [BYTES]: blobs.push(raw) - 1 };
      if (raw instanceof ArrayBuffer) return { [BUFFER]: blobs.push(new Uint8Array(raw)) - 1 };
      return v;
    }) ?? "null",
  );
  const head = 12 + 4 * blobs.length;
  let size = head + json.byteLength;
  for (const blob of blobs) size += blob.byteLength;
  const frame = new Uint8Array(size);
  const view = new DataView(frame.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, json.byteLength, true);
  view.setUint32(8, blobs.length, true);
  blobs.forEach((blob, i) => view.setUint32(12 + 4 * i, blob.byteLength, true));
  frame.set(json, head);
  let at = head + json.byteLength;
  for (const blob of blobs) {
    frame.set(blob, at);
    at += blob.byteLength;
  }
  return frame;
}

/** Reassembles frames from chunks as they arrive on a pipe. */
export class FrameReader {
  #chunks: Uint8Array[] = [];
  #buffered = 0;

  /**
   * Add a chunk; returns the values of the frames it completed. Throws
   * `SyntaxError` on bytes that are not a frame (the stream cannot be trusted after).
   */
  push(chunk: Uint8Array): unknown[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.byteLength;
    const values: unknown[] = [];
    while (this.#buffered >= 12) {
      const head = this.#peek(12);
      const view = new DataView(head.buffer, head.byteOffset, 12);
      if (view.getUint32(0, true) !== MAGIC) throw new SyntaxError("not a frame (bad magic)");
      const jsonSize = view.getUint32(4, true);
      const count = view.getUint32(8, true);
      if (this.#buffered < 12 + 4 * count) break;
      const sizes = this.#peek(12 + 4 * count);
      const sizeView = new DataView(sizes.buffer, sizes.byteOffset, sizes.byteLength);
      let total = 12 + 4 * count + jsonSize;
      const blobSizes: number[] = [];
      for (let i = 0; i < count; i++) {
        const n = sizeView.getUint32(12 + 4 * i, true);
        blobSizes.push(n);
        total += n;
      }
      if (this.#buffered < total) break;
      const frame = this.#take(total);
      let at = 12 + 4 * count;
      const json = decoder.decode(frame.subarray(at, at + jsonSize));
      at += jsonSize;
      const blobs = blobSizes.map((n) => {
        const blob = frame.slice(at, at + n);
        at += n;
        return blob;
      });
      values.push(
        count === 0 ? JSON.parse(json) : JSON.parse(json, (_key, v) => {
          if (v !== null && typeof v === "object" && !Array.isArray(v)) {
            if (typeof v[BYTES] === "number") return blobs[v[BYTES]];
            if (typeof v[BUFFER] === "number") return blobs[v[BUFFER]].buffer;
          }
          return v;
        }),
      );
    }
    return values;
  }

  /** The first `n` buffered bytes, joined into one array if they span chunks. */
  #peek(n: number): Uint8Array {
    if (this.#chunks[0].byteLength < n) this.#chunks = [this.#join()];
    return this.#chunks[0];
  }

  #take(n: number): Uint8Array {
    if (this.#chunks[0].byteLength < n) this.#chunks = [this.#join()];
    const first = this.#chunks[0];
    if (first.byteLength > n) this.#chunks[0] = first.subarray(n);
    else this.#chunks.shift();
    this.#buffered -= n;
    return first.subarray(0, n);
  }

  #join(): Uint8Array {
    const all = new Uint8Array(this.#buffered);
    let at = 0;
    for (const chunk of this.#chunks) {
      all.set(chunk, at);
      at += chunk.byteLength;
    }
    return all;
  }
}
