/**
 * ggml tensor types (ids as in ggml.h) and their block layouts (ggml-common.h).
 * `blockSize` elements are stored in `typeSize` bytes.
 */
export enum GGMLType {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  BF16 = 30,
}

export interface GGMLTypeInfo {
  readonly name: string;
  readonly blockSize: number;
  readonly typeSize: number;
  readonly quantized: boolean;
}

const QK_K = 256;

export const GGML_TYPES: Readonly<Partial<Record<GGMLType, GGMLTypeInfo>>> = {
  [GGMLType.F32]: { name: "F32", blockSize: 1, typeSize: 4, quantized: false },
  [GGMLType.F16]: { name: "F16", blockSize: 1, typeSize: 2, quantized: false },
  [GGMLType.BF16]: { name: "BF16", blockSize: 1, typeSize: 2, quantized: false },
  [GGMLType.F64]: { name: "F64", blockSize: 1, typeSize: 8, quantized: false },
  [GGMLType.I8]: { name: "I8", blockSize: 1, typeSize: 1, quantized: false },
  [GGMLType.I16]: { name: "I16", blockSize: 1, typeSize: 2, quantized: false },
  [GGMLType.I32]: { name: "I32", blockSize: 1, typeSize: 4, quantized: false },
  [GGMLType.I64]: { name: "I64", blockSize: 1, typeSize: 8, quantized: false },
  [GGMLType.Q4_0]: { name: "Q4_0", blockSize: 32, typeSize: 2 + 16, quantized: true },
  [GGMLType.Q4_1]: { name: "Q4_1", blockSize: 32, typeSize: 2 + 2 + 16, quantized: true },
  [GGMLType.Q5_0]: { name: "Q5_0", blockSize: 32, typeSize: 2 + 4 + 16, quantized: true },
  [GGMLType.Q5_1]: { name: "Q5_1", blockSize: 32, typeSize: 2 + 2 + 4 + 16, quantized: true },
  [GGMLType.Q8_0]: { name: "Q8_0", blockSize: 32, typeSize: 2 + 32, quantized: true },
  [GGMLType.Q8_1]: { name: "Q8_1", blockSize: 32, typeSize: 4 + 32, quantized: true },
  [GGMLType.Q2_K]: { name: "Q2_K", blockSize: QK_K, typeSize: QK_K / 16 + QK_K / 4 + 2 + 2, quantized: true },
  [GGMLType.Q3_K]: { name: "Q3_K", blockSize: QK_K, typeSize: QK_K / 8 + QK_K / 4 + 12 + 2, quantized: true },
  [GGMLType.Q4_K]: { name: "Q4_K", blockSize: QK_K, typeSize: 2 + 2 + 12 + QK_K / 2, quantized: true },
  [GGMLType.Q5_K]: { name: "Q5_K", blockSize: QK_K, typeSize: 2 + 2 + 12 + QK_K / 8 + QK_K / 2, quantized: true },
  [GGMLType.Q6_K]: { name: "Q6_K", blockSize: QK_K, typeSize: QK_K / 2 + QK_K / 4 + QK_K / 16 + 2, quantized: true },
  [GGMLType.Q8_K]: { name: "Q8_K", blockSize: QK_K, typeSize: 4 + QK_K + (QK_K / 16) * 2, quantized: true },
};

export function ggmlTypeInfo(type: number): GGMLTypeInfo | undefined {
  return GGML_TYPES[type as GGMLType];
}

export function ggmlTypeName(type: number): string {
  return ggmlTypeInfo(type)?.name ?? `type#${type}`;
}

/** Bytes needed for `n` elements of `type` (n must be a multiple of the block size). */
export function ggmlRowBytes(type: GGMLType, n: number): number {
  const info = GGML_TYPES[type];
  if (!info) throw new Error(`unknown ggml type ${type}`);
  if (n % info.blockSize !== 0) throw new Error(`${info.name}: ${n} elements is not a multiple of ${info.blockSize}`);
  return (n / info.blockSize) * info.typeSize;
}
