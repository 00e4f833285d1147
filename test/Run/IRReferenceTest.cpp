//===- IRReferenceTest.cpp - The IR golden against the reference model ----===//
//
// bitnet-run --verify of a model compiled from bitnet IR trusts the IR
// golden (lib/Run/IRReference.cpp) as it trusts the reference model of a
// checkpoint. So the two must agree bit for bit: random models of each
// family and weight kind are written as model IR (as bitnet-model-gen
// writes them), also after the compiler's rewrites that form the fused ops,
// packed weights and the int8 LM head, and both goldens run the same tokens:
// a prompt in one call, then tokens one at a time, with norms as given and
// scaled. Exits non-zero on the first difference.
//
//===----------------------------------------------------------------------===//

#include "bitnet/ModelGen/ModelIR.h"
#include "bitnet/Run/IRReference.h"
#include "bitnet/Transforms/Passes.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace ref = bitnet::ref;
namespace run = bitnet::run;

namespace {

int gFailed = 0;

void failed(const std::string &what) {
  std::fprintf(stderr, "FAIL: %s\n", what.c_str());
  ++gFailed;
}

enum class Rewrites { None, Fused, Packed, Int8Head };

const char *rewritesName(Rewrites r) {
  switch (r) {
  case Rewrites::None:
    return "as written";
  case Rewrites::Fused:
    return "fused";
  case Rewrites::Packed:
    return "fused and packed";
  case Rewrites::Int8Head:
    return "int8 head";
  }
  return "?";
}

/// The model's IR after `rewrites`, written to a temporary file.
std::string writeModelIR(const ref::ModelWeights &weights, Rewrites rewrites) {
  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::bitnet::buildModelModule(&context, weights, "t", {1, 4});
  mlir::PassManager pm(&context);
  if (rewrites == Rewrites::Fused || rewrites == Rewrites::Packed) {
    pm.addPass(mlir::bitnet::createFuseProjections());
    pm.addPass(mlir::bitnet::createFuseRMSNormQuant());
    pm.addPass(mlir::bitnet::createFuseRoPE());
  }
  if (rewrites == Rewrites::Packed) {
    mlir::bitnet::ChooseLayoutOptions layout;
    layout.targetName = "x86-64-avx2";
    pm.addPass(mlir::bitnet::createChooseLayout(layout));
    pm.addPass(mlir::bitnet::createPackWeights());
  }
  if (rewrites == Rewrites::Int8Head)
    pm.addPass(mlir::bitnet::createQuantizeLMHead());
  if (mlir::failed(pm.run(*module))) {
    failed(std::string("the passes failed (") + rewritesName(rewrites) + ")");
    return "";
  }
  llvm::SmallString<128> path;
  int fd = -1;
  if (llvm::sys::fs::createTemporaryFile("ir-reference-test", "mlir", fd, path)) {
    failed("cannot create a temporary file");
    return "";
  }
  llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
  module->print(os);
  return path.str().str();
}

/// Which ops of `kind` the IR file holds (to see that the rewrites happened).
bool holds(const std::string &path, const char *op) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  return buffer && (*buffer)->getBuffer().contains(op);
}

