/** A minimal PNG encoder for tests: exact control over colour type, bit depth, palette and tRNS. */
import { crc32, deflateSync } from "node:zlib";

function chunk(type: string, body: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, "ascii");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])) >>> 0, 0);
  return Buffer.concat([head, body, crc]);
}

export interface PngSpec {
  width: number;
  height: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA */
  colourType: 0 | 2 | 3 | 4 | 6;
  bitDepth: 1 | 2 | 4 | 8 | 16;
  /** samples row-major, one number per channel sample (palette: indices) */
  samples: number[];
  palette?: [number, number, number][];
  /** raw tRNS chunk body */
  trns?: number[];
  /** claimed size in IHDR, to fake a huge image (the pixel data then does not match) */
  headerSize?: [number, number];
}

const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;

export function encodePng(s: PngSpec): Buffer {
  const ch = CHANNELS[s.colourType];
  const bitsPerRow = s.width * ch * s.bitDepth;
  const rowBytes = Math.ceil(bitsPerRow / 8);
  const raw = Buffer.alloc((rowBytes + 1) * s.height);
  for (let y = 0; y < s.height; y++) {
    const row = raw.subarray(y * (rowBytes + 1) + 1, (y + 1) * (rowBytes + 1));
    for (let i = 0; i < s.width * ch; i++) {
      const v = s.samples[y * s.width * ch + i];
      if (s.bitDepth === 16) row.writeUInt16BE(v, i * 2);
      else if (s.bitDepth === 8) row[i] = v;
      else {
        const bit = i * s.bitDepth;
        row[bit >> 3] |= v << (8 - s.bitDepth - (bit & 7));
      }
    }
  }
  const ihdr = Buffer.alloc(13);
  const [hw, hh] = s.headerSize ?? [s.width, s.height];
  ihdr.writeUInt32BE(hw, 0);
  ihdr.writeUInt32BE(hh, 4);
  ihdr[8] = s.bitDepth;
  ihdr[9] = s.colourType;
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr)];
  if (s.palette) parts.push(chunk("PLTE", Uint8Array.from(s.palette.flat())));
  if (s.trns) parts.push(chunk("tRNS", Uint8Array.from(s.trns)));
  parts.push(chunk("IDAT", deflateSync(raw)), chunk("IEND", new Uint8Array(0)));
  return Buffer.concat(parts);
}

/** An uncompressed little-endian 16-bit greyscale TIFF (sharp writes 8-bit TIFFs only). */
export function encodeTiffGrey16(width: number, height: number, values: number[]): Buffer {
  const entries: [tag: number, type: number, value: number][] = [
    [256, 4, width], // ImageWidth
    [257, 4, height], // ImageLength
    [258, 3, 16], // BitsPerSample
    [259, 3, 1], // Compression: none
    [262, 3, 1], // Photometric: BlackIsZero
    [273, 4, 0], // StripOffsets (patched below)
    [277, 3, 1], // SamplesPerPixel
    [278, 4, height], // RowsPerStrip
    [279, 4, width * height * 2], // StripByteCounts
  ];
  const ifdSize = 2 + entries.length * 12 + 4;
  const dataOffset = 8 + ifdSize;
  const out = Buffer.alloc(dataOffset + width * height * 2);
  out.write("II", 0, "ascii");
  out.writeUInt16LE(42, 2);
  out.writeUInt32LE(8, 4);
  out.writeUInt16LE(entries.length, 8);
  entries.forEach(([tag, type, value], i) => {
    const o = 10 + i * 12;
    out.writeUInt16LE(tag, o);
    out.writeUInt16LE(type, o + 2);
    out.writeUInt32LE(1, o + 4);
    if (type === 3) out.writeUInt16LE(value, o + 8);
    else out.writeUInt32LE(tag === 273 ? dataOffset : value, o + 8);
  });
  values.forEach((v, i) => out.writeUInt16LE(v, dataOffset + i * 2));
  return out;
}
