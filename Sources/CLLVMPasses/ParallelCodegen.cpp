// ParallelCodegen.cpp: machine code for a large optimized module on several threads. See
// include/CLLVMPasses.h.
//
// The module is optimized whole first (so inlining and the other module-wide passes see all of
// it), then split into parts of about equal size: functions go, largest first, to the part with
// the fewest instructions so far, global variables to the first part, and every local symbol
// becomes a hidden one, which the linker resolves inside the .so. (LLVM's SplitModule assigns
// by name hash or round robin, which left one part with twice the work of the other.) An
// LLVMContext must not be used from two threads, so each part travels as bitcode to a thread of
// its own, which reads it into a fresh context and emits it with its own copy of the target
// machine. The parts' objects are linked together; the code in them is the code one thread
// would have emitted for the whole module, up to the order of functions.
#include "CLLVMPasses.h"

#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Transforms/Utils/Cloning.h"
#include "llvm/Transforms/Utils/ValueMapper.h"

#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace llvm;

namespace {

// A part gets at least this many IR instructions: below it a thread costs more than it saves.
constexpr uint64_t minimumInstructionsPerPart = 4000;

char *copyMessage(const std::string &message) {
    char *copy = static_cast<char *>(malloc(message.size() + 1));
    memcpy(copy, message.c_str(), message.size() + 1);
    return copy;
}

// Emits `module` with a machine configured like `machine`; returns an error message or "".
std::string emit(Module &module, const TargetMachine &machine, SmallString<0> &object) {
    std::unique_ptr<TargetMachine> copy(machine.getTarget().createTargetMachine(
        machine.getTargetTriple().str(), machine.getTargetCPU(), machine.getTargetFeatureString(), machine.Options,
        machine.getRelocationModel(), machine.getCodeModel(), machine.getOptLevel()));
    if (!copy) return "cannot create a target machine for " + machine.getTargetTriple().str();
    raw_svector_ostream stream(object);
    legacy::PassManager passes;
    if (copy->addPassesToEmitFile(passes, stream, nullptr, CodeGenFileType::ObjectFile))
        return "the target cannot emit object files";
    passes.run(module);
    return "";
}

} // namespace

unsigned wasmc_llvm_codegen_parts(LLVMModuleRef moduleRef, unsigned threads) {
    uint64_t instructions = 0;
    for (Function &function : *unwrap(moduleRef)) instructions += function.getInstructionCount();
    uint64_t parts = instructions / minimumInstructionsPerPart;
    if (parts < 1) parts = 1;
    return static_cast<unsigned>(parts < threads ? parts : threads);
}

char *wasmc_llvm_emit_objects(LLVMModuleRef moduleRef, LLVMTargetMachineRef machineRef, unsigned parts,
                              wasmc_object **objectsOut) {
    Module &module = *unwrap(moduleRef);
    auto *machine = reinterpret_cast<TargetMachine *>(machineRef);
    *objectsOut = nullptr;
    // Every symbol one part may use from another is visible to the linker, not exported.
    unsigned unnamed = 0;
    for (GlobalValue &value : module.global_values()) {
        if (!value.hasLocalLinkage()) continue;
        if (!value.hasName()) value.setName("wasmc.part.unnamed." + Twine(unnamed++));
        value.setLinkage(GlobalValue::ExternalLinkage);
        value.setVisibility(GlobalValue::HiddenVisibility);
    }
    // Largest function first, each to the part with the least work so far.
    std::vector<std::pair<uint64_t, const Function *>> functions;
    for (const Function &function : module)
        if (!function.isDeclaration()) functions.push_back({function.getInstructionCount(), &function});
    std::stable_sort(functions.begin(), functions.end(),
                     [](const auto &a, const auto &b) { return a.first > b.first; });
    DenseMap<const GlobalValue *, unsigned> partOf;
    std::vector<uint64_t> load(parts, 0);
    for (auto &[size, function] : functions) {
        unsigned lightest = static_cast<unsigned>(std::min_element(load.begin(), load.end()) - load.begin());
        partOf[function] = lightest;
        load[lightest] += size;
    }
    std::vector<SmallString<0>> bitcodes(parts);
    for (unsigned index = 0; index < parts; ++index) {
        ValueToValueMapTy map;
        std::unique_ptr<Module> part = CloneModule(module, map, [&](const GlobalValue *value) {
            auto it = partOf.find(value);
            return it == partOf.end() ? index == 0 : it->second == index;
        });
        raw_svector_ostream stream(bitcodes[index]);
        WriteBitcodeToFile(*part, stream);
    }

    std::vector<SmallString<0>> objects(bitcodes.size());
    std::vector<std::string> errors(bitcodes.size());
    auto work = [&](size_t index) {
        LLVMContext context;
        MemoryBufferRef buffer(StringRef(bitcodes[index].data(), bitcodes[index].size()), "part");
        Expected<std::unique_ptr<Module>> part = parseBitcodeFile(buffer, context);
        if (!part) {
            errors[index] = "cannot read back part " + std::to_string(index) + ": " + toString(part.takeError());
            return;
        }
        errors[index] = emit(**part, *machine, objects[index]);
    };
    std::vector<std::thread> threads;
    for (size_t index = 1; index < bitcodes.size(); ++index) threads.emplace_back(work, index);
    if (!bitcodes.empty()) work(0);
    for (std::thread &thread : threads) thread.join();
    for (const std::string &error : errors)
        if (!error.empty()) return copyMessage(error);

    auto *result = static_cast<wasmc_object *>(calloc(objects.size() + 1, sizeof(wasmc_object)));
    for (size_t index = 0; index < objects.size(); ++index) {
        result[index].size = objects[index].size();
        result[index].bytes = static_cast<char *>(malloc(objects[index].size() ? objects[index].size() : 1));
        memcpy(result[index].bytes, objects[index].data(), objects[index].size());
    }
    *objectsOut = result;
    return nullptr;
}

void wasmc_llvm_free_objects(wasmc_object *objects) {
    if (!objects) return;
    for (wasmc_object *object = objects; object->bytes; ++object) free(object->bytes);
    free(objects);
}
