// PartCodegen.cpp: optimization and machine code for one LLVM module (a whole wasm module, or
// one part of a large one) on the calling thread. See include/CLLVMPasses.h.
//
// A large module is generated in parts, each in an LLVM context of its own (ModuleCompiler and
// Compiler.swift): the threads that take the parts each create, optimize and emit a part here
// with a copy of the target machine for the part's level (a TargetMachine caches subtargets as
// it is used, so threads must not share one), and the parts' objects are linked into one .so.
#include "CLLVMPasses.h"
#include "Passes.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

using namespace llvm;

namespace {

// A target machine configured like `machine` but for -O`level`. -O0 and -O1 select instructions
// with FastISel (TargetMachine.swift says why).
std::unique_ptr<TargetMachine> copyOf(const TargetMachine &machine, int level) {
    static const CodeGenOptLevel levels[] = {CodeGenOptLevel::None, CodeGenOptLevel::Less, CodeGenOptLevel::Default,
                                             CodeGenOptLevel::Aggressive};
    std::unique_ptr<TargetMachine> copy(machine.getTarget().createTargetMachine(
        machine.getTargetTriple().str(), machine.getTargetCPU(), machine.getTargetFeatureString(), machine.Options,
        machine.getRelocationModel(), machine.getCodeModel(), levels[std::clamp(level, 0, 3)]));
    if (copy) copy->setFastISel(level <= 1);
    return copy;
}

} // namespace

char *wasmc_llvm_compile_part(LLVMModuleRef moduleRef, LLVMTargetMachineRef machineRef, int level,
                              const wasmc_pipeline_options *options, wasmc_object *object) {
    Module &module = *unwrap(moduleRef);
    auto *machine = reinterpret_cast<TargetMachine *>(machineRef);
    object->bytes = nullptr;
    object->size = 0;
    std::unique_ptr<TargetMachine> copy = copyOf(*machine, level);
    if (!copy) return wasmc::copyMessage("cannot create a target machine for " + machine->getTargetTriple().str());
    std::string error = wasmc::optimizeModule(module, copy.get(), level, *options);
    if (!error.empty()) return wasmc::copyMessage(error);
    SmallString<0> bytes;
    {
        raw_svector_ostream stream(bytes);
        legacy::PassManager emitter;
        if (copy->addPassesToEmitFile(emitter, stream, nullptr, CodeGenFileType::ObjectFile))
            return wasmc::copyMessage("the target cannot emit object files");
        emitter.run(module);
    }
    object->size = bytes.size();
    object->bytes = static_cast<char *>(malloc(bytes.size() ? bytes.size() : 1));
    memcpy(object->bytes, bytes.data(), bytes.size());
    return nullptr;
}
