// Questions about a vendor body still in the chunks the socket delivered, answered without joining them.

/** Offset of `needle` in `chunk` when it lies wholly inside: found by its tail, whose first byte is rarer in JSON text
 * than a leading `n` (Node's search stops at every occurrence of the needle's first byte). */
function indexWithin(chunk: Buffer, needle: Buffer, tail: Buffer): number {
  if (tail.length === 0) return chunk.indexOf(needle);
  for (let at = chunk.indexOf(tail, 1); at >= 0; at = chunk.indexOf(tail, at + 1)) {
    if (chunk[at - 1] === needle[0]) return at - 1;
  }
  return -1;
}

/** True when `needle` occurs in the chunks, also across seams (however small or empty the chunks are). */
export function chunksInclude(chunks: readonly Buffer[], needle: Buffer): boolean {
  const overlap = needle.length - 1;
  const tail = needle.subarray(1);
  let carry = Buffer.alloc(0); // the last `overlap` bytes seen so far
  for (const chunk of chunks) {
    if (chunk.length === 0) continue;
    if (indexWithin(chunk, needle, tail) >= 0) return true;
    if (overlap > 0) {
      const seam = Buffer.concat([carry, chunk.subarray(0, overlap)]);
      if (seam.includes(needle)) return true;
      const joined = chunk.length >= overlap ? chunk : Buffer.concat([carry, chunk]);
      carry = Buffer.from(joined.subarray(Math.max(0, joined.length - overlap)));
    }
  }
  return false;
}

/** The first byte of the body, if any. */
export function firstByte(chunks: readonly Buffer[]): number | undefined {
  for (const chunk of chunks) if (chunk.length > 0) return chunk[0];
  return undefined;
}

export function chunksLength(chunks: readonly Buffer[]): number {
  let n = 0;
  for (const chunk of chunks) n += chunk.length;
  return n;
}
