/* zlib (Debian's zlib1g-dev), for the wasm that every artifact carries compressed
 * (Sources/WasmcBackend/WasmArchive.swift writes it, Sources/Wasmc/Artifact.swift reads it). */
#include <zlib.h>
