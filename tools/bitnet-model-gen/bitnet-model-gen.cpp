//===- bitnet-model-gen.cpp - Writes seeded random models as bitnet IR ----===//
//
// The same (shape, seed) always gives the same weights: the generator and the
// numerics tests both call bitnet::ref::makeRandomModel.
//
//===----------------------------------------------------------------------===//

#include "bitnet/Import/GGUF.h"
#include "bitnet/Import/HuggingFace.h"
#include "bitnet/InitAll.h"
#include "bitnet/ModelGen/ModelIR.h"
#include "bitnet/Reference/Reference.h"
#include "bitnet/Support/ToolVersion.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
namespace ref = bitnet::ref;

static cl::OptionCategory category("bitnet-model-gen options");

static cl::opt<std::string> preset(
    "preset", cl::desc("Starting shape: tiny-b158 (2B-4T family: relu2 GLU, "
                       "GQA), tiny-1bitllm (SiLU GLU, MHA), 700m (the 1bitLLM "
                       "700M shape) or 2b-4t (the BitNet b1.58 2B-4T shape)"),
    cl::init("tiny-b158"), cl::cat(category));
static cl::opt<int64_t> hidden("hidden", cl::desc("Hidden size (overrides the preset)"),
                               cl::init(0), cl::cat(category));
static cl::opt<int64_t> intermediate("intermediate",
                                     cl::desc("Feed-forward size"), cl::init(0),
                                     cl::cat(category));
static cl::opt<int64_t> layers("layers", cl::desc("Number of blocks"),
                               cl::init(0), cl::cat(category));
static cl::opt<int64_t> heads("heads", cl::desc("Attention heads"),
                              cl::init(0), cl::cat(category));
static cl::opt<int64_t> kvHeads("kv-heads", cl::desc("Key/value heads"),
                                cl::init(0), cl::cat(category));
static cl::opt<int64_t> vocab("vocab", cl::desc("Vocabulary size"),
                              cl::init(0), cl::cat(category));
static cl::opt<int64_t> context("context", cl::desc("KV-cache length"),
                                cl::init(0), cl::cat(category));
static cl::opt<std::string> weightKind(
    "weight-kind", cl::desc("ternary (BitNet b1.58), binary (1-bit BitNet) "
                            "or float (full precision)"),
    cl::init("ternary"), cl::cat(category));
static cl::opt<bool> untiedHead("untied-head",
                                cl::desc("Give the model its own LM head instead of the "
                                         "token embedding"),
                                cl::cat(category));
static cl::opt<uint64_t> seed("seed", cl::desc("Random seed"), cl::init(1),
                              cl::cat(category));
static cl::list<int64_t> tokens(
    "tokens", cl::desc("Token counts: one function <name>_m<M> per value "
                       "(default 1)"),
    cl::CommaSeparated, cl::cat(category));
static cl::opt<std::string> name("name", cl::desc("Function name prefix"),
                                 cl::init("model"), cl::cat(category));
enum class Format { MLIR, HFPacked, HFBF16, GGUFI2S, GGUFTQ2, GGUFTQ1, GGUFF16 };
static cl::opt<Format> outputFormat(
    "format", cl::desc("What to write"),
    cl::values(clEnumValN(Format::MLIR, "mlir", "bitnet-dialect MLIR (the default)"),
               clEnumValN(Format::HFPacked, "hf-packed",
                          "a Hugging Face directory (-o): packed U8 ternary "
                          "weights + weight_scale, as BitNet b1.58 2B-4T"),
               clEnumValN(Format::HFBF16, "hf-bf16",
                          "a Hugging Face directory (-o): bf16 master weights"),
               clEnumValN(Format::GGUFI2S, "gguf-i2s",
                          "GGUF v3, ternary weights as bitnet.cpp's I2_S"),
               clEnumValN(Format::GGUFTQ2, "gguf-tq2", "GGUF v3, ternary weights as TQ2_0"),
               clEnumValN(Format::GGUFTQ1, "gguf-tq1", "GGUF v3, ternary weights as TQ1_0"),
               clEnumValN(Format::GGUFF16, "gguf-f16", "GGUF v3, f16 master weights")),
    cl::init(Format::MLIR), cl::cat(category));
