//===- bitnet-compile.cpp - Model description to object file --------------===//

#include "bitnet/Compile/Compiler.h"
#include "bitnet/Target/TargetTable.h"

#include "bitnet/Support/ToolPaths.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

static cl::OptionCategory category("bitnet-compile options");

static cl::opt<std::string> input(cl::Positional,
                                  cl::desc("<model.mlir | Hugging Face directory | model.gguf>"),
                                  cl::init("-"), cl::cat(category));
static cl::opt<std::string> output("o", cl::desc("Output file (default: <name> "
                                                 "with the emit kind's suffix)"),
                                   cl::value_desc("file"), cl::cat(category));
static cl::opt<std::string> target(
    "target",
    cl::desc("x86-64 (one object: AVX-512, AVX-VNNI and AVX2 variants, picked at create) | "
             "aarch64 (one object: dot-product and NEON variants) | "
             "x86-64-avx2 | x86-64-avxvnni | x86-64-avx512 | arm64 | arm64-dotprod | cuda-sm80 "
             "| cuda-sm90 | opencl | host (this machine; the default)"),
    cl::init("host"), cl::cat(category));
static cl::opt<std::string> name("name",
                                 cl::desc("Prefix of every exported symbol, and the "
                                          "output's name without -o (default: model)"),
                                 cl::init("model"), cl::cat(category));
static cl::opt<mlir::bitnet::EmitKind> emit(
    "emit", cl::desc("What to write"),
    cl::values(clEnumValN(mlir::bitnet::EmitKind::BitNet, "bitnet",
                          "the model-level bitnet IR before any pass (an "
                          "imported checkpoint as IR, its large tensors "
                          "named, not printed)"),
               clEnumValN(mlir::bitnet::EmitKind::MLIR, "mlir",
                          "the glue after the kernel pipeline (LLVM dialect)"),
               clEnumValN(mlir::bitnet::EmitKind::LLVM, "llvm",
                          "the glue as LLVM IR (the weights beside it in "
                          "<stem>.weight-data.o)"),
               clEnumValN(mlir::bitnet::EmitKind::Assembly, "asm",
                          "the glue as assembly (the weights beside it in "
                          "<stem>.weight-data.o)"),
               clEnumValN(mlir::bitnet::EmitKind::Object, "obj",
                          "one relocatable object (glue + kernels + Halide "
                          "runtime + weights unless --weights=file) and its C "
                          "header"),
               clEnumValN(mlir::bitnet::EmitKind::Shared, "shared",
                          "the same, linked into a shared library (for "
                          "bitnet-run) and its C header"),
               clEnumValN(mlir::bitnet::EmitKind::Header, "header",
                          "the C header only")),
    cl::init(mlir::bitnet::EmitKind::Object), cl::cat(category));
static cl::list<int64_t> tokenCounts(
    "tokens",
    cl::desc("Checkpoint input (directory or GGUF): token counts to compile an entry point for "
             "(default 1 and the prompt block of the tuning table, else the target's: 16 on "
             "CPUs, 64 on GPUs: generation and "
             "prompts; forward() runs a batch in chunks of these, the rest of a prompt "
             "padded to the smallest above 1)"),
    cl::CommaSeparated, cl::cat(category));
static cl::opt<int64_t> contextRows(
    "context", cl::desc("Checkpoint input: KV-cache rows (default: the config's "
                        "max_position_embeddings)"),
    cl::init(0), cl::cat(category));
static cl::opt<std::string> weightKind(
    "weight-kind",
    cl::desc("Checkpoint input: what master weights become: ternary (absmean, "
             "the default), binary or float"),
    cl::cat(category));
static cl::opt<std::string> tokenizer(
    "tokenizer",
    cl::desc("The tokenizer the object carries (its <name>_tokenize etc.): by default the "
             "checkpoint's (a GGUF's tokenizer.ggml.* keys, a Hugging Face directory's "
             "tokenizer.json), none for IR input; 'none', or a tokenizer.json to use"),
    cl::value_desc("none|FILE"), cl::cat(category));
static cl::opt<std::string> lmHead(
    "lm-head",
    cl::desc("How the LM head is stored: f16 (as in the checkpoint, the "
             "default) or int8 (one scale per row: half the bytes read per "
             "generated token; logits change by the quantization error)"),
    cl::init("f16"), cl::cat(category));
enum class WeightsPlace { Embed, File };
static cl::opt<WeightsPlace> weights(
    "weights", cl::desc("Where the weights go"),
    cl::values(clEnumValN(WeightsPlace::Embed, "embed",
                          "inside the object (the default)"),
               clEnumValN(WeightsPlace::File, "file",
                          "<output stem>.weights beside the output; the "
                          "header's <name>_load_weights(path) reads it")),
    cl::init(WeightsPlace::Embed), cl::cat(category));
static cl::opt<bool> printPipeline(
    "print-pipeline",
    cl::desc("Print the pass pipelines to stderr, and the tuning entry behind each "
             "BitLinear kernel and the prompt block"),
    cl::cat(category));
static cl::opt<std::string> tuning(
    "tuning",
    cl::desc("Tuning table written by bitnet-tune, consulted before the built-in one "
             "(lib/Target/tuning.table); 'none': no table, the target's default rules"),
    cl::value_desc("FILE"), cl::cat(category));
static cl::opt<unsigned> jobs("j", cl::desc("Kernels generated in parallel"), cl::Prefix,
                              cl::init(1), cl::cat(category));
static cl::opt<std::string> kernelCache(
    "kernel-cache",
    cl::desc("Directory of generated kernels, reused across compiles (default: "
             "~/.cache/bitnet-compile)"),
    cl::cat(category));
static cl::opt<std::string> kernelgen(
    "kernelgen", cl::desc("bitnet-kernelgen to run (default: next to this tool)"),
    cl::cat(category));

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::SetVersionPrinter([](raw_ostream &os) {
    os << "bitnet-compile " << BITNET_VERSION << " (MLIR and LLVM " << LLVM_VERSION_STRING
       << ", Halide 14 in bitnet-kernelgen)\n";
  });
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "bitnet-compile: compiles a model (bitnet-dialect MLIR, a Hugging "
      "Face checkpoint directory: config.json + safetensors, or a GGUF v3 "
      "file) into one relocatable object and a C header for a target\n");
  mlir::bitnet::CompileOptions options;
  options.input = input;
  options.output = output;
  options.target = target;
  options.name = name;
  options.emit = emit;
  options.printPipeline = printPipeline;
  options.tuning = tuning;
  options.tokenizer = tokenizer;
  options.externalWeights = weights == WeightsPlace::File;
  if (!tokenCounts.empty())
    options.tokenCounts.assign(tokenCounts.begin(), tokenCounts.end());
  options.context = contextRows;
  options.weightKind = weightKind;
  options.lmHead = lmHead;
  options.jobs = jobs;
  options.kernelCache = kernelCache;
  options.kernelgen = kernelgen;
  std::string self = sys::fs::getMainExecutable(argv[0], (void *)&main);
  if (options.kernelgen.empty())
    options.kernelgen = bitnet::siblingTool(self, "bitnet-kernelgen");
  options.runtimeDir = bitnet::runtimeDirFor(self);
  return mlir::bitnet::compileModel(options, errs());
}
