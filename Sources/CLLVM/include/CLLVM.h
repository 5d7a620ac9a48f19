// Umbrella header for LLVM 19's C API (Debian llvm-19-dev; include/llvm-c and include/llvm are
// symlinks into /usr/lib/llvm-19/include, which Target.h needs for llvm/Config).
#include <llvm-c/Core.h>
#include <llvm-c/Analysis.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <llvm-c/BitWriter.h>
#include <llvm-c/Error.h>
#include <llvm-c/Support.h>
