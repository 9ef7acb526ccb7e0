import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { fileSource } from "../../src/node/file-source.js";
import type { ByteSource } from "../../src/io/byte-source.js";

/** Paths and loaders for the copies under test/fixtures (tests never read /work/shared). */
export function fixturePath(rel: string): string {
  return fileURLToPath(new URL(`../fixtures/${rel}`, import.meta.url));
}

export function fixtureBytes(rel: string): Uint8Array {
  return new Uint8Array(readFileSync(fixturePath(rel)));
}

export function fixtureJSON<T = any>(rel: string): T {
  return JSON.parse(readFileSync(fixturePath(rel), "utf8")) as T;
}

export function fixtureF32(rel: string): Float32Array {
  const b = fixtureBytes(rel);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

export function openFixture(rel: string): Promise<ByteSource> {
  return fileSource(fixturePath(rel));
}

/** A deterministic PRNG (mulberry32) for generated data and fuzzing. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A test signal built with plain arithmetic only (no Math.log/cos, whose last bits may vary between
 * engines), so hashes of its quantization are stable: per 256-block a different scale, some
 * outliers, all-zero and constant blocks.
 */
export function testSignal(seed: number, n: number): Float32Array {
  const r = prng(seed);
  const out = new Float32Array(n);
  const scales = [0.02, 1, 30, 1e-4];
  for (let i = 0; i < n; i++) {
    const block = i >> 8;
    if (block % 7 === 6) continue;
    if (block % 11 === 10) { out[i] = 0.5; continue; }
    let v = (r() + r() + r() + r() - 2) * scales[block % 4];
    if (r() < 0.01) v *= 8;
    out[i] = v;
  }
  return out;
}

/** Standard normal samples from the PRNG (Box-Muller), as float32. */
export function gaussian(rand: () => number, n: number, sigma = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(rand(), 1e-12);
    out[i] = sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  }
  return out;
}
