/** Image formats the decoder takes, by MIME type and by the magic bytes at the start of the file. */
export const IMAGE_MIME_TYPES = ["image/png", "image/jpeg", "image/jpg", "image/webp", "image/gif", "image/tiff"] as const;

export type ImageFormat = "png" | "jpeg" | "webp" | "gif" | "tiff";

const starts = (b: Uint8Array, sig: number[], at = 0) => b.length >= at + sig.length && sig.every((v, i) => b[at + i] === v);

/** The format of image bytes from their signature, or null when they are none of the supported ones. */
export function sniffImageFormat(b: Uint8Array): ImageFormat | null {
  if (starts(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "png";
  if (starts(b, [0xff, 0xd8, 0xff])) return "jpeg";
  if (starts(b, [0x47, 0x49, 0x46, 0x38])) return "gif";
  if (starts(b, [0x52, 0x49, 0x46, 0x46]) && starts(b, [0x57, 0x45, 0x42, 0x50], 8)) return "webp";
  if (starts(b, [0x49, 0x49, 0x2a, 0x00]) || starts(b, [0x4d, 0x4d, 0x00, 0x2a])) return "tiff";
  return null;
}

/** A short description of unknown bytes for error messages ("SVG", "BMP", ... or the first bytes). */
export function describeBytes(b: Uint8Array): string {
  const head = new TextDecoder("latin1").decode(b.subarray(0, 64)).trimStart();
  if (head.startsWith("<svg") || (head.startsWith("<?xml") && head.includes("<svg"))) return "SVG";
  if (starts(b, [0x42, 0x4d])) return "BMP";
  if (starts(b, [0x00, 0x00, 0x01, 0x00])) return "ICO";
  if (starts(b, [0x25, 0x50, 0x44, 0x46])) return "PDF";
  if (b.length >= 12 && starts(b, [0x66, 0x74, 0x79, 0x70], 4)) return "HEIF/AVIF or MP4";
  return `bytes starting ${Array.from(b.subarray(0, 4), (x) => x.toString(16).padStart(2, "0")).join(" ")}`;
}
