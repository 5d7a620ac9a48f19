// Pipeline.cpp: LLVM's default pipeline with wasmc's passes added. See include/CLLVMPasses.h.
#include "CLLVMPasses.h"
#include "Passes.h"

#include "llvm/IR/Module.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Transforms/Utils/LCSSA.h"
#include "llvm/Transforms/Utils/Mem2Reg.h"
#include "llvm/Transforms/Utils/LoopSimplify.h"

#include <cstdlib>
#include <cstring>

using namespace llvm;

void wasmc::optimizeModule(Module &module, TargetMachine *machine, int level, unsigned passes) {
    OptimizationLevel optimization = level <= 1   ? OptimizationLevel::O1
                                     : level == 2 ? OptimizationLevel::O2
                                                  : OptimizationLevel::O3;
    // The same tuning LLVMRunPasses uses with default options.
    PipelineTuningOptions tuning;
    PassBuilder builder(machine, tuning);
    if (passes & (WASMC_PASS_LOOP_REROLL | WASMC_PASS_LOOP_JAM | WASMC_PASS_LOOP_DEVECTORIZE | WASMC_PASS_LOOP_ALIAS_GROUPS)) {
        builder.registerVectorizerStartEPCallback([passes](FunctionPassManager &manager, OptimizationLevel) {
            manager.addPass(LoopSimplifyPass());
            manager.addPass(LCSSAPass());
            if (passes & WASMC_PASS_LOOP_REROLL) manager.addPass(wasmc::LoopRerollPass());
            if (passes & WASMC_PASS_LOOP_JAM) manager.addPass(wasmc::LoopJamPass());
            if (passes & WASMC_PASS_LOOP_DEVECTORIZE) manager.addPass(wasmc::LoopDevectorizePass());
            if (passes & WASMC_PASS_LOOP_ALIAS_GROUPS) manager.addPass(wasmc::LoopAliasGroupsPass());
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
    ModulePassManager pipeline = builder.buildPerModuleDefaultPipeline(optimization);
    pipeline.run(module, moduleAnalyses);
}

char *wasmc_llvm_optimize(LLVMModuleRef moduleRef, LLVMTargetMachineRef machineRef, int level,
                          unsigned passes) {
    wasmc::optimizeModule(*unwrap(moduleRef), reinterpret_cast<TargetMachine *>(machineRef), level, passes);
    return nullptr;
}
