//===- bitnet-compare.cpp - Vanilla, 1-bit and ternary models side by side ===//
//
// The options; the work is bitnet::compare::runComparison (ComparisonDriver.cpp).
//
//===----------------------------------------------------------------------===//

#include "ComparisonDriver.h"

#include "bitnet/Support/Input.h"
#include "bitnet/Support/ToolVersion.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <thread>

using namespace llvm;
namespace compare = bitnet::compare;

static cl::OptionCategory category("bitnet-compare options");
static cl::opt<std::string> preset(
    "preset",
    cl::desc("Generate the masters with bitnet-model-gen --preset=NAME --format=hf-bf16: "
             "tiny-b158, tiny-1bitllm, 700m or 2b-4t"),
    cl::value_desc("name"), cl::cat(category));
static cl::opt<std::string> masters(
    "masters",
    cl::desc("Use this Hugging Face directory of master weights instead of --preset"),
    cl::value_desc("dir"), cl::cat(category));
static cl::opt<uint64_t> seed("seed",
                              cl::desc("bitnet-model-gen's seed for the generated masters "
                                       "(default: its own)"),
                              cl::cat(category));
static cl::opt<std::string> workDir(
    "work-dir",
    cl::desc("Directory for the masters, the kernel cache, the compiled models "
             "(<family>.so, .h, .weights) and, by default, compare.{dat,gp,png}; created if "
             "missing (default: a fresh directory in the system's temporary directory)"),
    cl::value_desc("dir"), cl::cat(category));
static cl::opt<bool> reuse("reuse",
                           cl::desc("Use <work-dir>/masters and <work-dir>/<family>.so where "
                                    "present instead of generating and compiling them again "
                                    "(they are trusted to be this shape)"),
                           cl::cat(category));
static cl::opt<int32_t> promptTokens("p", cl::desc("Prompt tokens of the pp test (default 128)"),
                                     cl::init(128), cl::Prefix, cl::cat(category));
static cl::opt<int32_t> generated("n", cl::desc("Generated tokens of the tg test (default 128)"),
                                  cl::init(128), cl::Prefix, cl::cat(category));
static cl::list<int32_t> threads("t", cl::desc("Thread counts, comma-separated (default 1,2)"),
                                 cl::CommaSeparated, cl::Prefix, cl::cat(category));
static cl::opt<int32_t> repetitions("r", cl::desc("Repetitions per test (default 3)"),
                                    cl::init(3), cl::Prefix, cl::cat(category));
static cl::opt<int64_t> context("context",
                                cl::desc("KV-cache rows to compile (default: the masters' "
                                         "max_position_embeddings)"),
                                cl::init(0), cl::cat(category));
static cl::opt<std::string> target(
    "target",
    cl::desc("bitnet-compile --target for all three models (default host): a CPU target, a "
             "fat one, or a GPU's (cuda-sm80, cuda-sm90, opencl: run on this machine's "
             "GPU, which needs its driver; OpenCL takes HL_OCL_DEVICE_TYPE)"),
    cl::init("host"), cl::cat(category));
static cl::opt<unsigned> jobs("j", cl::desc("bitnet-compile -j (default: the core count)"),
                              cl::init(std::max(1u, std::thread::hardware_concurrency())),
                              cl::Prefix, cl::cat(category));
static cl::opt<std::string> plot("plot",
                                 cl::desc("The PNG to write; FILE.dat and FILE.gp (the data "
                                          "and the gnuplot script) go beside it (default: "
                                          "<work-dir>/compare.png)"),
                                 cl::value_desc("file.png"), cl::cat(category));
static cl::opt<std::string> lmHead(
    "lm-head",
    cl::desc("bitnet-compile --lm-head for all three models: f16 (the default) or int8"),
    cl::init("f16"), cl::cat(category));
static cl::opt<std::string> textFile(
    "text",
    cl::desc("Also score each family's perplexity over this text (llama-perplexity's "
             "method), with the masters' tokenizer.json or --tokenizer"),
    cl::value_desc("file"), cl::cat(category));
static cl::opt<int32_t> chunk("chunk",
                              cl::desc("--text: tokens per perplexity chunk (default 512, or "
                                       "the context if smaller)"),
                              cl::init(0), cl::cat(category));
static cl::opt<std::string> tokenizer("tokenizer",
                                      cl::desc("A tokenizer.json compiled into the three "
                                               "models (bitnet-compile --tokenizer)"),
                                      cl::value_desc("file"), cl::cat(category));
static cl::opt<bool> noPlot("no-plot",
                            cl::desc("Write the .dat file and the gnuplot script but do not "
                                     "run gnuplot (which is otherwise required)"),
                            cl::cat(category));

static int fail(const Twine &message) {
  errs() << "bitnet-compare: error: " << message << "\n";
  return 1;
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  bitnet::setToolVersionPrinter("bitnet-compare");
  cl::ParseCommandLineOptions(
      argc, argv,
      "bitnet-compare: compiles one shape as the vanilla (float), 1-bit (binary) and "
      "ternary (BitNet b1.58) model with bitnet-compile, benchmarks the three in this "
      "process and prints a table (weight bytes, bytes read per generated token, pp and tg "
      "tokens/s per thread count, ratios to vanilla); writes the same as a .dat file, a "
      "gnuplot script and a PNG. Give --preset or --masters. Progress goes to stderr, the "
      "table to stdout.\n");
  compare::CompareOptions options;
  options.preset = preset;
  options.mastersDir = masters;
  if (seed.getNumOccurrences())
    options.seed = seed;
  options.workDir = workDir;
  options.reuse = reuse;
  options.context = context;
  options.target = target;
  options.jobs = jobs;
  options.lmHead = lmHead;
  options.bench.promptTokens = {promptTokens};
  options.bench.generatedTokens = {generated};
  if (!threads.empty())
    options.bench.threads.assign(threads.begin(), threads.end());
  options.bench.repetitions = repetitions;
  options.plotPath = plot;
  options.noPlot = noPlot;
  if (chunk != 0 && chunk < 4)
    return fail("--chunk " + Twine(chunk) + " must be at least 4 (0: the default)");
  if (chunk.getNumOccurrences() && textFile.empty())
    return fail("--chunk is a --text option (the perplexity's chunks)");
  if (!textFile.empty()) {
    // Read now: a bad path fails before three compiles.
    std::string contents;
    std::string why = bitnet::readRegularFile(textFile, bitnet::kMaxTextInputBytes, contents);
    if (!why.empty())
      return fail(why);
  }
  options.textFile = textFile;
  options.chunk = chunk;
  options.tokenizer = tokenizer;
  std::string self = sys::fs::getMainExecutable(argv[0], (void *)&main);
  options.toolsDir = sys::path::parent_path(self).str();
  if (Error e = compare::runComparison(options, outs(), errs())) {
    outs().flush();
    errs() << "bitnet-compare: error: " << toString(std::move(e)) << "\n";
    return 1;
  }
  return 0;
}
