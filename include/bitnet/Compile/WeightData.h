//===- WeightData.h - Writing a model's weights outside LLVM ----*- C++ -*-===//
//
// bitnet-place-weight-data leaves the glue with one external byte array
// (`<prefix>_weight_data`) and a record of which constant sits at which
// offset (bitnet/Transforms/WeightData.h). This writes those bytes, one
// tensor in memory at a time, reading checkpoint tensors (#bitnet.weights)
// through their sources:
//   - embedded weights: an ELF relocatable object whose one data section
//     (.lrodata on x86-64 when large, else .rodata) defines the symbol, linked
//     beside the glue;
//   - --weights=file: the weights file, and an object whose section is
//     zero-filled, writable space (.lbss / .bss: no file size) that the
//     header's <name>_load_weights fills through an exported slot table.
//
// Weights file layout (little-endian):
//   0   8 bytes  magic "BITNETW\1"
//   8   u64      fingerprint: the checksum (bitnet/Runtime/WeightsChecksum.h)
//                of every slot's size (u64) and bytes, in slot order; loading
//                recomputes it over the data read
//   16  u64      slot count
//   24  u64      file size in bytes
//   32  32 bytes zero
//   64  slot 0, then each slot at the next multiple of 64
//
// Exported symbols of a --weights=file object (prefix = --name):
//   <prefix>_weight_slots  const {void *data; int64_t offset, bytes;}[count]
//   <prefix>_weights_info  const uint64_t[3] = {fingerprint, count, size}
//   <prefix>_weights_loaded int32_t, 0 until the file is loaded
//
//===----------------------------------------------------------------------===//
#ifndef BITNET_COMPILE_WEIGHTDATA_H
#define BITNET_COMPILE_WEIGHTDATA_H

#include "bitnet/Reference/Reference.h"

#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"
#include "llvm/TargetParser/Triple.h"

#include <memory>
#include <optional>
#include <vector>

namespace llvm {
class Module;
} // namespace llvm

namespace mlir {
namespace bitnet {

/// Checkpoint tensors by name (a lazy import's ModelWeights::sources()).
using TensorSources = llvm::StringMap<std::shared_ptr<const ::bitnet::ref::TensorSource>>;

/// The module's bitnet.weight_data record.
struct WeightDataPlan {
  std::string symbol;
  uint64_t bytes = 0;
  struct Tensor {
    uint64_t offset;
    ElementsAttr value;
  };
  std::vector<Tensor> tensors;
};

/// The record bitnet-place-weight-data left, or std::nullopt when the
/// module has no large constants.
llvm::Expected<std::optional<WeightDataPlan>> readWeightDataPlan(ModuleOp module);

/// Called after each tensor written: bytes done of the total.
using WeightProgress = llvm::function_ref<void(uint64_t done, uint64_t total)>;

/// Writes the data object for `triple` to `path`: the plan's bytes when
/// `sources` is given, else zero-filled writable space of the same size.
llvm::Error writeWeightDataObject(llvm::StringRef path, const llvm::Triple &triple,
                                  const WeightDataPlan &plan, const TensorSources *sources,
                                  WeightProgress progress);

struct WeightsFileSummary {
  uint64_t fileBytes = 0;
  uint64_t fingerprint = 0;
};

/// Writes the weights file (one slot: the whole array) to `path`.
llvm::Expected<WeightsFileSummary> writeWeightsFile(llvm::StringRef path,
                                                    const WeightDataPlan &plan,
                                                    const TensorSources &sources,
                                                    WeightProgress progress);

/// Adds the slot table, info and loaded flag of a --weights=file object, and
/// makes the weight-data array writable.
void addWeightSlots(llvm::Module &module, llvm::StringRef prefix, const WeightDataPlan &plan,
                    const WeightsFileSummary &summary);

} // namespace bitnet
} // namespace mlir

#endif // BITNET_COMPILE_WEIGHTDATA_H
