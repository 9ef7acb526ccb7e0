import { GGMLType } from "../gguf/ggml-types.js";

/** safetensors dtype names and their element sizes. */
export const SAFETENSORS_DTYPES = {
  F64: 8, F32: 4, F16: 2, BF16: 2,
  I64: 8, I32: 4, I16: 2, I8: 1,
  U64: 8, U32: 4, U16: 2, U8: 1,
  BOOL: 1, F8_E4M3: 1, F8_E5M2: 1,
} as const;

export type SafetensorsDType = keyof typeof SAFETENSORS_DTYPES;

export function isSafetensorsDType(s: unknown): s is SafetensorsDType {
  return typeof s === "string" && Object.prototype.hasOwnProperty.call(SAFETENSORS_DTYPES, s);
}

const TO_GGML: Partial<Record<SafetensorsDType, GGMLType>> = {
  F64: GGMLType.F64, F32: GGMLType.F32, F16: GGMLType.F16, BF16: GGMLType.BF16,
  I64: GGMLType.I64, I32: GGMLType.I32, I16: GGMLType.I16, I8: GGMLType.I8,
};

/** The ggml type with the same bytes, if there is one (unsigned, bool and fp8 have none). */
export function ggmlTypeOfDType(dtype: SafetensorsDType): GGMLType | undefined {
  return TO_GGML[dtype];
}

const FROM_GGML = new Map<GGMLType, SafetensorsDType>(Object.entries(TO_GGML).map(([k, v]) => [v!, k as SafetensorsDType]));

export function dtypeOfGGMLType(type: GGMLType): SafetensorsDType | undefined {
  return FROM_GGML.get(type);
}
