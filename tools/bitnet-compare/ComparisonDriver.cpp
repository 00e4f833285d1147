//===- ComparisonDriver.cpp - bitnet-compare's work -----------------------===//

#include "ComparisonDriver.h"

#include "bitnet/Run/Compare.h"
#include "bitnet/Run/Perplexity.h"
#include "bitnet/Support/LLVMInput.h"
#include "bitnet/Target/TargetTable.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <chrono>
#include <set>

namespace bitnet {
namespace compare {
namespace {

using namespace bitnet::run;
namespace fs = llvm::sys::fs;
namespace path = llvm::sys::path;

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message.str());
}

using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string joinPath(llvm::StringRef directory, llvm::StringRef name) {
  llvm::SmallString<256> result(directory);
  path::append(result, name);
  return std::string(result);
}

/// Compiled models use these entry points: single tokens for generation and
/// chunks of 16 for prompts.
constexpr const char *compiledTokenCounts = "1,16";

/// The last `count` lines of `text`, indented: a failing tool's own words.
std::string lastLines(llvm::StringRef text, size_t count) {
  llvm::SmallVector<llvm::StringRef, 64> lines;
  text.rtrim().split(lines, '\n');
  size_t first = lines.size() > count ? lines.size() - count : 0;
  std::string result;
  for (size_t i = first; i < lines.size(); ++i)
    result += "\n  " + lines[i].str();
  return result;
}

/// Runs a sibling tool with its stdout and stderr captured in a temporary
/// log (removed afterwards), so that bitnet-compare's stdout holds only the
/// table; a failure quotes the end of the log.
llvm::Error runTool(llvm::StringRef program, llvm::ArrayRef<std::string> args,
                    const llvm::Twine &what) {
  llvm::SmallString<256> logPath;
  if (std::error_code ec = fs::createTemporaryFile("bitnet-compare", "log", logPath))
    return fail("cannot create a temporary log file: " + ec.message());
  llvm::FileRemover removeLog(logPath);
  std::vector<llvm::StringRef> argv = {program};
  for (const std::string &a : args)
    argv.push_back(a);
  std::optional<llvm::StringRef> redirects[] = {llvm::StringRef(""), llvm::StringRef(logPath),
                                                llvm::StringRef(logPath)};
  std::string error;
  int rc = llvm::sys::ExecuteAndWait(program, argv, std::nullopt, redirects, 0, 0, &error);
  if (rc == 0)
    return llvm::Error::success();
  std::string log;
  if (llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
          llvm::MemoryBuffer::getFile(logPath))
    log = lastLines((*buffer)->getBuffer(), 20);
  return fail(what + " failed (" + path::filename(program) + " exited with " +
              llvm::Twine(rc) + (error.empty() ? "" : ": " + error) + ")" +
              (log.empty() ? "" : ":" + log));
}

/// A sibling of bitnet-compare's executable.
llvm::Expected<std::string> findSibling(llvm::StringRef toolsDir, llvm::StringRef tool) {
  std::string program = joinPath(toolsDir, tool);
  if (!fs::can_execute(program))
    return fail(tool + " not found beside bitnet-compare (looked for " + program + ")");
  return program;
}

/// `path` made absolute, dots removed: one directory, one spelling.
std::string absolutePath(llvm::StringRef path) {
  llvm::SmallString<256> full(path);
  fs::make_absolute(full);
  llvm::sys::path::remove_dots(full, /*remove_dot_dot=*/true);
  return std::string(full);
}

/// Writes `text` to a temporary file beside `target`, then renames it: a
/// failure never leaves a half-written `target`.
llvm::Error writeFileAtomically(llvm::StringRef target, llvm::StringRef text) {
  llvm::SmallString<256> temporary;
  int fd;
  if (std::error_code ec = fs::createUniqueFile(target + "-%%%%%%.tmp", fd, temporary))
    return fail(target + ": cannot write: " + ec.message());
  llvm::FileRemover removeTemporary(temporary);
  {
    llvm::raw_fd_ostream out(fd, /*shouldClose=*/true);
    out << text;
    out.close();
    if (out.has_error())
      return fail(target + ": cannot write: " + out.error().message());
  }
  if (std::error_code ec = fs::rename(temporary, target))
    return fail(target + ": cannot write: " + ec.message());
  removeTemporary.releaseFile();
  return llvm::Error::success();
}

/// The masters' max_position_embeddings: the context bitnet-compile uses
/// by default.
llvm::Expected<int64_t> mastersContext(llvm::StringRef mastersDir) {
  std::string configPath = joinPath(mastersDir, "config.json");
  llvm::Expected<llvm::json::Value> config = readJsonFile(configPath, kMaxConfigBytes);
  if (!config)
    return config.takeError();
  const llvm::json::Object *object = config->getAsObject();
  std::optional<int64_t> context =
      object ? object->getInteger("max_position_embeddings") : std::nullopt;
  if (!context || *context < 1)
    return fail(configPath + ": no positive max_position_embeddings");
  return *context;
}

llvm::Error checkOptions(const CompareOptions &o) {
  if (o.preset.empty() == o.mastersDir.empty())
    return fail("give either --preset=NAME (generate the masters) or --masters=DIR");
  if (!o.mastersDir.empty() && o.seed)
    return fail("--seed applies to generated masters; it cannot change --masters");
  if (o.reuse && o.workDir.empty())
    return fail("--reuse needs --work-dir (a fresh directory holds nothing to reuse)");
  if (o.bench.promptTokens.size() != 1 || o.bench.generatedTokens.size() != 1)
    return fail("-p and -n take one token count each");
  if (o.bench.promptTokens[0] < 1 || o.bench.generatedTokens[0] < 1)
    return fail("-p and -n must be >= 1");
  if (o.bench.threads.empty())
    return fail("-t needs at least one thread count");
  std::set<int32_t> seen;
  for (int32_t t : o.bench.threads)
    if (!validThreadCount(t) || !seen.insert(t).second)
      return fail("-t values must be in [1, " + llvm::Twine(kMaxThreads) + "] and distinct");
  if (o.bench.repetitions < 1)
    return fail("-r must be >= 1");
  if (o.target != "host" && !target::lookupTarget(o.target) &&
      !target::lookupFatTarget(o.target))
    return fail("unknown --target '" + o.target + "' (bitnet-compile --help lists them)");
  if (o.lmHead != "f16" && o.lmHead != "int8")
    return fail("--lm-head '" + o.lmHead + "' is not f16 or int8");
  if (o.jobs < 1)
    return fail("-j must be >= 1");
  // Checked here, not by the compile of the masters three steps later.
  if (o.context < 0 || o.context > ref::ModelConfig::kMaxExtent)
    return fail("--context " + llvm::Twine(o.context) + " must be in [0, " +
                llvm::Twine(ref::ModelConfig::kMaxExtent) +
                "] (0: the masters' max_position_embeddings)");
  if (o.context > 0)
    for (int32_t n : {o.bench.promptTokens[0], o.bench.generatedTokens[0]})
      if (n > o.context)
        return fail("-p and -n must not exceed --context " + llvm::Twine(o.context));
  if (!o.plotPath.empty()) {
    if (o.noPlot)
      return fail("--plot and --no-plot exclude each other");
    if (!llvm::StringRef(o.plotPath).ends_with(".png"))
      return fail("--plot=" + o.plotPath + ": the plot is a PNG; name a .png file");
    llvm::StringRef parent = path::parent_path(o.plotPath);
    if (!parent.empty() && !fs::is_directory(parent))
      return fail("--plot=" + o.plotPath + ": no directory " + parent);
  }
  if (!o.mastersDir.empty()) {
    if (!fs::is_directory(o.mastersDir))
      return fail("--masters=" + o.mastersDir + ": no such directory");
    if (!fs::exists(joinPath(o.mastersDir, "config.json")))
      return fail("--masters=" + o.mastersDir +
                  ": no config.json (not a Hugging Face checkpoint directory)");
  }
  return llvm::Error::success();
}

/// The model's figures, checked to be the shape of the other families'.
llvm::Error addFamily(Comparison &comparison, const Family &family, LoadedModel &model,
                      std::vector<BenchRow> rows) {
  const bitnet_model &m = model.model();
  if (comparison.families.empty()) {
    comparison.vocab = m.vocab;
    comparison.layers = m.layers;
    comparison.context = m.context;
    comparison.kvDim = m.kv_dim;
  } else if (comparison.vocab != m.vocab || comparison.layers != m.layers ||
             comparison.context != m.context || comparison.kvDim != m.kv_dim) {
    return fail(llvm::Twine(family.name) + ".so is not the shape of " +
                comparison.families.front().family +
                ".so (vocab, layers, kv_dim or context differ; drop --reuse?)");
  }
  FamilyFigures figures;
  figures.family = family.name;
  figures.weightBytes = m.weight_bytes;
  figures.readBytesPerToken =
      readBytesPerGeneratedToken(m, comparison.bench.generatedTokens[0]);
  figures.rows = std::move(rows);
  comparison.families.push_back(std::move(figures));
  return llvm::Error::success();
}

/// One invocation's steps over its work directory.
class ComparisonRun {
public:
  ComparisonRun(const CompareOptions &options, std::string workDir, std::string compiler,
                std::string generator, llvm::raw_ostream &progress)
      : options_(options), workDir_(std::move(workDir)), compiler_(std::move(compiler)),
        generator_(std::move(generator)), progress_(progress) {
    for (const Family &family : families())
      libraries_.push_back(inWorkDir(std::string(family.name) + ".so"));
  }

