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
// A profile may give functions levels of their own (the "wasmc-level" attribute; the code that
// did little of the work goes to -O0): then every level has parts of its own, as many as the
// cost of its code is worth (an instruction costs about five times as much at -O2 as at -O0),
// each optimized and emitted at its level, and the threads take the costliest parts first.
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
#include <mutex>
#include <map>
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

// What code generation at -O`level` costs per IR instruction, relative to the others (jsonpp:
// -O0 0.11 s, -O1 0.31 s, -O2 0.50 s, -O3 0.62 s, of which about 0.07 s is not per instruction).
uint64_t costPerInstruction(int level) {
    static const uint64_t costs[] = {1, 3, 5, 6};
    return costs[std::clamp(level, 0, 3)];
}

// The optimization level of `function`: its "wasmc-level" attribute (a profile's verdict, see
// include/CLLVMPasses.h), or `fallback`.
int levelOf(const Function &function, int fallback) {
    Attribute attribute = function.getFnAttribute("wasmc-level");
    if (!attribute.isStringAttribute()) return fallback;
    int level = fallback;
    if (attribute.getValueAsString().getAsInteger(10, level)) return fallback;
    return std::clamp(level, 0, 3);
}

// A target machine configured like `machine` but for -O`level`, for one thread (a TargetMachine
// caches subtargets as it is used, so threads must not share one). -O0 and -O1 select
// instructions with FastISel (TargetMachine.swift says why).
std::unique_ptr<TargetMachine> copyOf(const TargetMachine &machine, int level) {
    static const CodeGenOptLevel levels[] = {CodeGenOptLevel::None, CodeGenOptLevel::Less, CodeGenOptLevel::Default,
                                             CodeGenOptLevel::Aggressive};
    std::unique_ptr<TargetMachine> copy(machine.getTarget().createTargetMachine(
        machine.getTargetTriple().str(), machine.getTargetCPU(), machine.getTargetFeatureString(), machine.Options,
        machine.getRelocationModel(), machine.getCodeModel(), levels[std::clamp(level, 0, 3)]));
    if (copy) copy->setFastISel(level <= 1);
    return copy;
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

char *wasmc_llvm_emit_objects(LLVMModuleRef moduleRef, LLVMTargetMachineRef machineRef, unsigned requestedParts,
                              unsigned threadCount, int optimizationLevel, unsigned passes,
                              wasmc_progress_fn progress, void *progressContext,
                              wasmc_object **objectsOut) {
    Module &module = *unwrap(moduleRef);
    auto *machine = reinterpret_cast<TargetMachine *>(machineRef);
    *objectsOut = nullptr;
    // The level each function is optimized and emitted at: the module's, or for a module not yet
    // optimized, the one a profile gave it. Functions of a level go to parts of their own: each
    // level gets parts in proportion to the cost of its code (below a part's worth, one).
    bool optimize = optimizationLevel > 0;
    int machineLevel = static_cast<int>(machine->getOptLevel());
    auto levelOfFunction = [&](const Function &function) {
        return optimize ? levelOf(function, optimizationLevel) : machineLevel;
    };
    std::map<int, uint64_t> costOfLevel;
    for (const Function &function : module)
        if (!function.isDeclaration()) {
            int level = levelOfFunction(function);
            costOfLevel[level] += function.getInstructionCount() * costPerInstruction(level);
        }
    if (costOfLevel.empty()) costOfLevel[optimize ? optimizationLevel : machineLevel] = 0;
    std::vector<int> levelOfPart;
    std::map<int, std::pair<unsigned, unsigned>> partsOfLevel; // first part, count
    for (auto &[level, cost] : costOfLevel) {
        uint64_t count = costOfLevel.size() == 1
            ? requestedParts
            : std::clamp<uint64_t>(cost / (minimumUnoptimizedInstructionsPerPart * costPerInstruction(2)), 1, maximumParts);
        partsOfLevel[level] = {static_cast<unsigned>(levelOfPart.size()), static_cast<unsigned>(count)};
        levelOfPart.insert(levelOfPart.end(), count, level);
    }
    unsigned parts = static_cast<unsigned>(levelOfPart.size());
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
        int level = levelOfFunction(*function);
        auto [first, count] = partsOfLevel[level];
        auto begin = load.begin() + first;
        unsigned lightest = static_cast<unsigned>(std::min_element(begin, begin + count) - load.begin());
        partOf[function] = lightest;
        load[lightest] += size * costPerInstruction(level);
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
        if (levelOfPart[part] <= 0 || value->isDeclaration()) return false;
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
        int level = levelOfPart[index];
        std::unique_ptr<TargetMachine> copy = copyOf(*machine, level);
        if (!copy) {
            errors[index] = "cannot create a target machine for " + machine->getTargetTriple().str();
            return;
        }
        if (optimize) {
            errors[index] = wasmc::optimizeModule(*part, copy.get(), level, passes);
            if (!errors[index].empty()) return;
        }
        errors[index] = emit(*part, *copy, objects[index]);
    };
    // Up to `threadCount` threads take the parts in turn, the costliest first.
    std::vector<size_t> order(parts);
    for (size_t index = 0; index < parts; ++index) order[index] = index;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return load[a] > load[b]; });
    std::atomic<size_t> next{0};
    std::mutex progressLock;
    uint64_t totalCost = 0, doneCost = 0;
    for (size_t index = 0; index < parts; ++index) totalCost += load[index];
    auto worker = [&] {
        for (size_t position = next++; position < parts; position = next++) {
            work(order[position]);
            if (progress) {
                std::lock_guard<std::mutex> guard(progressLock);
                doneCost += load[order[position]];
                progress(progressContext, doneCost, totalCost);
            }
        }
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
