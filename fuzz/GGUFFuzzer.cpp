//===- GGUFFuzzer.cpp - libFuzzer harness for the GGUF importer -----------===//
//
// The input is a GGUF file; importGGUF must refuse it with an error or
// import it, never crash, hang or leak.
//
//===----------------------------------------------------------------------===//

#include "FuzzFiles.h"

#include "bitnet/Import/GGUF.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const bitnet::fuzz::ScratchDirectory scratch;
  std::string path = scratch.write(
      "input.gguf", std::string_view(reinterpret_cast<const char *>(data), size));
  llvm::Expected<bitnet::ref::ModelWeights> weights = bitnet::import::importGGUF(path);
  if (!weights)
    llvm::consumeError(weights.takeError());
  return 0;
}
