/** Importing this module registers every block codec (float, legacy and K-quant families). */
import "./float.js";
import "./q4_0.js";
import "./q4_1.js";
import "./q5.js";
import "./q8_0.js";
import "./k-quants-q2q3.js";
import "./q4_k.js";
import "./q5_k.js";
import "./q6_k.js";
import "./q8_k.js";

export { getDequantizer, getQuantizer, registerDequantizer, registerQuantizer } from "./registry.js";
export type { Dequantizer, Quantizer } from "./registry.js";
