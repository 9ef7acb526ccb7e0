// Relaxed-SIMD build of the same kernels (the build script enables the feature from the name).
export * from "./kernels/index";
