//===- HuggingFace.h - Hugging Face checkpoint directories ------*- C++ -*-===//
//
// A Hugging Face directory (config.json + model.safetensors, or shards listed
// by model.safetensors.index.json) to the reference model weights that
// buildModelModule turns into bitnet IR, and the generator's writer of such
// directories. Two families (BITNET.md):
//   - model_type "bitnet" (BitNet b1.58 2B-4T): relu2 GLU, GQA, sub-norms
//     attn_sub_norm / ffn_sub_norm; ternary weights packed as U8 [out/4, in]
//     with a one-element weight_scale (gamma for linear_class
//     "autobitlinear", 1/gamma for "bitlinear"), or bf16/f16/f32 masters;
//   - model_type "llama" (1bitLLM): SiLU GLU, sub-norms inner_attn_ln /
//     ffn_layernorm, f16 masters.
// Master weights are quantized per tensor with the absmean rule (or kept /
// binarized for the other weight kinds) one tensor at a time: the float
// copy of one tensor is the most ever held.
//
//===----------------------------------------------------------------------===//
#ifndef BITNET_IMPORT_HUGGINGFACE_H
#define BITNET_IMPORT_HUGGINGFACE_H

#include "bitnet/Reference/Reference.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>

namespace bitnet {
namespace import {

struct ImportOptions {
  /// What master weights become; packed ternary checkpoints must be Ternary.
  ref::WeightKind kind = ref::WeightKind::Ternary;
  /// KV-cache rows; 0 = the config's max_position_embeddings.
  int64_t context = 0;
  /// Leave the large tensors (quantized linear layers, the f16 tables) in
  /// the checkpoint as ref::TensorSource readers instead of values: what a
  /// compiler wants, which reads each once while writing its output. Their
  /// shapes, types and scales are checked on import; their values when read.
  bool lazyTensors = false;
  /// Read the tokenizer (GGUF tokenizer.ggml.* keys, a Hugging Face
  /// tokenizer.json) into ModelWeights::tokenizer; one the checkpoint holds
  /// but that cannot be read is an error.
  bool tokenizer = true;
};

/// Errors name the file, the tensor and the problem.
llvm::Expected<ref::ModelWeights> importHuggingFace(llvm::StringRef directory,
                                                   const ImportOptions &options = {});

enum class HFWeightFormat {
  Packed, // U8 [out/4, in] + F32 weight_scale (autobitlinear), ternary
  BF16,   // bf16 master weights
};

/// Writes the random model (config, seed) of makeRandomModel as a Hugging
/// Face directory: config.json and model.safetensors, one tensor in memory at
/// a time. Embedding F16, norms F32. Importing it with the config's weight
/// kind gives exactly makeRandomModel(config, seed).
llvm::Error writeHuggingFace(llvm::StringRef directory, const ref::ModelConfig &config,
                             uint64_t seed, HFWeightFormat format);

} // namespace import
} // namespace bitnet

#endif // BITNET_IMPORT_HUGGINGFACE_H
