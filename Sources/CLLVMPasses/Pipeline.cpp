// Pipeline.cpp: the optimization pipelines of -O1..-O3 (wasmc's passes in -O2 and -O3). See
// include/CLLVMPasses.h and Documentation/codegen.md ("Optimization pipeline").
#include "CLLVMPasses.h"
#include "Passes.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/PassTimingInfo.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Passes/StandardInstrumentations.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Transforms/Utils/Mem2Reg.h"

#include <cstdlib>
#include <cstring>
#include <string>

using namespace llvm;

namespace {

// What runs just before the loop vectorizer, in every pipeline: wasmc's loop passes that
// `passes` names, on loops in simplified and LCSSA form ("" for none).
std::string vectorizerStart(unsigned passes) {
    std::string text;
    if (passes & WASMC_PASS_LOOP_REROLL) text += "wasmc-loop-reroll,";
    if (passes & WASMC_PASS_LOOP_JAM) text += "wasmc-loop-jam,";
    if (passes & WASMC_PASS_LOOP_DEVECTORIZE) text += "wasmc-loop-devectorize,";
    if (passes & WASMC_PASS_LOOP_ALIAS_GROUPS) text += "wasmc-loop-alias-groups,";
    return text.empty() ? "" : "loop-simplify,lcssa," + text;
}

// How -O1 and -O2 start: no-op stores that must still trap marked before anything may delete
// them, then what each function reads and writes (memcpy: only through its arguments), which
// the loop passes need to move loads across calls.
// Calls from one linked module into another's small functions are marked `alwaysinline`
// (ModuleEnvironment.inlinesAcrossModules): they are inlined first, as their producers would
// have had they been one module; nothing else is.
constexpr const char *startOfPipeline =
    "function(mem2reg,wasmc-keep-noop-stores),always-inline,cgscc(function-attrs),";
constexpr const char *combine = "instcombine<no-verify-fixpoint>";

// -O2, the default: a pipeline for wasm that its producer has optimized already, which is how
// wasm is shipped (clang, rustc and the like at -O2 or above; inlining, scalar optimization and
// loop idioms are done). What is left to do is what the translation to LLVM IR brings and what
// the wasm could not say: locals to registers, the memory base and address arithmetic (32-bit
// addresses widened to 64-bit inductions), and vectors of the host's width. It costs about half
// of LLVM's default<O2> and gives the same code speed on the benchmark kernels
// (Benchmarks/README.md); -O3 runs LLVM's whole pipeline, for wasm its producer did not optimize.
std::string wasmPipeline(unsigned passes) {
    std::string text = std::string(startOfPipeline) + "function(";
    // The code as translated: CFG, redundant loads of the memory base, address arithmetic.
    text += std::string("simplifycfg,early-cse<memssa>,") + combine + ",";
    // Loops: invariants out, rotated (LLVM's loop passes want a guarded do-while), counted with
    // widened inductions.
    text += "loop-mssa(loop-instsimplify,loop-simplifycfg,licm<no-allowspeculation>,loop-rotate,"
            "licm<allowspeculation>),";
    text += std::string("simplifycfg,") + combine + ",";
    text += "loop(indvars,loop-deletion,loop-unroll-full),";
    text += std::string("gvn,") + combine + ",";
    // Vectors: wasmc's loop passes, then LLVM's vectorizers and what cleans up after them.
    text += vectorizerStart(passes);
    text += std::string("loop-vectorize,loop-load-elim,") + combine + ",slp-vectorizer,vector-combine," + combine + ",";
    text += std::string("loop-unroll<O2>,") + combine + ",loop-mssa(licm<allowspeculation>),simplifycfg)";
    return text;
}

// -O1: the scalar clean-up of -O2 for a faster compile (with FastISel, see TargetMachine.swift):
// no loop rewriting, no vectors beyond the module's own.
std::string scalarPipeline() {
    std::string text = std::string(startOfPipeline) + "function(";
    text += std::string("simplifycfg,early-cse<memssa>,") + combine + ",loop-mssa(licm<allowspeculation>),";
    text += std::string("gvn,") + combine + ",simplifycfg)";
    return text;
}

} // namespace

/* Replaces each call of WASMC_STACK_POINTER_FUNCTION by the stack pointer, from
 * llvm.stacksave, once nothing is left to merge them. */
static void lowerStackPointer(Module &module) {
    Function *function = module.getFunction(WASMC_STACK_POINTER_FUNCTION);
    if (!function) return;
    for (User *user : make_early_inc_range(function->users())) {
        auto *call = cast<CallInst>(user);
        IRBuilder<> builder(call);
        Value *pointer = builder.CreateStackSave();
        call->replaceAllUsesWith(builder.CreatePtrToInt(pointer, call->getType()));
        call->eraseFromParent();
    }
    function->eraseFromParent();
}

