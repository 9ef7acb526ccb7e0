/**
 * Whether this engine compiles relaxed SIMD: a one-function module using
 * i32x4.relaxed_dot_i8x16_i7x16_add_s (Node 20 needs --experimental-wasm-relaxed-simd, which the Node
 * platform sets before anything is compiled).
 */
export function relaxedSimdSupported(): boolean {
  const zero16 = new Array<number>(16).fill(0);
  const c = [0xfd, 0x0c, ...zero16]; // v128.const 0
  const body = [0x00, ...c, ...c, ...c, 0xfd, 0x93, 0x02, 0x0b];
  const bytes = new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type: () -> v128
    0x03, 0x02, 0x01, 0x00, // one function
    0x0a, body.length + 2, 0x01, body.length, ...body,
  ]);
  try {
    return WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}
