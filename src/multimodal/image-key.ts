import type { RgbImage } from "./image/rgb-image.js";

/**
 * A content hash of an image (FNV-1a over size and pixels, two lanes for 64 bits): the identity of an
 * image's rows in a chat session's cache, and the key of the encoded-image cache.
 */
export function imageKey(img: RgbImage): string {
  let h1 = 0x811c9dc5 ^ img.width;
  let h2 = 0x01000193 ^ img.height;
  const d = img.data;
  for (let i = 0; i < d.length; i++) {
    h1 = Math.imul(h1 ^ d[i], 0x01000193);
    h2 = Math.imul(h2 ^ d[i], 0x5bd1e995);
  }
  return `${img.width}x${img.height}:${(h1 >>> 0).toString(16).padStart(8, "0")}${(h2 >>> 0).toString(16).padStart(8, "0")}`;
}
