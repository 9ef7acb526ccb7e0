export { quant_q8_32, quant_q8_k } from "./quantize";
export { repack_rows } from "./repack";
export { mm_q4_0, mm_q4_1, mm_q5_0, mm_q5_1, mm_q8_0 } from "./mm-q32";
export { heap_base } from "./heap";
export { mm_q2_k, mm_q3_k, mm_q5_k, mm_q6_k } from "./mm-k";
export { mm_q4_k, repack_q4_k, quant_q8_k4 } from "./mm-q4k";
export { mm_f32, mm_f16, mm_bf16 } from "./mm-float";
export { attention, silu_mul } from "./attention";
export { stream_read } from "./stream";