  /// With --reuse: refuses a work directory whose record (written by the
  /// run that compiled its models) names other masters or compile options,
  /// whose models would be benchmarked under this run's labels.
  llvm::Error checkReuse() const;
  /// Records what the work directory's models were made from.
  llvm::Error recordSource() const;
  /// Generates, reuses or takes the masters, unless every model is reused;
  /// then checks the token counts against the context they will compile to.
  llvm::Error prepareMasters();
  /// Compiles the models --reuse does not find, sharing one kernel cache.
  llvm::Error compileFamilies();
  /// Loads and benchmarks the three models one after the other: the vanilla
  /// weights of a big shape alone can fill much of the memory.
  llvm::Expected<Comparison> benchmarkFamilies();
  llvm::Error scoreText(Comparison &comparison, LoadedModel &model);
  /// The .dat file and the gnuplot script, and the PNG unless --no-plot.
  llvm::Error writeReport(const Comparison &comparison, llvm::StringRef gnuplot);

private:
  std::string inWorkDir(llvm::StringRef name) const { return joinPath(workDir_, name); }
  /// One line naming the masters and the options the models compile with.
  std::string sourceLine() const {
    std::string line = options_.mastersDir.empty()
                           ? "preset=" + options_.preset + " seed=" +
                                 (options_.seed ? std::to_string(*options_.seed) : "default")
                           : "masters=" + absolutePath(options_.mastersDir);
    return line + " target=" + options_.target + " lm-head=" + options_.lmHead +
           " context=" + std::to_string(options_.context) +
           " tokenizer=" + options_.tokenizer + "\n";
  }
  bool reused(size_t family) const {
    return options_.reuse && fs::exists(libraries_[family]);
  }

