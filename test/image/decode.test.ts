/**
 * Decoding: PIL `.convert("RGB")` semantics for every PNG mode, the fixture RGBA / P / L images,
 * generated JPEG / WebP / GIF / TIFF, EXIF orientation, the llamacpp (stb_image) flavour, and the
 * user errors (empty, corrupt, truncated, too many pixels). Expected values for the hand-made PNGs
 * follow Pillow 12.3's behaviour (checked against it when the tests were written).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import sharp from "sharp";
import { decodeImage, decodeImageFile } from "../../src/node/image-decode.js";
import { UserError } from "../../src/errors.js";
import type { RgbImage } from "../../src/multimodal/image/rgb-image.js";
import { encodePng, encodeTiffGrey16 } from "./png-writer.js";
import { fixturePath, sha256 } from "./fixtures.js";

const W = 4;
const H = 3;
const seq = <T = number>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
const rgbOf = (img: RgbImage, i: number): number[] => Array.from(img.data.subarray(i * 3, i * 3 + 3));
const greys = (img: RgbImage): number[] => seq(img.width * img.height, (i) => {
  const [r, g, b] = rgbOf(img, i);
  assert.ok(r === g && g === b, `pixel ${i} is not grey`);
  return r;
});

async function sharpRaw(bytes: Uint8Array): Promise<{ data: Buffer; channels: number }> {
  const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  return { data, channels: info.channels };
}

function isUserError(code: string, pattern?: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (pattern) assert.match(e.message, pattern);
    return true;
  };
}

test("fixture RGBA image: alpha dropped without compositing (RGB under alpha 0 kept)", async () => {
  const path = fixturePath("hf", "images", "rgba_320x240.png");
  const img = await decodeImageFile(path);
  const { data, channels } = await sharpRaw(readFileSync(path));
  assert.equal(channels, 4);
  assert.deepEqual([img.width, img.height], [320, 240]);
  let transparent = 0;
  for (let i = 0; i < 320 * 240; i++) {
    assert.deepEqual(rgbOf(img, i), Array.from(data.subarray(i * 4, i * 4 + 3)));
    if (data[i * 4 + 3] === 0) transparent++;
  }
  assert.ok(transparent > 0, "the fixture has fully transparent pixels");
});

test("fixture palette (P) and grey (L) images decode to their colours / replicated grey", async () => {
  const p = await decodeImageFile(fixturePath("hf", "images", "palette_P_200x150.png"));
  assert.deepEqual([p.width, p.height], [200, 150]);
  const colours = new Set(seq(200 * 150, (i) => rgbOf(p, i).join(",")));
  assert.ok(colours.size > 1 && colours.size <= 256);
  const l = await decodeImageFile(fixturePath("hf", "images", "grey_L_500x375.png"));
  assert.deepEqual([l.width, l.height], [500, 375]);
  assert.ok(new Set(greys(l)).size > 10);
  // (the bit-exact pixels of these three are also checked through the authors' crops in hf-golden.test.ts)
});

test("PNG modes convert like PIL's convert('RGB')", async () => {
  const g16 = [0, 1, 200, 255, 256, 300, 1000, 65535, 512, 511, 128, 7];
  const cases: { name: string; png: Buffer; pil: number[][]; llamacpp?: number[][] }[] = [
    { name: "L 8-bit", png: encodePng({ width: W, height: H, colourType: 0, bitDepth: 8, samples: seq(12, (i) => i * 21) }), pil: seq(12, (i) => [i * 21, i * 21, i * 21]) },
    { name: "L 4-bit", png: encodePng({ width: W, height: H, colourType: 0, bitDepth: 4, samples: seq(12, (i) => i) }), pil: seq(12, (i) => [i * 17, i * 17, i * 17]) },
    { name: "1-bit", png: encodePng({ width: W, height: H, colourType: 0, bitDepth: 1, samples: seq(12, (i) => i % 2) }), pil: seq(12, (i) => (i % 2 ? [255, 255, 255] : [0, 0, 0])) },
    {
      name: "I;16 (16-bit grey) saturates",
      png: encodePng({ width: W, height: H, colourType: 0, bitDepth: 16, samples: g16 }),
      pil: g16.map((v) => Array(3).fill(Math.min(v, 255))),
      llamacpp: g16.map((v) => Array(3).fill(v >> 8)),
    },
    {
      name: "I;16 with tRNS still saturates",
      png: encodePng({ width: W, height: H, colourType: 0, bitDepth: 16, samples: g16, trns: [0, 200] }),
      pil: g16.map((v) => Array(3).fill(Math.min(v, 255))),
      llamacpp: g16.map((v) => Array(3).fill(v >> 8)),
    },
    { name: "LA 8-bit", png: encodePng({ width: W, height: H, colourType: 4, bitDepth: 8, samples: seq(24, (i) => (i * 37) % 256) }), pil: seq(12, (i) => Array(3).fill((i * 2 * 37) % 256)) },
    { name: "LA 16-bit (high byte)", png: encodePng({ width: W, height: H, colourType: 4, bitDepth: 16, samples: seq(24, (i) => (i * 4099) % 65536) }), pil: seq(12, (i) => Array(3).fill(((i * 2 * 4099) % 65536) >> 8)) },
    { name: "RGB 16-bit (high byte)", png: encodePng({ width: W, height: H, colourType: 2, bitDepth: 16, samples: seq(36, (i) => (i * 3001) % 65536) }), pil: seq(12, (i) => seq(3, (c) => ((((i * 3 + c) * 3001) % 65536) >> 8))) },
    { name: "RGBA 16-bit (high byte, alpha dropped)", png: encodePng({ width: W, height: H, colourType: 6, bitDepth: 16, samples: seq(48, (i) => (i * 1777) % 65536) }), pil: seq(12, (i) => seq(3, (c) => ((((i * 4 + c) * 1777) % 65536) >> 8))) },
    {
      name: "P 2-bit with tRNS (transparency ignored)",
      png: encodePng({ width: W, height: H, colourType: 3, bitDepth: 2, samples: seq(12, (i) => i % 4), palette: [[10, 20, 30], [40, 50, 60], [70, 80, 90], [200, 100, 0]], trns: [0, 128] }),
      pil: seq(12, (i) => [[10, 20, 30], [40, 50, 60], [70, 80, 90], [200, 100, 0]][i % 4]),
    },
    { name: "RGB with tRNS", png: encodePng({ width: W, height: H, colourType: 2, bitDepth: 8, samples: seq(36, (i) => (i * 13) % 256), trns: [0, 0, 0, 13, 0, 26] }), pil: seq(12, (i) => seq(3, (c) => ((i * 3 + c) * 13) % 256)) },
    { name: "RGBA, alpha 0 everywhere", png: encodePng({ width: W, height: H, colourType: 6, bitDepth: 8, samples: seq(48, (i) => (i % 4 === 3 ? 0 : (i * 11) % 256)) }), pil: seq(12, (i) => seq(3, (c) => ((i * 4 + c) * 11) % 256)) },
  ];
  for (const c of cases) {
    const pil = await decodeImage(c.png);
    assert.deepEqual([pil.width, pil.height], [W, H], c.name);
    assert.deepEqual(seq(12, (i) => rgbOf(pil, i)), c.pil, `${c.name} (pil)`);
    const llama = await decodeImage(c.png, { flavour: "llamacpp" });
    assert.deepEqual(seq(12, (i) => rgbOf(llama, i)), c.llamacpp ?? c.pil, `${c.name} (llamacpp)`);
  }
});

async function testPicture(): Promise<{ raw: Buffer; width: number; height: number }> {
  const width = 64;
  const height = 48;
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      raw[o] = (x * 4) & 255;
      raw[o + 1] = (y * 5) & 255;
      raw[o + 2] = x < width / 2 ? 30 : 220;
    }
  }
  return { raw, width, height };
}

test("generated JPEG / WebP / GIF / TIFF decode to the right size and pixels", async () => {
  const { raw, width, height } = await testPicture();
  const src = sharp(raw, { raw: { width, height, channels: 3 } });
  const lossless = {
    webp: await src.clone().webp({ lossless: true }).toBuffer(),
    tiff: await src.clone().tiff({ compression: "lzw" }).toBuffer(),
    png: await src.clone().png().toBuffer(),
  };
  for (const [fmt, bytes] of Object.entries(lossless)) {
    const img = await decodeImage(bytes);
    assert.deepEqual([img.width, img.height], [width, height], fmt);
    assert.ok(Buffer.from(img.data).equals(raw), `${fmt} round trip is exact`);
  }
  for (const jpeg of [await src.clone().jpeg({ quality: 95 }).toBuffer(), await src.clone().jpeg({ quality: 90, progressive: true }).toBuffer()]) {
    const img = await decodeImage(jpeg);
    assert.deepEqual([img.width, img.height], [width, height]);
    let err = 0;
    for (let i = 0; i < raw.length; i++) err += Math.abs(img.data[i] - raw[i]);
    assert.ok(err / raw.length < 4, `JPEG mean abs error ${err / raw.length}`);
    // the pixels are libjpeg's: identical to sharp's own decode
    assert.deepEqual(img.data, new Uint8Array((await sharpRaw(jpeg)).data));
  }
  const lossy = await src.clone().webp({ quality: 90 }).toBuffer();
  assert.deepEqual((await decodeImage(lossy)).data, new Uint8Array((await sharpRaw(lossy)).data));
});

function assertSameAsLibvips(img: RgbImage, ref: { data: Buffer; channels: number }, label: string): void {
  for (let i = 0; i < img.width * img.height; i++) {
    assert.deepEqual(rgbOf(img, i), Array.from(ref.data.subarray(i * ref.channels, i * ref.channels + 3)), `${label} pixel ${i}`);
  }
}

test("GIF: first frame, palette colours; interlaced GIFs de-interlaced; equals libvips where there is no transparency", async () => {
  const { raw, width, height } = await testPicture();
  const gif = await sharp(raw, { raw: { width, height, channels: 3 } }).gif({ dither: 0 }).toBuffer();
  const img = await decodeImage(gif);
  assert.deepEqual([img.width, img.height], [width, height]);
  assertSameAsLibvips(img, await sharpRaw(gif), "sharp-written GIF");
  // 17x19 interlaced GIF written by Pillow 12.3 (sharp does not write interlaced GIFs); sha256 of
  // Pillow's convert("RGB") bytes
  const interlaced = Buffer.from(
    "R0lGODdhEQATAIIAAAAAAP8AAAD/AAAA////AAD///8A/4CAgCwAAAAAEQATAEAIegABCAxAUIDBAQgJKCxQQCAAggEMCkA4QCEBhg4hSqRoEePAggcTLmz4MWLIiiM7MjTA8oDLjAFUFmBpwOUBmDJp2sQ5cmbLlx9z/rz5caPIiyt/6gT6EOTEAUZRIvVZ88BSok1NPo0qtOpVmFoRcu259GtJo2OnLg0IADs=",
    "base64",
  );
  assert.ok(interlaced[13 + 24 + 9] & 0x40, "the frame is interlaced");
  const il = await decodeImage(interlaced);
  assert.equal(sha256(il.data), "3b8443e03d11d01a93556fbc54b859f2c5cfe7492ac339ef6dc656a9d3e83d2c");
  assertSameAsLibvips(il, await sharpRaw(interlaced), "interlaced GIF");
  // an animated GIF gives its first frame
  const frame = (v: number) => sharp({ create: { width: 8, height: 6, channels: 3, background: { r: v, g: 0, b: 255 - v } } }).png().toBuffer();
  const anim = await sharp([await frame(0), await frame(255)], { join: { animated: true } }).gif().toBuffer();
  const first = await decodeImage(anim);
  assert.deepEqual([first.width, first.height], [8, 6]);
  assert.deepEqual(rgbOf(first, 0), [0, 0, 255]);
});

test("GIF transparency: PIL shows the transparent index's palette colour, stb_image (llamacpp) black", async () => {
  // 12x9, 8-colour palette, transparent index 5 (17 pixels), written by Pillow 12.3;
  // sha256 of Pillow's Image.open(...).convert("RGB") bytes.
  const gif = Buffer.from(
    "R0lGODlhDAAJAIIAAHF6gZWNgv7OyrOfV/13N9gp25wdC3EJJCH5BAEAAAUALAAAAAAMAAkAAAhZAAsIOHBAIIACBAYEKFDAQIEDAw4AICBAAAEDAgIMcLgwQMUAExtmDHBAgIGFBgYwPABSQEMAEAkACIDxIMkCAE5qzHlxgMmcAwhQpOjzYUWWC2d6vEjgQEAAOw==",
    "base64",
  );
  const pil = await decodeImage(gif);
  assert.equal(sha256(pil.data), "b7bea346150ddcb457c5eb3783d8d356656597ce9f4d8fd2f61b162123ed8801");
  assert.deepEqual(rgbOf(pil, 0), [216, 41, 219]);
  const llama = await decodeImage(gif, { flavour: "llamacpp" });
  assert.deepEqual(rgbOf(llama, 0), [0, 0, 0]);
  let differ = 0;
  for (let i = 0; i < 12 * 9; i++) if (rgbOf(pil, i).join() !== rgbOf(llama, i).join()) differ++;
  assert.equal(differ, 17);
});

test("16-bit grey TIFF saturates like PIL's I;16", async () => {
  const values = [0, 100, 255, 256, 4000, 65535];
  const tiff = encodeTiffGrey16(6, 1, values);
  const img = await decodeImage(tiff);
  assert.deepEqual(greys(img), values.map((v) => Math.min(v, 255)));
  assert.deepEqual(greys(await decodeImage(tiff, { flavour: "llamacpp" })), values.map((v) => v >> 8));
});

test("EXIF orientation is applied (pil flavour) and ignored (llamacpp flavour, like stb_image)", async () => {
  // 2x1 image: red | blue, stored with orientation 6 (display = rotate 90° clockwise) -> 1x2: red over blue
  const raw = Buffer.from([255, 0, 0, 0, 0, 255]);
  const jpeg = await sharp(raw, { raw: { width: 2, height: 1, channels: 3 } })
    .resize(32, 16, { kernel: "nearest" })
    .jpeg({ quality: 100, chromaSubsampling: "4:4:4" })
    .withMetadata({ orientation: 6 })
    .toBuffer();
  const pil = await decodeImage(jpeg);
  assert.deepEqual([pil.width, pil.height], [16, 32]);
  const top = rgbOf(pil, 8 * 16 + 8);
  const bottom = rgbOf(pil, 24 * 16 + 8);
  assert.ok(top[0] > 200 && top[2] < 50, `top is red: ${top}`);
  assert.ok(bottom[2] > 200 && bottom[0] < 50, `bottom is blue: ${bottom}`);
  const llama = await decodeImage(jpeg, { flavour: "llamacpp" });
  assert.deepEqual([llama.width, llama.height], [32, 16]);
});

test("user errors: empty, corrupt, truncated, unsupported format, missing file", async () => {
  await assert.rejects(decodeImage(new Uint8Array(0)), isUserError("bad_image", /empty/));
  await assert.rejects(decodeImage(Buffer.from("this is not an image at all")), isUserError("bad_image", /not a readable image/));
  const png = readFileSync(fixturePath("hf", "images", "small_300x200.png"));
  await assert.rejects(decodeImage(png.subarray(0, png.length >> 1), { name: "half.png" }), isUserError("bad_image", /half\.png: cannot decode/));
  const jpeg = await sharp(png).jpeg().toBuffer();
  await assert.rejects(decodeImage(jpeg.subarray(0, jpeg.length >> 1)), isUserError("bad_image"));
  const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>');
  await assert.rejects(decodeImage(svg), isUserError("bad_image", /unsupported image format "svg"/));
  await assert.rejects(decodeImageFile(fixturePath("hf", "images", "no_such_file.png")), isUserError("missing"));
});

test("pixel limit is enforced from the header before decoding (decompression bomb)", async () => {
  const png = readFileSync(fixturePath("hf", "images", "small_300x200.png"));
  await assert.rejects(decodeImage(png, { maxPixels: 300 * 200 - 1 }), isUserError("bad_image", /300x200 = 60000 pixels exceeds the limit of 59999/));
  assert.equal((await decodeImage(png, { maxPixels: 300 * 200 })).width, 300);
  // a PNG whose header claims 100000 x 100000 over a few bytes of data: rejected without decoding
  const bomb = encodePng({ width: 2, height: 2, colourType: 2, bitDepth: 8, samples: seq(12, () => 0), headerSize: [100_000, 100_000] });
  const t0 = performance.now();
  await assert.rejects(decodeImage(bomb), isUserError("bad_image", /10000000000 pixels exceeds the limit of 89478485/));
  assert.ok(performance.now() - t0 < 1000);
  // GIF (own decoder path) checks the limit too
  const gif = await sharp({ create: { width: 40, height: 30, channels: 3, background: "red" } }).gif().toBuffer();
  await assert.rejects(decodeImage(gif, { maxPixels: 1000 }), isUserError("bad_image", /exceeds the limit/));
});
