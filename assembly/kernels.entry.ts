// SIMD128 build of the kernels (plain SIMD: every engine with WebAssembly SIMD).
export * from "./kernels/index";
