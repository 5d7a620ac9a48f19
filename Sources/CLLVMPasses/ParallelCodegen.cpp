// ParallelCodegen.cpp: optimization and machine code for a large module on several threads.
// See include/CLLVMPasses.h.
//
// The module is split into parts of about equal size: functions go, largest first, to the part
// with the fewest instructions so far, global variables to the first part, and every local
// symbol becomes a hidden one, which the linker resolves inside the .so. (LLVM's SplitModule
// assigns by name hash or round robin, which left one part with twice the work of the other.)
// An LLVMContext must not be used from two threads, so the module is written out once as
// bitcode, and the thread of each part loads it lazily into a fresh context: it reads the bodies
// of the part's functions only and makes declarations of the others (cloning each part on the
// main thread instead cost jsonpp 0.03 s before any thread could start). It then optimizes the
// part if asked to and emits it with its own copy of the target machine. The parts' objects are
// linked together.
//
// Split after optimization, the code is the code one thread would have emitted for the whole
// module, up to the order of functions. Split before it (what wasmc does for a large module:
// the pipeline takes about as long as machine code), each part's optimizer sees its own
// functions, plus copies of the small functions and of the constants of other parts that they
// use, as `available_externally` definitions it may inline or fold but does not emit; it does
// not see the other parts' uses of its own functions, which only limits what it may change
// about them (their signatures, whether they can be removed).
#include "CLLVMPasses.h"
#include "Passes.h"

#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/ADT/StringMap.h"

#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace llvm;

namespace {

// A part gets at least this many IR instructions of optimized code, or of code not yet optimized
// (which has more instructions for the same work, but its part also runs the optimizer): below
// it a thread costs more than it saves.
constexpr uint64_t minimumInstructionsPerPart = 4000;
constexpr uint64_t minimumUnoptimizedInstructionsPerPart = 5000;
// The number of parts depends on the module alone, so the code does not depend on the threads.
constexpr uint64_t maximumParts = 16;
// Functions of at most this many (unoptimized) instructions are copied into the other parts
// that call them, for their optimizers to inline.
constexpr uint64_t maximumCopiedCallee = 60;

// A target machine configured like `machine`, for one thread (a TargetMachine caches subtargets
// as it is used, so threads must not share one).
std::unique_ptr<TargetMachine> copyOf(const TargetMachine &machine) {
    return std::unique_ptr<TargetMachine>(machine.getTarget().createTargetMachine(
        machine.getTargetTriple().str(), machine.getTargetCPU(), machine.getTargetFeatureString(), machine.Options,
        machine.getRelocationModel(), machine.getCodeModel(), machine.getOptLevel()));
}

// Emits `module` with `machine`; returns an error message or "".
std::string emit(Module &module, TargetMachine &machine, SmallString<0> &object) {
    raw_svector_ostream stream(object);
    legacy::PassManager passes;
    if (machine.addPassesToEmitFile(passes, stream, nullptr, CodeGenFileType::ObjectFile))
        return "the target cannot emit object files";
    passes.run(module);
    return "";
}

} // namespace

unsigned wasmc_llvm_codegen_parts(LLVMModuleRef moduleRef, int optimized) {
    uint64_t instructions = 0;
    for (Function &function : *unwrap(moduleRef)) instructions += function.getInstructionCount();
    uint64_t parts = instructions / (optimized ? minimumInstructionsPerPart : minimumUnoptimizedInstructionsPerPart);
    return static_cast<unsigned>(std::clamp<uint64_t>(parts, 1, maximumParts));
}