  const CompareOptions &options_;
  const std::string workDir_, compiler_, generator_;
  llvm::raw_ostream &progress_;
  std::vector<std::string> libraries_; // per family
  std::string masters_;
};

llvm::Error ComparisonRun::checkReuse() const {
  const std::string record = inWorkDir("source.txt");
  if (!options_.reuse || !fs::exists(record))
    return llvm::Error::success();
  std::string text;
  if (std::string why = readRegularFile(record, 4096, text); !why.empty())
    return fail("--reuse: " + why);
  if (text != sourceLine())
    return fail("--reuse: the work directory's models were made from " +
                llvm::StringRef(text).rtrim() + ", not " +
                llvm::StringRef(sourceLine()).rtrim() +
                ": drop --reuse or use another --work-dir");
  return llvm::Error::success();
}

llvm::Error ComparisonRun::recordSource() const {
  return writeFileAtomically(inWorkDir("source.txt"), sourceLine());
}

llvm::Error ComparisonRun::prepareMasters() {
  bool anyCompile = false;
  for (size_t i = 0; i < families().size(); ++i)
    anyCompile |= !reused(i);
  if (!anyCompile)
    return llvm::Error::success();
  masters_ = options_.mastersDir;
  if (masters_.empty()) {
    masters_ = inWorkDir("masters");
    if (options_.reuse && fs::exists(joinPath(masters_, "config.json"))) {
      progress_ << "bitnet-compare: reusing the masters in " << masters_ << "\n";
    } else {
      progress_ << "bitnet-compare: generating the " << options_.preset << " masters in "
                << masters_ << "\n";
      auto start = Clock::now();
      std::vector<std::string> args = {"--preset=" + options_.preset, "--format=hf-bf16", "-o",
                                       masters_};
      if (options_.seed)
        args.push_back("--seed=" + std::to_string(*options_.seed));
      if (llvm::Error e =
              runTool(generator_, args, "generating the " + options_.preset + " masters"))
        return e;
      progress_ << llvm::format("bitnet-compare: generated the masters in %.1f s\n",
                                secondsSince(start));
    }
  }
  // Too short a context would otherwise only show after three compiles.
  int64_t context = options_.context;
  if (context == 0) {
    llvm::Expected<int64_t> fromConfig = mastersContext(masters_);
    if (!fromConfig)
      return fromConfig.takeError();
    context = *fromConfig;
  }
  for (int32_t n : {options_.bench.promptTokens[0], options_.bench.generatedTokens[0]})
    if (n > context)
      return fail("-p and -n must not exceed the context " + llvm::Twine(context) +
                  " (pass a larger --context)");
  return llvm::Error::success();
}

llvm::Error ComparisonRun::compileFamilies() {
  const std::string kernelCache = inWorkDir("kernel-cache");
  // --text's tokenizer, known before anything compiles (a compiled model
  // without one was found only after all three compiles).
  bool compiles = false;
  for (size_t i = 0; i < families().size(); ++i)
    compiles |= !reused(i);
  llvm::SmallString<256> tokenizerJson(masters_);
  llvm::sys::path::append(tokenizerJson, "tokenizer.json");
  if (compiles && !options_.textFile.empty() && options_.tokenizer.empty() &&
      !fs::exists(tokenizerJson))
    return fail("--text needs a tokenizer: the masters have no tokenizer.json (give "
                "--tokenizer=FILE)");
  for (size_t i = 0; i < families().size(); ++i) {
    const Family &family = families()[i];
    if (reused(i)) {
      // Checked now, not after the other families' benchmarks.
      llvm::Expected<std::unique_ptr<LoadedModel>> model =
          LoadedModel::load(libraries_[i], family.name);
      if (!model)
        return fail("--reuse: " + llvm::toString(model.takeError()) +
                    " (drop --reuse to compile it again)");
      progress_ << "bitnet-compare: reusing " << libraries_[i] << "\n";
      continue;
    }
    progress_ << "bitnet-compare: compiling " << family.name << " (--weight-kind="
              << family.weightKind << ") to " << libraries_[i] << "\n";
    auto start = Clock::now();
    std::vector<std::string> args = {masters_,
                                     std::string("--weight-kind=") + family.weightKind,
                                     "--emit=shared",
                                     std::string("--tokens=") + compiledTokenCounts,
                                     std::string("--name=") + family.name,
                                     "-o",
                                     libraries_[i],
                                     "--kernel-cache=" + kernelCache,
                                     "-j" + std::to_string(options_.jobs),
                                     "--target=" + options_.target,
                                     "--lm-head=" + options_.lmHead};
    // A fat object (--target=x86-64, aarch64) embeds its weights: its
    // variants cannot share one weights file.
    if (!target::lookupFatTarget(options_.target))
      args.push_back("--weights=file");
    if (options_.context > 0)
      args.push_back("--context=" + std::to_string(options_.context));
    if (!options_.tokenizer.empty())
      args.push_back("--tokenizer=" + options_.tokenizer);
    if (llvm::Error e =
            runTool(compiler_, args, llvm::Twine("compiling the ") + family.name + " model"))
      return e;
    progress_ << llvm::format("bitnet-compare: compiled %s in %.1f s\n", family.name,
                              secondsSince(start));
  }
  return llvm::Error::success();
}

llvm::Expected<Comparison> ComparisonRun::benchmarkFamilies() {
  Comparison comparison;
  comparison.source = options_.mastersDir.empty() ? "preset " + options_.preset
                                                  : "masters " + options_.mastersDir;
  comparison.bench = options_.bench;
  comparison.target = options_.target;
  const target::TargetDescription *description = target::lookupTarget(options_.target);
  comparison.gpu = description && kernels::isGPUTarget(description->kernels);
  for (size_t i = 0; i < families().size(); ++i) {
    const Family &family = families()[i];
    llvm::Expected<std::unique_ptr<LoadedModel>> model =
        LoadedModel::load(libraries_[i], family.name);
    if (!model)
      return model.takeError();
    if ((*model)->model().weight_slots) // compiled with --weights=file
      if (llvm::Error e =
              (*model)->loadWeights(inWorkDir(std::string(family.name) + ".weights")))
        return std::move(e);
    progress_ << "bitnet-compare: benchmarking " << family.name << " (threads";
    for (int32_t t : options_.bench.threads)
      progress_ << " " << t;
    progress_ << "; pp" << options_.bench.promptTokens[0] << ", tg"
              << options_.bench.generatedTokens[0] << ", " << options_.bench.repetitions
              << " repetitions)\n";
    auto start = Clock::now();
    llvm::Expected<std::vector<BenchRow>> rows = measureThroughput(**model, options_.bench);
    if (!rows)
      return fail(llvm::Twine(family.name) + ": " + llvm::toString(rows.takeError()));
    if (llvm::Error e = addFamily(comparison, family, **model, std::move(*rows)))
      return std::move(e);
    if (!options_.textFile.empty())
      if (llvm::Error e = scoreText(comparison, **model))
        return fail(llvm::Twine(family.name) + ": " + llvm::toString(std::move(e)));
    progress_ << llvm::format("bitnet-compare: benchmarked %s in %.1f s\n", family.name,
                              secondsSince(start));
  }
  // The bandwidth probed between the generation repetitions of all three.
  for (int32_t t : options_.bench.threads) {
    double sum = 0;
    for (const FamilyFigures &figures : comparison.families)
      sum += benchRow(figures, t, BenchTest::Generation).bandwidthGBs;
    comparison.bandwidthGBs.push_back(sum / comparison.families.size());
  }
  return comparison;
}

/// The perplexity of the last family added over --text.
llvm::Error ComparisonRun::scoreText(Comparison &comparison, LoadedModel &model) {
  if (!model.hasTokenizer())
    return fail(options_.reuse && !options_.tokenizer.empty()
                    ? "the reused model has no tokenizer for --text (--tokenizer applies when "
                      "compiling: drop --reuse)"
                    : "the model has no tokenizer for --text (the masters have no "
                      "tokenizer.json: give --tokenizer=FILE)");
  std::string text;
  std::string why = readRegularFile(options_.textFile, kMaxTextInputBytes, text);
  if (!why.empty())
    return fail(why);
  llvm::Expected<std::vector<int32_t>> tokens = model.tokenize(text, true, false);
  if (!tokens)
    return tokens.takeError();
  const bitnet_model &m = model.model();
  int32_t chunk = options_.chunk > 0 ? options_.chunk
                                     : int32_t(std::min<int64_t>(512, m.context));
  if (chunk > m.context)
    return fail("--chunk " + llvm::Twine(chunk) + " exceeds the context " +
                llvm::Twine(m.context));
  bitnet_state *s = model.create(0, options_.bench.threads.back());
  if (!s)
    return fail("cannot create a state");
  progress_ << "bitnet-compare: perplexity of " << comparison.families.back().family
            << " over " << tokens->size() << " tokens\n";
  llvm::Expected<PerplexityResult> result = perplexity(
      *tokens, chunk, int32_t(m.vocab), model.beginOfSequence(),
      [&](const int32_t *input, int32_t count, float *logits) -> llvm::Error {
        model.reset(s);
        if (int32_t status = model.forward(s, input, count, 0, BITNET_LOGITS_ALL, logits))
          return fail("the model failed with status " + llvm::Twine(status));
        return llvm::Error::success();
      });
  model.destroy(s);
  if (!result)
    return result.takeError();
  comparison.families.back().perplexity = result->perplexity;
  comparison.families.back().perplexityError = result->standardError;
  comparison.textFile = options_.textFile;
  comparison.textTokens = int64_t(tokens->size());
  comparison.chunk = chunk;
  return llvm::Error::success();
}

llvm::Error ComparisonRun::writeReport(const Comparison &comparison, llvm::StringRef gnuplot) {
  std::string png =
      options_.plotPath.empty() ? inWorkDir("compare.png") : options_.plotPath;
  std::string stem = png.substr(0, png.size() - 4);
  std::string dataPath = stem + ".dat", scriptPath = stem + ".gp";
  std::string data;
  llvm::raw_string_ostream dataOut(data);
  writeComparisonData(comparison, dataOut);
  if (llvm::Error e = writeFileAtomically(dataPath, data))
    return e;
  // Absolute paths in the script, so that `gnuplot <stem>.gp` redraws the
  // plot from any directory.
  llvm::SmallString<256> absoluteData(dataPath), absolutePng(png);
  fs::make_absolute(absoluteData);
  fs::make_absolute(absolutePng);
  if (llvm::Error e = writeFileAtomically(
          scriptPath, comparisonPlotScript(comparison, absoluteData.str().str(),
                                           absolutePng.str().str())))
    return e;
  if (options_.noPlot) {
    progress_ << "bitnet-compare: wrote " << dataPath << " and " << scriptPath
              << " (--no-plot: no PNG)\n";
    return llvm::Error::success();
  }
  // gnuplot draws into a temporary PNG, renamed once complete.
  llvm::SmallString<256> temporaryPng;
  if (std::error_code ec =
          fs::getPotentiallyUniqueFileName(stem + "-%%%%%%.png", temporaryPng))
    return fail(png + ": cannot write: " + ec.message());
  llvm::FileRemover removeTemporary(temporaryPng);
  if (llvm::Error e = runTool(gnuplot,
                              {"-e", "output_png=" + gnuplotString(temporaryPng), scriptPath},
                              "plotting " + png))
    return e;
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> written =
      llvm::MemoryBuffer::getFile(temporaryPng);
  if (!written || !(*written)->getBuffer().starts_with("\x89PNG\r\n\x1a\n"))
    return fail("gnuplot wrote no PNG for " + png + " (does its png terminal exist?)");
  if (std::error_code ec = fs::rename(temporaryPng, png))
    return fail(png + ": cannot write: " + ec.message());
  removeTemporary.releaseFile();
  progress_ << "bitnet-compare: wrote " << dataPath << ", " << scriptPath << " and " << png
            << "\n";
  return llvm::Error::success();
}

/// The work directory: --work-dir (created if missing) or a fresh one in the
/// system's temporary directory; `made` tells whether this call created it.
llvm::Expected<std::string> openWorkDir(llvm::StringRef requested, bool &made) {
  made = false;
  if (requested.empty()) {
    llvm::SmallString<256> prefix;
    path::system_temp_directory(/*erasedOnReboot=*/true, prefix);
    path::append(prefix, "bitnet-compare");
    llvm::SmallString<256> fresh;
    if (std::error_code ec = fs::createUniqueDirectory(prefix, fresh))
      return fail("cannot create a work directory in " + path::parent_path(prefix) + ": " +
                  ec.message());
    made = true;
    return std::string(fresh);
  }
  if (fs::is_directory(requested))
    return requested.str();
  if (fs::exists(requested))
    return fail("--work-dir=" + requested + " is not a directory");
  if (std::error_code ec = fs::create_directories(requested))
    return fail("--work-dir=" + requested + ": cannot create: " + ec.message());
  made = true;
  return requested.str();
}

} // namespace

