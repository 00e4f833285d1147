//===- bitnet-tune.cpp - Measures schedule parameters into a table --------===//

#include "bitnet/Import/Importers.h"
#include "bitnet/Target/TargetTable.h"
#include "bitnet/Tune/Tuner.h"

#include "llvm/ADT/SmallString.h"
#include "bitnet/Support/ToolPaths.h"
#include "bitnet/Support/ToolVersion.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

using namespace llvm;
namespace ref = bitnet::ref;

static cl::OptionCategory category("bitnet-tune options");
static cl::opt<std::string> model("model",
                                  cl::desc("Checkpoint (GGUF file or Hugging Face directory) "
                                           "whose BitLinear shapes to tune for"),
                                  cl::value_desc("PATH"), cl::cat(category));
static cl::opt<std::string> preset(
    "preset",
    cl::desc("Tune for the shapes of a model preset instead: 2b-4t (BitNet b1.58 2B-4T), "
             "700m, tiny-b158 or tiny-1bitllm"),
    cl::cat(category));
static cl::opt<std::string> target("target",
                                   cl::desc("CPU target whose kernels to time: host (the "
                                            "default), x86-64-avx2, x86-64-avxvnni, "
                                            "x86-64-avx512, arm64 or arm64-dotprod; this "
                                            "machine must run it"),
                                   cl::init("host"), cl::cat(category));
static cl::list<int> threads("t",
                             cl::desc("Thread counts to time on (default: 1 and this "
                                      "machine's hardware threads)"),
                             cl::CommaSeparated, cl::cat(category));
static cl::list<int64_t> tileN("tile-n",
                               cl::desc("Tile-row candidates (default: the target's, "
                                        "1,2,4 on AVX2 targets, 1,2,4,8 elsewhere)"),
                               cl::CommaSeparated, cl::cat(category));
static cl::list<int64_t> rows("rows",
                              cl::desc("Rows-per-task candidates besides the kernel's "
                                       "default (default 8,16,32,64,128)"),
                              cl::CommaSeparated, cl::cat(category));
static cl::list<int64_t> blocks("blocks",
                                cl::desc("Prompt-block candidates in tokens (default "
                                         "8,16,32,64)"),
                                cl::CommaSeparated, cl::cat(category));
static cl::opt<int> reps("reps", cl::desc("Timed calls per kernel and thread count (default 9)"),
                         cl::init(9), cl::cat(category));
static cl::opt<double> margin("margin",
                              cl::desc("How much faster a candidate must be than the "
                                       "default to replace it (default 0.02: 2%)"),
                              cl::init(0.02), cl::cat(category));
static cl::opt<std::string> output("o", cl::desc("Table to write (default '-': standard output)"),
                                   cl::value_desc("FILE"), cl::init("-"), cl::cat(category));
static cl::opt<std::string> kernelgen("kernelgen",
                                      cl::desc("bitnet-kernelgen to run (default: next to "
                                               "this tool)"),
                                      cl::cat(category));

namespace {

int fail(const Twine &message) {
  errs() << "bitnet-tune: error: " << message << "\n";
  return 1;
}

/// The CPU's name and the flags that decide which kernels it runs.
std::string describeCpu() {
  std::ifstream in("/proc/cpuinfo");
  std::string line, name, flags;
  while (std::getline(in, line)) {
    auto value = [&] { return line.substr(line.find(':') + 2); };
    if (name.empty() && line.rfind("model name", 0) == 0)
      name = value();
    if (flags.empty() && (line.rfind("flags", 0) == 0 || line.rfind("Features", 0) == 0))
      flags = value();
  }
  std::string relevant;
  std::istringstream words(flags);
  for (std::string word; words >> word;)
    for (const char *f : {"avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl",
                          "avx512_vnni", "avx_vnni", "asimddp", "fphp"})
      if (word == f)
        relevant += " " + word;
  return (name.empty() ? std::string("unknown CPU") : name) + ";" + relevant;
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  bitnet::setToolVersionPrinter("bitnet-tune");
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "bitnet-tune: measures BitLinear schedule parameters (tile rows, rows per task, "
      "prompt block) on this machine and writes a tuning table for bitnet-compile "
      "--tuning=FILE (or lib/Target/tuning.table)\n");

