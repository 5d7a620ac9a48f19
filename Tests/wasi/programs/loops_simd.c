// wasm-flags: -O3 -msimd128
/* loops.c built with -msimd128: clang vectorizes some of the loops to v128 first. */
#include "loops.c"