llvm::Error runComparison(const CompareOptions &options, llvm::raw_ostream &out,
                          llvm::raw_ostream &progress) {
  // Everything that can be checked before any work is.
  if (llvm::Error e = checkOptions(options))
    return e;
  std::string gnuplot;
  if (!options.noPlot) {
    llvm::ErrorOr<std::string> found = llvm::sys::findProgramByName("gnuplot");
    if (!found)
      return fail("gnuplot is not on PATH: install it (Debian: apt-get install gnuplot-nox) "
                  "or pass --no-plot");
    gnuplot = *found;
  }
  llvm::Expected<std::string> compiler = findSibling(options.toolsDir, "bitnet-compile");
  if (!compiler)
    return compiler.takeError();
  std::string generator;
  if (options.mastersDir.empty()) {
    llvm::Expected<std::string> found = findSibling(options.toolsDir, "bitnet-model-gen");
    if (!found)
      return found.takeError();
    generator = *found;
  }
  bool madeWorkDir = false;
  llvm::Expected<std::string> workDir = openWorkDir(options.workDir, madeWorkDir);
  if (!workDir)
    return workDir.takeError();
  progress << "bitnet-compare: work directory " << *workDir << "\n";

  ComparisonRun run(options, *workDir, *compiler, generator, progress);
  auto steps = [&]() -> llvm::Error {
    if (llvm::Error e = run.checkReuse())
      return e;
    if (llvm::Error e = run.prepareMasters())
      return e;
    if (llvm::Error e = run.compileFamilies())
      return e;
    if (llvm::Error e = run.recordSource())
      return e;
    llvm::Expected<Comparison> comparison = run.benchmarkFamilies();
    if (!comparison)
      return comparison.takeError();
    printComparison(*comparison, out);
    out.flush();
    return run.writeReport(*comparison, gnuplot);
  };
  llvm::Error error = steps();
  // A work directory this call made goes again if the failure left it empty
  // (remove() fails on a non-empty directory); complete intermediates stay
  // for --reuse.
  if (error && madeWorkDir)
    fs::remove(*workDir);
  return error;
}

} // namespace compare
} // namespace bitnet