  ref::ModelConfig config;
  if (model.empty() == preset.empty())
    return fail("give one of --model=PATH or --preset=NAME");
  if (!model.empty()) {
    const auto *format = bitnet::import::findCheckpointFormat(model);
    if (!format)
      return fail("'" + model + "' is not a GGUF file or a Hugging Face checkpoint directory");
    bitnet::import::ImportOptions import;
    import.lazyTensors = true; // only the config is needed
    Expected<ref::ModelWeights> weights = format->import(model, import);
    if (!weights)
      return fail(toString(weights.takeError()));
    config = weights->config;
  } else if (preset == "2b-4t") {
    config = ref::ModelConfig::b158_2B4T();
  } else if (preset == "700m") {
    config = ref::ModelConfig::bitnet700M();
  } else if (preset == "tiny-b158") {
    config = ref::ModelConfig::tinyB158();
  } else if (preset == "tiny-1bitllm") {
    config = ref::ModelConfig::tiny1bitLLM();
  } else {
    return fail("unknown preset '" + preset + "' (expected 2b-4t, 700m, tiny-b158 or "
                "tiny-1bitllm)");
  }

  bitnet::tune::TuneOptions options;
  options.target = target == "host" ? bitnet::target::resolveHost() : std::string(target);
  if (options.target.empty())
    return fail("this machine is not a supported target");
  options.shapes = bitnet::tune::bitLinearShapes(config);
  if (options.shapes.empty())
    return fail("the model has no BitLinear layers (full-precision weights): nothing to tune");
  options.hidden = config.hidden;
  if (!threads.empty()) {
    options.threads.assign(threads.begin(), threads.end());
  } else {
    int cores = static_cast<int>(std::thread::hardware_concurrency());
    options.threads = {1};
    if (cores > 1)
      options.threads.push_back(cores);
  }
  for (int t : options.threads)
    if (t < 1 || t > 1024)
      return fail("-t " + Twine(t) + " is not in [1, 1024]");
  options.tileN.assign(tileN.begin(), tileN.end());
  for (int64_t t : options.tileN)
    if (t < 1 || t > 16)
      return fail("--tile-n " + Twine(t) + " is not in [1, 16]");
  options.rows = rows.empty() ? std::vector<int64_t>{8, 16, 32, 64, 128}
                              : std::vector<int64_t>(rows.begin(), rows.end());
  for (int64_t r : options.rows)
    if (r < 1 || r > 65536)
      return fail("--rows " + Twine(r) + " is not in [1, 65536]");
  options.blocks = blocks.empty() ? std::vector<int64_t>{8, 16, 32, 64}
                                  : std::vector<int64_t>(blocks.begin(), blocks.end());
  for (int64_t b : options.blocks)
    if (b < 2 || b > 4096)
      return fail("--blocks " + Twine(b) + " is not in [2, 4096]");
  if (reps < 1 || reps > 10000)
    return fail("--reps " + Twine(reps) + " is not in [1, 10000]");
  options.reps = reps;
  if (!(margin >= 0 && margin < 1))
    return fail("--margin " + Twine(std::to_string(margin.getValue())) + " is not in [0, 1)");
  options.margin = margin;
  // Checked before the measurements, which take minutes on a 2B model.
  if (output != "-") {
    StringRef parent = sys::path::parent_path(output);
    if (!parent.empty() && !sys::fs::is_directory(parent))
      return fail("cannot write '" + output + "': '" + parent + "' is not a directory");
    if (sys::fs::is_directory(output))
      return fail("cannot write '" + output + "': it is a directory");
  }
  std::string self = sys::fs::getMainExecutable(argv[0], (void *)&main);
  options.kernelgen = kernelgen;
  if (options.kernelgen.empty())
    options.kernelgen = bitnet::siblingTool(self, "bitnet-kernelgen");
  options.runtimeDir = bitnet::runtimeDirFor(self);

  Expected<bitnet::target::TuningTable> table = bitnet::tune::tune(options, errs());
  if (!table)
    return fail(toString(table.takeError()));

  std::string text;
  raw_string_ostream os(text);
  char date[32] = "";
  std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof(date), "%Y-%m-%d", std::gmtime(&now));
  os << "# bitnet-tune " << BITNET_VERSION << ", " << date << ":";
  for (int i = 1; i < argc; ++i)
    os << " " << argv[i];
  os << "\n# CPU: " << describeCpu() << "\n# threads:";
  for (int t : options.threads)
    os << " " << t;
  os << "\n";
  for (const bitnet::target::TuningEntry &e : table->entries())
    os << e.line() << "\n";
  os.flush();
  if (output == "-") {
    outs() << text;
    return 0;
  }
  // Written beside the destination and renamed: never half a table.
  std::string partial = output + ".tmp";
  {
    std::error_code ec;
    raw_fd_ostream file(partial, ec);
    if (ec)
      return fail("cannot write '" + output + "': " + ec.message());
    file << text;
    file.close();
    if (file.has_error()) {
      sys::fs::remove(partial);
      return fail("cannot write '" + output + "'");
    }
  }
  if (std::error_code ec = sys::fs::rename(partial, output)) {
    sys::fs::remove(partial);
    return fail("cannot write '" + output + "': " + ec.message());
  }
  errs() << "bitnet-tune: wrote " << output << " (" << table->entries().size()
         << " entries)\n";
  return 0;
}