std::string wasmc::optimizeModule(Module &module, TargetMachine *machine, int level,
                                  const wasmc_pipeline_options &options) {
    unsigned passes = options.passes;
    PipelineTuningOptions tuning;
    // As clang at -O2 and above (LLVM's own default leaves it out).
    tuning.SLPVectorization = level >= 2;
    // LLVM's table of the time each pass took, on standard error (use -j 1: one table per part
    // of a large module).
    bool timed = options.time_passes != 0;
    if (timed) TimePassesIsEnabled = true;
    PassInstrumentationCallbacks callbacks;
    StandardInstrumentations instrumentations(module.getContext(), false);
    PassBuilder builder(machine, tuning, std::nullopt, &callbacks);
    builder.registerPipelineParsingCallback(
        [](StringRef name, FunctionPassManager &manager, ArrayRef<PassBuilder::PipelineElement>) {
            if (name == "wasmc-keep-noop-stores") manager.addPass(wasmc::KeepNoopStoresPass());
            else if (name == "wasmc-loop-reroll") manager.addPass(wasmc::LoopRerollPass());
            else if (name == "wasmc-loop-jam") manager.addPass(wasmc::LoopJamPass());
            else if (name == "wasmc-loop-devectorize") manager.addPass(wasmc::LoopDevectorizePass());
            else if (name == "wasmc-loop-alias-groups") manager.addPass(wasmc::LoopAliasGroupsPass());
            else return false;
            return true;
        });
    std::string start = vectorizerStart(passes);
    if (!start.empty()) {
        builder.registerVectorizerStartEPCallback([&builder, start](FunctionPassManager &manager, OptimizationLevel) {
            // Parses: the names are registered above.
            cantFail(builder.parsePassPipeline(manager, StringRef(start).drop_back()));
        });
    }
    // Before anything else may delete them: no-op stores that must still trap.
    builder.registerPipelineStartEPCallback([](ModulePassManager &manager, OptimizationLevel) {
        FunctionPassManager functions;
        functions.addPass(PromotePass());
        functions.addPass(wasmc::KeepNoopStoresPass());
        manager.addPass(createModuleToFunctionPassAdaptor(std::move(functions)));
    });
    LoopAnalysisManager loopAnalyses;
    FunctionAnalysisManager functionAnalyses;
    CGSCCAnalysisManager cgsccAnalyses;
    ModuleAnalysisManager moduleAnalyses;
    builder.registerModuleAnalyses(moduleAnalyses);
    builder.registerCGSCCAnalyses(cgsccAnalyses);
    builder.registerFunctionAnalyses(functionAnalyses);
    builder.registerLoopAnalyses(loopAnalyses);
    builder.crossRegisterProxies(loopAnalyses, functionAnalyses, cgsccAnalyses, moduleAnalyses);
    instrumentations.registerCallbacks(callbacks, &moduleAnalyses);

    ModulePassManager pipeline;
    // A pipeline in LLVM's textual syntax (opt -passes) instead, wasmc's passes by the names
    // above; to try pipelines out.
    const char *custom = level > 0 ? options.pipeline : nullptr;
    if (custom || level <= 2) {
        std::string text = custom        ? std::string(custom)
                           : level <= 0 ? std::string("function(mem2reg)")
                           : level == 1 ? scalarPipeline()
                                        : wasmPipeline(passes);
        if (Error error = builder.parsePassPipeline(pipeline, text))
            return (custom ? "the custom pipeline: " : "the -O" + std::to_string(level) + " pipeline: ") +
                   toString(std::move(error));
    } else {
        pipeline = builder.buildPerModuleDefaultPipeline(OptimizationLevel::O3);
    }
    pipeline.run(module, moduleAnalyses);
    lowerStackPointer(module);
    if (timed) reportAndResetTimings(&errs());
    return "";
}

char *wasmc_llvm_optimize(LLVMModuleRef moduleRef, LLVMTargetMachineRef machineRef, int level,
                          const wasmc_pipeline_options *options) {
    std::string error =
        wasmc::optimizeModule(*unwrap(moduleRef), reinterpret_cast<TargetMachine *>(machineRef), level, *options);
    return error.empty() ? nullptr : wasmc::copyMessage(error);
}

char *wasmc::copyMessage(const std::string &message) {
    char *copy = static_cast<char *>(malloc(message.size() + 1));
    memcpy(copy, message.c_str(), message.size() + 1);
    return copy;
}
