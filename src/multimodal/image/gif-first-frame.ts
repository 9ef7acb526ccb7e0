/**
 * The first frame of a GIF as Pillow shows it after `.convert("RGB")`: a palette image the size of the
 * logical screen (grown if the frame reaches past it), filled with the frame's transparent index (or
 * index 0 when it has none), the frame's indices drawn at its offset, every index mapped through the
 * frame's palette (local, else global).
 * Transparency is ignored, as `convert("RGB")` ignores it — the transparent index shows its palette
 * colour. (Generic decoders, libvips included, return black for transparent pixels instead.)
 * Indices beyond the palette map to black.
 */
import type { RgbImage } from "./rgb-image.js";

export class GifFormatError extends Error {
  override name = "GifFormatError";
}

class Reader {
  pos = 0;
  constructor(private readonly b: Uint8Array) {}
  u8(): number {
    if (this.pos >= this.b.length) throw new GifFormatError("unexpected end of GIF data");
    return this.b[this.pos++];
  }
  u16(): number {
    const lo = this.u8();
    return lo | (this.u8() << 8);
  }
  bytes(n: number): Uint8Array {
    if (this.pos + n > this.b.length) throw new GifFormatError("unexpected end of GIF data");
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  /** Concatenated data sub-blocks up to the zero-length terminator. */
  subBlocks(): Uint8Array {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let n = this.u8(); n !== 0; n = this.u8()) {
      parts.push(this.bytes(n));
      total += n;
    }
    const out = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

/** Variable-width LZW (GIF flavour, LSB-first codes). Stops at the end code or after `count` indices;
 *  missing trailing indices stay 0. */
function lzwDecode(data: Uint8Array, minCodeSize: number, count: number): Uint8Array {
  if (minCodeSize < 2 || minCodeSize > 8) throw new GifFormatError(`bad LZW minimum code size ${minCodeSize}`);
  const out = new Uint8Array(count);
  const clear = 1 << minCodeSize;
  const end = clear + 1;
  const prefix = new Int16Array(4096);
  const suffix = new Uint8Array(4096);
  const firstOf = new Uint8Array(4096);
  const lengthOf = new Uint16Array(4096);
  for (let i = 0; i < clear; i++) {
    suffix[i] = i;
    firstOf[i] = i;
    lengthOf[i] = 1;
    prefix[i] = -1;
  }
  let codeSize = minCodeSize + 1;
  let next = end + 1;
  let prev = -1;
  let written = 0;
  let bitBuf = 0;
  let bitCount = 0;
  let p = 0;
  while (written < count) {
    while (bitCount < codeSize) {
      if (p >= data.length) return out;
      bitBuf |= data[p++] << bitCount;
      bitCount += 8;
    }
    const code = bitBuf & ((1 << codeSize) - 1);
    bitBuf >>>= codeSize;
    bitCount -= codeSize;
    if (code === clear) {
      codeSize = minCodeSize + 1;
      next = end + 1;
      prev = -1;
      continue;
    }
    if (code === end) break;
    let entry: number;
    if (code < next) {
      entry = code;
      if (prev !== -1 && next < 4096) {
        prefix[next] = prev;
        suffix[next] = firstOf[code];
        firstOf[next] = firstOf[prev];
        lengthOf[next] = lengthOf[prev] + 1;
        next++;
      }
    } else if (code === next && prev !== -1) {
      if (next < 4096) {
        prefix[next] = prev;
        suffix[next] = firstOf[prev];
        firstOf[next] = firstOf[prev];
        lengthOf[next] = lengthOf[prev] + 1;
        next++;
      }
      entry = code;
    } else {
      throw new GifFormatError("corrupt LZW data");
    }
    // write the string of `entry` backwards
    const len = lengthOf[entry];
    let k = entry;
    for (let i = len - 1; i >= 0; i--) {
      if (written + i < count) out[written + i] = suffix[k];
      k = prefix[k];
    }
    written += len;
    prev = entry;
    if (next === 1 << codeSize && codeSize < 12) codeSize++;
  }
  return out;
}

function deinterlace(rows: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(rows.length);
  let src = 0;
  for (const [start, step] of [[0, 8], [4, 8], [2, 4], [1, 2]] as const) {
    for (let y = start; y < height; y += step, src++) out.set(rows.subarray(src * width, (src + 1) * width), y * width);
  }
  return out;
}

export function isGif(bytes: Uint8Array): boolean {
  return bytes.length >= 6 && bytes[0] === 0x47 && bytes[1] === 0x49 && bytes[2] === 0x46 && bytes[3] === 0x38;
}

/** Logical screen size from the header (for limits checked before decoding). */
export function gifScreenSize(bytes: Uint8Array): [number, number] {
  if (!isGif(bytes) || bytes.length < 10) throw new GifFormatError("not a GIF file");
  return [bytes[6] | (bytes[7] << 8), bytes[8] | (bytes[9] << 8)];
}

/** `checkSize(width, height)` is called with the final size before any pixel buffer is allocated (it
 *  may throw, e.g. for a pixel limit). */
export function decodeGifFirstFrame(bytes: Uint8Array, checkSize?: (width: number, height: number) => void): RgbImage {
  const [screenW, screenH] = gifScreenSize(bytes);
  const r = new Reader(bytes);
  r.pos = 10;
  const packed = r.u8();
  r.pos += 2; // background index, aspect ratio
  const globalPalette = packed & 0x80 ? r.bytes(3 * (2 << (packed & 7))) : null;
  let transparent: number | null = null;
  for (;;) {
    const block = r.u8();
    if (block === 0x3b) throw new GifFormatError("GIF has no image frame");
    if (block === 0x21) {
      const label = r.u8();
      const body = r.subBlocks();
      if (label === 0xf9 && body.length >= 4) transparent = body[0] & 1 ? body[3] : null;
      continue;
    }
    if (block !== 0x2c) throw new GifFormatError(`unknown GIF block 0x${block.toString(16)}`);
    const left = r.u16();
    const top = r.u16();
    const fw = r.u16();
    const fh = r.u16();
    const fp = r.u8();
    const palette = fp & 0x80 ? r.bytes(3 * (2 << (fp & 7))) : globalPalette;
    // Pillow grows the image when the first frame extends past the logical screen.
    const width = Math.max(screenW, left + fw);
    const height = Math.max(screenH, top + fh);
    if (width === 0 || height === 0) throw new GifFormatError("GIF has an empty first frame");
    checkSize?.(width, height);
    const minCode = r.u8();
    let indices = lzwDecode(r.subBlocks(), minCode, fw * fh);
    if (fp & 0x40) indices = deinterlace(indices, fw, fh);

    const canvas = new Uint8Array(width * height).fill(transparent ?? 0);
    for (let y = 0; y < fh; y++) canvas.set(indices.subarray(y * fw, (y + 1) * fw), (top + y) * width + left);
    const data = new Uint8Array(width * height * 3);
    const entries = palette ? palette.length / 3 : 0;
    for (let i = 0; i < canvas.length; i++) {
      const idx = canvas[i];
      if (palette === null) {
        data[i * 3] = data[i * 3 + 1] = data[i * 3 + 2] = idx; // no palette: greyscale indices
      } else if (idx < entries) {
        data[i * 3] = palette[idx * 3];
        data[i * 3 + 1] = palette[idx * 3 + 1];
        data[i * 3 + 2] = palette[idx * 3 + 2];
      }
    }
    return { width, height, data };
  }
}