char *wasmc_llvm_emit_objects(LLVMModuleRef moduleRef, LLVMTargetMachineRef machineRef, unsigned parts,
                              unsigned threadCount, int optimizationLevel, unsigned passes,
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
    // Before optimization, small callees and constants also go, as copies the part does not
    // emit, to the parts that use them.
    auto usedFrom = [](const GlobalValue &value, unsigned part, const DenseMap<const GlobalValue *, unsigned> &partOf) {
        for (const User *user : value.users()) {
            auto *instruction = dyn_cast<Instruction>(user);
            if (!instruction) continue;
            auto it = partOf.find(instruction->getFunction());
            if (it != partOf.end() && it->second == part) return true;
        }
        return false;
    };
    auto copied = [&](const GlobalValue *value, unsigned part) {
        if (optimizationLevel <= 0 || value->isDeclaration()) return false;
        if (auto *function = dyn_cast<Function>(value)) {
            if (function->getInstructionCount() > maximumCopiedCallee) return false;
        } else if (auto *variable = dyn_cast<GlobalVariable>(value)) {
            if (!variable->isConstant()) return false;
        } else {
            return false;
        }
        return usedFrom(*value, part, partOf);
    };
    // What each part keeps: its own definitions (global variables are the first part's), and
    // copies of what copied() allows. Every global value has a name by now.
    enum class Keep : uint8_t { own, copy };
    std::vector<StringMap<Keep>> keep(parts);
    for (const GlobalValue &value : module.global_values()) {
        if (value.isDeclaration()) continue;
        auto it = partOf.find(&value);
        unsigned owner = it == partOf.end() ? 0 : it->second;
        for (unsigned index = 0; index < parts; ++index) {
            if (index == owner) keep[index][value.getName()] = Keep::own;
            else if (copied(&value, index)) keep[index][value.getName()] = Keep::copy;
        }
    }
    // The module goes out once as bitcode. Each thread loads it lazily, reads the bodies of the
    // functions its part keeps only, and makes declarations of the rest.
    SmallString<0> bitcode;
    {
        raw_svector_ostream stream(bitcode);
        WriteBitcodeToFile(module, stream);
    }

    std::vector<SmallString<0>> objects(parts);
    std::vector<std::string> errors(parts);
    auto work = [&](size_t index) {
        LLVMContext context;
        MemoryBufferRef buffer(StringRef(bitcode.data(), bitcode.size()), "module");
        auto fail = [&](Error error) {
            errors[index] = "cannot read back part " + std::to_string(index) + ": " + toString(std::move(error));
        };
        Expected<std::unique_ptr<Module>> loaded = getLazyBitcodeModule(buffer, context);
        if (!loaded) return fail(loaded.takeError());
        std::unique_ptr<Module> part = std::move(*loaded);
        const StringMap<Keep> &kept = keep[index];
        for (Function &function : *part) {
            if (function.isDeclaration()) continue;
            auto it = kept.find(function.getName());
            if (it == kept.end()) {
                function.deleteBody();
                continue;
            }
            if (Error error = function.materialize()) return fail(std::move(error));
            if (it->second == Keep::copy) function.setLinkage(GlobalValue::AvailableExternallyLinkage);
        }
        if (Error error = part->materializeAll()) return fail(std::move(error));
        for (GlobalVariable &variable : part->globals()) {
            if (variable.isDeclaration()) continue;
            auto it = kept.find(variable.getName());
            if (it == kept.end()) {
                variable.setInitializer(nullptr);
                variable.setLinkage(GlobalValue::ExternalLinkage);
                variable.setComdat(nullptr);
            } else if (it->second == Keep::copy) {
                variable.setLinkage(GlobalValue::AvailableExternallyLinkage);
            }
        }
        std::unique_ptr<TargetMachine> copy = copyOf(*machine);
        if (!copy) {
            errors[index] = "cannot create a target machine for " + machine->getTargetTriple().str();
            return;
        }
        if (optimizationLevel > 0) {
            errors[index] = wasmc::optimizeModule(*part, copy.get(), optimizationLevel, passes);
            if (!errors[index].empty()) return;
        }
        errors[index] = emit(*part, *copy, objects[index]);
    };
    // Up to `threadCount` threads take the parts in turn, largest first (the first parts are).
    std::atomic<size_t> next{0};
    auto worker = [&] {
        for (size_t index = next++; index < parts; index = next++) work(index);
    };
    std::vector<std::thread> threads;
    for (unsigned count = 1; count < std::min(threadCount, parts); ++count) threads.emplace_back(worker);
    worker();
    for (std::thread &thread : threads) thread.join();
    for (const std::string &error : errors)
        if (!error.empty()) return wasmc::copyMessage(error);

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