void checkModel(const char *name, ref::ModelConfig config, uint64_t seed, Rewrites rewrites,
                ref::HeadFormat head) {
  const std::string label = std::string(name) + ", " + rewritesName(rewrites) +
                            (head == ref::HeadFormat::Int8 ? ", int8 head" : "");
  ref::ModelWeights weights = ref::makeRandomModel(config, seed);
  const std::string path = writeModelIR(weights, rewrites);
  if (path.empty())
    return;
  const char *expectedOp = rewrites == Rewrites::None       ? "bitnet.rms_norm "
                           : rewrites == Rewrites::Int8Head ? "bitnet.int8_linear"
                           : rewrites == Rewrites::Packed   ? "#bitnet.packed"
                                                            : "bitnet.rms_norm_quantize";
  if (!holds(path, expectedOp))
    failed(label + ": the IR holds no " + expectedOp);

  bitnet_model descriptor;
  std::memset(&descriptor, 0, sizeof(descriptor));
  descriptor.vocab = config.vocab;
  descriptor.layers = config.layers;
  descriptor.context = config.context;
  descriptor.kv_dim = config.kvDim();
  descriptor.hidden = config.hidden;
  // The IR of Rewrites::Int8Head already holds the int8 head.
  const ref::HeadFormat irHead =
      rewrites == Rewrites::Int8Head ? ref::HeadFormat::F16 : head;
  llvm::Expected<std::unique_ptr<run::GoldenModel>> golden =
      run::loadIRGolden(descriptor, path, irHead, /*threads=*/2);
  llvm::sys::fs::remove(path);
  if (!golden) {
    failed(label + ": " + llvm::toString(golden.takeError()));
    return;
  }

  const int64_t vocab = config.vocab;
  const std::vector<int32_t> prompt = {3, 17, 250, 0, 42};
  const std::vector<int32_t> generated = {7, 255, 1};
  for (double scale : {1.0, 1.0 + 0x1p-22}) {
    // The reference model with its norms scaled as scaleNorms does.
    ref::ModelWeights scaled = weights;
    std::vector<std::vector<float> *> norms = {&scaled.finalNorm};
    for (ref::LayerWeights &layer : scaled.layers)
      for (auto *norm :
           {&layer.inputNorm, &layer.attnSubNorm, &layer.postAttnNorm, &layer.ffnSubNorm})
        norms.push_back(norm);
    for (std::vector<float> *norm : norms)
      for (float &w : *norm)
        w = static_cast<float>(w * scale);
    ref::ReferenceModel model(scaled, head, /*threads=*/1);
    (*golden)->scaleNorms(scale);
    (*golden)->reset();

    std::vector<float> want(prompt.size() * vocab), got(want.size());
    bool ran = model.forward(prompt.data(), static_cast<int64_t>(prompt.size()), 0, want.data());
    llvm::Error error =
        (*golden)->forward(prompt.data(), static_cast<int64_t>(prompt.size()), 0, got.data());
    int64_t pos = static_cast<int64_t>(prompt.size());
    auto compare = [&](const char *what) {
      if (std::memcmp(want.data(), got.data(), got.size() * sizeof(float)) != 0)
        failed(label + ": " + what + " at position " + std::to_string(pos) +
               " differs from the reference model (norms x " + std::to_string(scale) + ")");
    };
    if (!ran || error) {
      failed(label + ": the prompt was refused: " +
             (error ? llvm::toString(std::move(error)) : std::string("by the reference")));
      continue;
    }
    compare("the prompt's logits");
    want.resize(static_cast<size_t>(vocab));
    got.resize(want.size());
    for (int32_t token : generated) {
      ran = model.forward(&token, 1, pos, want.data());
      error = (*golden)->forward(&token, 1, pos, got.data());
      if (!ran || error) {
        failed(label + ": a token was refused: " +
               (error ? llvm::toString(std::move(error)) : std::string("by the reference")));
        break;
      }
      compare("a generated token's logits");
      ++pos;
    }
  }
  // Past the context: refused, not read out of bounds.
  std::vector<float> logits(static_cast<size_t>(vocab));
  int32_t token = 1;
  llvm::Error past = (*golden)->forward(&token, 1, config.context, logits.data());
  if (!past)
    failed(label + ": a token past the context was not refused");
  llvm::consumeError(std::move(past));
}

} // namespace

int main() {
  ref::ModelConfig b158 = ref::ModelConfig::tinyB158();
  ref::ModelConfig llama = ref::ModelConfig::tiny1bitLLM();
  for (Rewrites r : {Rewrites::None, Rewrites::Fused, Rewrites::Packed})
    checkModel("tiny-b158", b158, 11, r, ref::HeadFormat::F16);
  checkModel("tiny-b158", b158, 11, Rewrites::None, ref::HeadFormat::Int8);
  checkModel("tiny-b158", b158, 11, Rewrites::Int8Head, ref::HeadFormat::Int8);

  ref::ModelConfig binary = llama;
  binary.weightKind = ref::WeightKind::Binary;
  for (Rewrites r : {Rewrites::None, Rewrites::Packed})
    checkModel("tiny-1bitLLM binary", binary, 12, r, ref::HeadFormat::F16);
  checkModel("tiny-1bitLLM ternary", llama, 13, Rewrites::Fused, ref::HeadFormat::F16);

  ref::ModelConfig vanilla = b158;
  vanilla.weightKind = ref::WeightKind::Float;
  vanilla.tiedHead = false;
  checkModel("tiny-b158 float, untied head", vanilla, 14, Rewrites::None, ref::HeadFormat::F16);

  if (gFailed) {
    std::fprintf(stderr, "%d check(s) failed\n", gFailed);
    return 1;
  }
  std::printf("IR golden: every model matches the reference model bit for bit\n");
  return 0;
}