static cl::opt<bitnet::import::GGUFArchNames> ggufArch(
    "gguf-arch", cl::desc("Architecture names in GGUF files"),
    cl::values(clEnumValN(bitnet::import::GGUFArchNames::BitnetCpp, "bitnet-cpp",
                          "bitnet.cpp's: 'bitnet-b1.58' for relu2 models, 'bitnet' "
                          "for SiLU ones (the default)"),
               clEnumValN(bitnet::import::GGUFArchNames::Upstream, "upstream",
                          "llama.cpp's: 'bitnet' with bitnet.hidden_activation "
                          "'relu2' or 'silu'")),
    cl::init(bitnet::import::GGUFArchNames::BitnetCpp), cl::cat(category));
static cl::opt<bitnet::import::GGUFType> ggufTableType(
    "gguf-table-type", cl::desc("Type of the token embedding in GGUF files"),
    cl::values(clEnumValN(bitnet::import::GGUFType::F16, "f16", "f16 (the default)"),
               clEnumValN(bitnet::import::GGUFType::Q8_0, "q8_0",
                          "Q8_0, quantized as llama-quantize does (the file then "
                          "holds the embedding's Q8_0 rounding)")),
    cl::init(bitnet::import::GGUFType::F16), cl::cat(category));
static cl::opt<std::string> output("o", cl::desc("Output file ('-' for stdout; a "
                                                 "directory for the hf formats, a "
                                                 ".gguf file for the gguf ones)"),
                                   cl::value_desc("file"), cl::init("-"),
                                   cl::cat(category));

/// The most weights a generated model may have (3.5 times the 2b-4t
/// preset): each size within the model's bounds, their products could ask
/// for terabytes, an abort on allocation.
constexpr int64_t kMaxGeneratedWeights = int64_t(1) << 33;

