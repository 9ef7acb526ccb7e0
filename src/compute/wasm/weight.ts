import type { GGMLType } from "../../formats/gguf/ggml-types.js";
import type { WeightMatrix } from "../backend.js";
import type { MatmulKind } from "./kernel-abi.js";

/** A weight matrix living in one of the backend's memories. */
export interface WasmWeight extends WeightMatrix {
  readonly type: GGMLType;
  readonly kind: MatmulKind;
  /** The kernel for products over many activation rows (weights created with `manyRows`), if any. */
  readonly manyRows?: MatmulKind;
  /** Index of the memory (slot) that holds it. */
  readonly slot: number;
  /** Byte offset of row 0 in that memory. */
  readonly ptr: number;
  readonly rowBytes: number;
  /** Set by the backend that created it (weights of other backends are rejected). */
  readonly owner: object;
}
