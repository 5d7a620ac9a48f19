// Subtarget.cpp: CPU and feature tables of LLVM 19 targets, from llvm::MCSubtargetInfo.
// See include/CLLVMSubtarget.h.
#include "CLLVMSubtarget.h"

#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

using namespace llvm;

namespace {

char *copy(const std::string &text) {
    char *result = static_cast<char *>(std::malloc(text.size() + 1));
    if (result) std::memcpy(result, text.c_str(), text.size() + 1);
    return result;
}

// The subtarget for (triple, cpu, features), or null with *error set.
std::unique_ptr<MCSubtargetInfo> subtarget(const char *triple, const char *cpu,
                                           const char *features, char **error) {
    // Registering a target twice is harmless in LLVM; the static makes it once per process.
    static const bool initialized = (InitializeAllTargetInfos(), InitializeAllTargetMCs(), true);
    (void)initialized;
    std::string message;
    const Target *target = TargetRegistry::lookupTarget(triple, message);
    std::unique_ptr<MCSubtargetInfo> info;
    if (target) info.reset(target->createMCSubtargetInfo(triple, cpu, features));
    if (!info && error)
        *error = copy(message.empty() ? std::string("LLVM has no subtarget information for ") + triple
                                      : message);
    return info;
}

}  // namespace

extern "C" char *wasmc_llvm_cpu_names(const char *triple, char **error) {
    auto info = subtarget(triple, "", "", error);
    if (!info) return nullptr;
    std::string names;
    for (const SubtargetSubTypeKV &cpu : info->getAllProcessorDescriptions())
        names.append(cpu.Key).push_back('\n');
    return copy(names);
}

extern "C" char *wasmc_llvm_feature_names(const char *triple, char **error) {
    auto info = subtarget(triple, "", "", error);
    if (!info) return nullptr;
    std::string names;
    for (const SubtargetFeatureKV &feature : info->getAllProcessorFeatures())
        names.append(feature.Key).push_back('\n');
    return copy(names);
}

extern "C" char *wasmc_llvm_required_features(const char *triple, const char *cpu,
                                              const char *features, char **error) {
    auto info = subtarget(triple, cpu, features, error);
    if (!info) return nullptr;
    ArrayRef<SubtargetFeatureKV> table = info->getAllProcessorFeatures();
    // Capabilities: what some CPU implies; tuning: what CPUs list as their tuning. Both closed
    // under the features' own implications (a CPU's tuning is often one group feature).
    FeatureBitset capabilities, tuning;
    for (const SubtargetSubTypeKV &processor : info->getAllProcessorDescriptions()) {
        capabilities |= processor.Implies.getAsBitset();
        tuning |= processor.TuneImplies.getAsBitset();
    }
    auto close = [&](FeatureBitset &bits) {
        for (bool grew = true; grew;) {
            grew = false;
            for (const SubtargetFeatureKV &feature : table) {
                if (!bits.test(feature.Value)) continue;
                FeatureBitset wider = bits | feature.Implies.getAsBitset();
                if (wider != bits) {
                    bits = wider;
                    grew = true;
                }
            }
        }
    };
    close(capabilities);
    close(tuning);
    const FeatureBitset &enabled = info->getFeatureBits();
    std::string result;
    for (const SubtargetFeatureKV &feature : table) {
        if (!enabled.test(feature.Value)) continue;
        if (tuning.test(feature.Value) && !capabilities.test(feature.Value)) continue;
        if (!result.empty()) result.push_back(',');
        result.append("+").append(feature.Key);
    }
    return copy(result);
}

extern "C" void wasmc_llvm_dispose_message(char *message) { std::free(message); }