static bool parseConfig(ref::ModelConfig &cfg) {
  if (preset == "tiny-b158")
    cfg = ref::ModelConfig::tinyB158();
  else if (preset == "tiny-1bitllm")
    cfg = ref::ModelConfig::tiny1bitLLM();
  else if (preset == "700m")
    cfg = ref::ModelConfig::bitnet700M();
  else if (preset == "2b-4t")
    cfg = ref::ModelConfig::b158_2B4T();
  else {
    errs() << "bitnet-model-gen: error: unknown preset '" << preset
           << "' (expected tiny-b158, tiny-1bitllm, 700m or 2b-4t)\n";
    return false;
  }
  // A given size replaces the preset's; the upper bounds are the model's.
  for (auto [flag, field] : {std::pair{&hidden, &cfg.hidden},
                             {&intermediate, &cfg.intermediate},
                             {&layers, &cfg.layers},
                             {&heads, &cfg.heads},
                             {&kvHeads, &cfg.kvHeads},
                             {&vocab, &cfg.vocab},
                             {&context, &cfg.context}}) {
    if (!flag->getNumOccurrences())
      continue;
    if (*flag < 1) {
      errs() << "bitnet-model-gen: error: --" << flag->ArgStr << " " << *flag << " must be >= 1\n";
      return false;
    }
    *field = *flag;
  }
  cfg.tiedHead = !untiedHead;
  if (weightKind == "ternary")
    cfg.weightKind = ref::WeightKind::Ternary;
  else if (weightKind == "binary")
    cfg.weightKind = ref::WeightKind::Binary;
  else if (weightKind == "float")
    cfg.weightKind = ref::WeightKind::Float;
  else {
    errs() << "bitnet-model-gen: error: unknown --weight-kind '" << weightKind
           << "' (expected ternary, binary or float)\n";
    return false;
  }
  ref::ModelConfigKeys names;
  names.hidden = "--hidden";
  names.intermediate = "--intermediate";
  names.layers = "--layers";
  names.heads = "--heads";
  names.kvHeads = "--kv-heads";
  names.vocab = "--vocab";
  names.context = "--context";
  std::string why = cfg.validate(names);
  if (!why.empty()) {
    errs() << "bitnet-model-gen: error: invalid model shape: " << why << "\n";
    return false;
  }
  int64_t weights = 0;
  for (const ref::TensorShape &t : ref::modelTensors(cfg))
    weights += t.rows * t.cols;
  if (weights > kMaxGeneratedWeights) {
    errs() << "bitnet-model-gen: error: the shape has " << weights
           << " weights, more than the " << kMaxGeneratedWeights
           << " the generator makes (2^33, 3.5 times the 2b-4t preset)\n";
    return false;
  }
  return true;
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  bitnet::setToolVersionPrinter("bitnet-model-gen");
  cl::ParseCommandLineOptions(
      argc, argv,
      "bitnet-model-gen: writes a seeded random BitNet model as bitnet-dialect "
      "MLIR, as a Hugging Face checkpoint directory or as a GGUF file\n");
  ref::ModelConfig cfg;
  if (!parseConfig(cfg))
    return 1;
  std::vector<int64_t> counts(tokens.begin(), tokens.end());
  if (counts.empty())
    counts.push_back(1);
  for (size_t i = 0; i < counts.size(); ++i) {
    const int64_t m = counts[i];
    if (m <= 0 || m > cfg.context) {
      errs() << "bitnet-model-gen: error: --tokens value " << m
             << " must be in [1, context = " << cfg.context << "]\n";
      return 1;
    }
    if (llvm::is_contained(llvm::ArrayRef(counts).take_front(i), m)) {
      errs() << "bitnet-model-gen: error: --tokens value " << m << " is given twice\n";
      return 1;
    }
  }

  if (output.empty()) {
    errs() << "bitnet-model-gen: error: -o needs a path ('-' for standard output)\n";
    return 1;
  }
  if (outputFormat != Format::MLIR) {
    if (output == "-") {
      errs() << "bitnet-model-gen: error: --format=hf-* and gguf-* write files: give -o\n";
      return 1;
    }
    bool ternaryOnly = outputFormat == Format::HFPacked || outputFormat == Format::GGUFI2S ||
                       outputFormat == Format::GGUFTQ2 || outputFormat == Format::GGUFTQ1;
    if (ternaryOnly && cfg.weightKind != ref::WeightKind::Ternary) {
      errs() << "bitnet-model-gen: error: --format=hf-packed, gguf-i2s, gguf-tq2 and "
                "gguf-tq1 hold ternary weights only; use --format=hf-bf16 or "
                "gguf-f16 for the master weights\n";
      return 1;
    }
    if (outputFormat != Format::HFPacked && outputFormat != Format::HFBF16) {
      using bitnet::import::GGUFType;
      GGUFType type = outputFormat == Format::GGUFI2S   ? GGUFType::I2_S
                      : outputFormat == Format::GGUFTQ2 ? GGUFType::TQ2_0
                      : outputFormat == Format::GGUFTQ1 ? GGUFType::TQ1_0
                                                        : GGUFType::F16;
      if (llvm::Error e = bitnet::import::writeGGUF(output, cfg, seed, {type, ggufArch, ggufTableType})) {
        errs() << "bitnet-model-gen: error: " << toString(std::move(e)) << "\n";
        return 1;
      }
      return 0;
    }
    if (llvm::Error e = bitnet::import::writeHuggingFace(
            output, cfg, seed,
            outputFormat == Format::HFPacked ? bitnet::import::HFWeightFormat::Packed
                                       : bitnet::import::HFWeightFormat::BF16)) {
      errs() << "bitnet-model-gen: error: " << toString(std::move(e)) << "\n";
      return 1;
    }
    return 0;
  }
  ref::ModelWeights weights = ref::makeRandomModel(cfg, seed);
  mlir::DialectRegistry registry;
  mlir::bitnet::registerAllDialects(registry);
  mlir::MLIRContext ctx(registry);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::bitnet::buildModelModule(&ctx, weights, name, counts);
  if (failed(mlir::verify(*module))) {
    errs() << "bitnet-model-gen: error: internal: generated IR does not verify\n";
    return 1;
  }
  std::string error;
  std::unique_ptr<ToolOutputFile> out = mlir::openOutputFile(output, &error);
  if (!out) {
    errs() << "bitnet-model-gen: error: " << error << "\n";
    return 1;
  }
  out->os() << "// Generated by bitnet-model-gen --preset=" << preset
            << " --weight-kind=" << weightKind << " --seed=" << seed
            << "\n// hidden=" << cfg.hidden << " intermediate=" << cfg.intermediate
            << " layers=" << cfg.layers << " heads=" << cfg.heads
            << " kv_heads=" << cfg.kvHeads << " vocab=" << cfg.vocab
            << " context=" << cfg.context << "\n";
  module->print(out->os());
  out->os() << "\n";
  out->os().flush();
  if (out->os().has_error()) {
    errs() << "bitnet-model-gen: error: cannot write '" << output << "'\n";
    out->os().clear_error();
    return 1;
  }
  out->keep();
  return 0;
}
