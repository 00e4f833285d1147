//===- ExternalWeights.h - Weights in a file beside the object --*- C++ -*-===//
//
// bitnet-compile --weights=file: the large constants of the glue (packed
// weights, norms, embeddings, LM head) leave the object for a weights file.
// In the object they become zero-filled writable globals (.bss: no file
// size) listed in an exported table that the header's <name>_load_weights
// fills from the file.
//
// File layout (little-endian):
//   0   8 bytes  magic "BITNETW\1"
//   8   u64      fingerprint: the checksum (bitnet/Runtime/WeightsChecksum.h)
//                of every slot's size (u64) and bytes, in slot order; loading
//                recomputes it over the data read
//   16  u64      slot count
//   24  u64      file size in bytes
//   32  32 bytes zero
//   64  slot 0, then each slot at the next multiple of 64
//
// Exported symbols (prefix = --name):
//   <prefix>_weight_slots  const {void *data; int64_t offset, bytes;}[count]
//   <prefix>_weights_info  const uint64_t[3] = {fingerprint, count, size}
//   <prefix>_weights_loaded int32_t, 0 until the file is loaded
//
//===----------------------------------------------------------------------===//
#ifndef BITNET_COMPILE_EXTERNALWEIGHTS_H
#define BITNET_COMPILE_EXTERNALWEIGHTS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>

namespace llvm {
class Module;
} // namespace llvm

namespace mlir {
namespace bitnet {

/// Constants smaller than this stay in the object.
constexpr uint64_t kExternalWeightMinBytes = 1024;

struct ExternalWeightsSummary {
  uint64_t slots = 0;
  uint64_t fileBytes = 0;
  uint64_t fingerprint = 0;
};

/// Moves every constant global of `module` with at least `minBytes` bytes
/// into the weights file written to `out`, and adds the exported table.
ExternalWeightsSummary externalizeWeights(llvm::Module &module,
                                          llvm::StringRef prefix,
                                          llvm::raw_ostream &out,
                                          uint64_t minBytes = kExternalWeightMinBytes);

/// Rewrites every constant global of at least `minBytes` bytes whose value is
/// an array of integers or floats as the same bytes in an i8 array, which
/// the code generator emits as one block instead of element by element
/// (minutes for a 2B-parameter model otherwise). Uses see only the address.
void flattenLargeConstants(llvm::Module &module,
                           uint64_t minBytes = kExternalWeightMinBytes);

} // namespace bitnet
} // namespace mlir

#endif // BITNET_COMPILE_EXTERNALWEIGHTS_H
