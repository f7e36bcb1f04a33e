/**
 * The chunks end to end in one new array, in a SharedArrayBuffer when `shared`. Not `Buffer.concat`: a small
 * result of that is a slice of Node's shared pool, whose ArrayBuffer must not be transferred to another thread.
 *
 * @example
 * concatBytes([Uint8Array.of(1, 2), Uint8Array.of(3)]); // Uint8Array [1, 2, 3]
 */
export function concatBytes(chunks: readonly Uint8Array[], shared = false): Uint8Array {
  let length = 0;
  for (const chunk of chunks) length += chunk.byteLength;
  const out = new Uint8Array(shared ? new SharedArrayBuffer(length) : new ArrayBuffer(length));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
