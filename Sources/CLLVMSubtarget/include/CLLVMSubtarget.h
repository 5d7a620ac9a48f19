/*
 * CLLVMSubtarget.h: what LLVM 19's C API cannot tell about a target's CPUs and features, taken
 * from its C++ MC layer (MCSubtargetInfo) behind a C interface.
 *
 * LLVM itself only warns about an unknown CPU or feature name and then ignores it; wasmc
 * rejects such names, so it needs the lists. It also needs the features a CPU implies, which
 * are what a compiled .so requires of the machine that loads it.
 *
 * Every function returns a string allocated with malloc (free it with
 * wasmc_llvm_dispose_message), or NULL with a malloc'd message in *error when LLVM has no
 * target for the triple.
 */
#ifndef CLLVM_SUBTARGET_H
#define CLLVM_SUBTARGET_H

#ifdef __cplusplus
extern "C" {
#endif

/* The CPU names LLVM accepts for `triple`, one per line. */
char *wasmc_llvm_cpu_names(const char *triple, char **error);

/* The feature names LLVM accepts for `triple` (without + or -), one per line. */
char *wasmc_llvm_feature_names(const char *triple, char **error);

/* The instruction-set features code generated for `cpu` with the feature string `features` may
 * use, as "+name,+name,..." in LLVM's table order: the CPU's features and what they imply,
 * changed by `features` as LLVM applies them (a "-name" also drops the features that imply
 * it). Tuning-only features (those LLVM lists only as CPUs' tuning, never as implied
 * capabilities) are left out: they do not change which instructions are used. The names must
 * be valid (see the lists above); otherwise LLVM prints a warning and ignores them. */
char *wasmc_llvm_required_features(const char *triple, const char *cpu, const char *features,
                                   char **error);

void wasmc_llvm_dispose_message(char *message);

#ifdef __cplusplus
}
#endif

#endif
