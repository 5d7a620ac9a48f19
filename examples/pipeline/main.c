/* examples/pipeline: a block that runs n elements through three stages, each a module of its
 * own (decode, model, post), and returns a checksum of the scores. Linked at compile time:
 *   wasmc compile main.wasm --link decode=decode.wasm --link model=model.wasm --link post=post.wasm -o pipeline.so
 *   wasmc run pipeline.so --invoke run 1000000 */
#ifdef __wasm__
#define IMPORT(module, name) __attribute__((import_module(module), import_name(name)))
#else
#define IMPORT(module, name)
#endif

IMPORT("decode", "decode") float decode(int byte);
IMPORT("model", "infer") float infer(float x, int i);
IMPORT("post", "post") int post(float y);

#ifdef __wasm__
__attribute__((export_name("run")))
#endif
int run(int n) {
    unsigned checksum = 0;
    for (int i = 0; i < n; i++) {
        int byte = (i * 37 + (i >> 3)) & 255;
        checksum = checksum * 31 + (unsigned)post(infer(decode(byte), i));
    }
    return (int)checksum;
}

#ifndef __wasm__
#include <stdio.h>
#include <stdlib.h>
/* The same stages built natively into one program, for the expected output. */
int main(int argc, char **argv) {
    printf("%d\n", run(argc > 1 ? atoi(argv[1]) : 1000));
    return 0;
}
#endif
