//===- HuggingFaceFuzzer.cpp - libFuzzer harness for checkpoint dirs ------===//
//
// The input is a Hugging Face checkpoint directory in one byte string:
// config.json, then "\n#SAFETENSORS#\n" and model.safetensors, then
// optionally "\n#INDEX#\n" and model.safetensors.index.json (which then maps
// tensors to the one shard), then optionally "\n#TOKENIZER#\n" and
// tokenizer.json, and "\n#TOKENIZERCONFIG#\n" and tokenizer_config.json.
// importHuggingFace must refuse or import it, never crash, hang or leak.
//
//===----------------------------------------------------------------------===//

#include "FuzzFiles.h"

#include "bitnet/Import/HuggingFace.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const bitnet::fuzz::ScratchDirectory scratch;
  std::string_view input(reinterpret_cast<const char *>(data), size);
  bool hasModel = false, hasIndex = false;
  auto [config, rest] = bitnet::fuzz::splitAt(input, "\n#SAFETENSORS#\n", hasModel);
  bool hasTokenizer = false, hasTokenizerConfig = false;
  auto [modelPart, tokenizerPart] =
      bitnet::fuzz::splitAt(rest, "\n#TOKENIZER#\n", hasTokenizer);
  auto [model, index] = bitnet::fuzz::splitAt(modelPart, "\n#INDEX#\n", hasIndex);
  auto [tokenizer, tokenizerConfig] =
      bitnet::fuzz::splitAt(tokenizerPart, "\n#TOKENIZERCONFIG#\n", hasTokenizerConfig);
  scratch.write("config.json", config);
  if (hasModel)
    scratch.write("model.safetensors", model);
  else
    scratch.remove("model.safetensors");
  if (hasIndex)
    scratch.write("model.safetensors.index.json", index);
  else
    scratch.remove("model.safetensors.index.json");
  if (hasTokenizer)
    scratch.write("tokenizer.json", tokenizer);
  else
    scratch.remove("tokenizer.json");
  if (hasTokenizerConfig)
    scratch.write("tokenizer_config.json", tokenizerConfig);
  else
    scratch.remove("tokenizer_config.json");
  llvm::Expected<bitnet::ref::ModelWeights> weights =
      bitnet::import::importHuggingFace(scratch.path());
  if (!weights)
    llvm::consumeError(weights.takeError());
  return 0;
}
