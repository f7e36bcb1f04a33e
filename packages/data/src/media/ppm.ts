/**
 * Splits a stream of binary PPM images (`P6`, what `ffmpeg -f image2pipe -c:v ppm` writes) into rgb24 frames.
 * Each image carries its own width and height in its header, so the frame size needs no probe beforehand
 * (that is what lets one ffmpeg run decode a clip whose geometry is unknown: the probe folded in).
 * Header grammar (netpbm `ppm(5)`): "P6", whitespace, width, whitespace, height, whitespace, maxval, one
 * whitespace byte, then width x height x 3 bytes (maxval < 256). ffmpeg writes no comments.
 *
 * @example
 * const reader = new PpmReader((rgb, width, height) => frames.push(rgb));
 * child.stdout.on('data', (chunk) => reader.push(chunk));
 * reader.end(); // throws if the stream stopped inside an image
 */
export class PpmReader {
  private head: Buffer = Buffer.alloc(0);
  private frame?: Uint8Array;
  private filled = 0;
  private width = 0;
  private height = 0;
  /** Images completed so far. */
  count = 0;

  constructor(private readonly onFrame: (rgb: Uint8Array, width: number, height: number) => void) {}

  push(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.frame) {
        const n = Math.min(this.frame.length - this.filled, chunk.length - offset);
        this.frame.set(chunk.subarray(offset, offset + n), this.filled);
        this.filled += n;
        offset += n;
        if (this.filled === this.frame.length) {
          const done = this.frame;
          this.frame = undefined;
          this.count++;
          this.onFrame(done, this.width, this.height);
        }
        continue;
      }
      // Header: gather bytes until it parses (it is a few dozen bytes at most).
      const take = Math.min(chunk.length - offset, 64);
      this.head = Buffer.concat([this.head, chunk.subarray(offset, offset + take)]);
      offset += take;
      const parsed = parseHeader(this.head);
      if (parsed === 'more') {
        if (this.head.length > 256) throw new Error('PPM stream: header longer than 256 bytes');
        continue;
      }
      this.width = parsed.width;
      this.height = parsed.height;
      this.frame = new Uint8Array(parsed.width * parsed.height * 3);
      this.filled = 0;
      // Bytes after the header belong to the pixels: feed them back.
      const rest = this.head.subarray(parsed.length);
      this.head = Buffer.alloc(0);
      if (rest.length > 0) this.push(rest);
    }
  }

  /** Checks that the stream ended on an image boundary. */
  end(): void {
    if (this.frame || this.head.length > 0) throw new Error(`PPM stream ended inside image ${this.count}`);
  }
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

function parseHeader(bytes: Buffer): { width: number; height: number; length: number } | 'more' {
  if (bytes.length >= 1 && bytes[0] !== 0x50) throw new Error('PPM stream: expected "P6"');
  if (bytes.length >= 2 && bytes[1] !== 0x36) throw new Error('PPM stream: only binary RGB PPM ("P6") is supported');
  const fields: number[] = [];
  let i = 2;
  while (fields.length < 3) {
    while (i < bytes.length && isSpace(bytes[i])) i++;
    const start = i;
    while (i < bytes.length && bytes[i] >= 0x30 && bytes[i] <= 0x39) i++;
    if (i >= bytes.length) return 'more';
    if (i === start || !isSpace(bytes[i])) throw new Error('PPM stream: malformed header');
    fields.push(Number(bytes.subarray(start, i).toString('latin1')));
  }
  const [width, height, maxval] = fields;
  if (maxval > 255) throw new Error(`PPM stream: 16-bit samples (maxval ${maxval}) are not supported`);
  if (!(width > 0 && height > 0)) throw new Error(`PPM stream: bad size ${width}x${height}`);
  return { width, height, length: i + 1 };
}
