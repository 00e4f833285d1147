//===- Compare.cpp - The three model families of one shape side by side --===//

#include "bitnet/Run/Compare.h"
#include "bitnet/Support/LLVMInput.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <algorithm>
#include <chrono>
#include <set>

namespace bitnet {
namespace run {
namespace {

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

/// Single-quoted gnuplot string.
std::string gnuplotString(llvm::StringRef text) {
  std::string quoted = "'";
  for (char c : text)
    quoted += c == '\'' ? std::string("''") : std::string(1, c);
  return quoted + "'";
}

const BenchRow &findRow(const FamilyFigures &figures, int32_t threads, BenchTest test) {
  for (const BenchRow &row : figures.rows)
    if (row.threads == threads && row.test == test)
      return row;
  // measureThroughput returns one row per (threads, test) it was given.
  llvm_unreachable("a benchmark row is missing");
}

std::string describe(const Comparison &c) {
  return llvm::formatv("{0}: vocab {1}, {2} layers, kv_dim {3}, context {4}; pp{5}, tg{6}, "
                       "{7} repetitions",
                       c.source, c.vocab, c.layers, c.kvDim, c.context,
                       c.bench.promptTokens[0], c.bench.generatedTokens[0],
                       c.bench.repetitions)
      .str();
}

std::string threadsLabel(int32_t threads) {
  return std::to_string(threads) + (threads == 1 ? " thread" : " threads");
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

} // namespace

const std::vector<Family> &families() {
  static const std::vector<Family> all = {
      {"vanilla", "float"}, {"binary", "binary"}, {"ternary", "ternary"}};
  return all;
}

double readBytesPerGeneratedToken(const bitnet_model &model, int32_t generated) {
  // The token at position i reads K and V rows 0 .. i of every layer (f32);
  // the mean over i = 0 .. generated-1 is (generated + 1) / 2 rows.
  double kvBytesPerRow = 2.0 * model.layers * model.kv_dim * sizeof(float);
  return model.read_bytes + kvBytesPerRow * (generated + 1) / 2.0;
}

void printComparison(const Comparison &c, llvm::raw_ostream &out) {
  const std::string pp = "pp" + std::to_string(c.bench.promptTokens[0]);
  const std::string tg = "tg" + std::to_string(c.bench.generatedTokens[0]);
  std::vector<std::string> labels = {"weight MB", "read MB/token"};
  for (int32_t t : c.bench.threads) {
    labels.push_back(pp + " t/s " + std::to_string(t) + "thr");
    labels.push_back(tg + " t/s " + std::to_string(t) + "thr");
  }
  // One value per label, per family.
  auto figuresOf = [&](const FamilyFigures &f) {
    std::vector<double> values = {f.weightBytes / 1e6, f.readBytesPerToken / 1e6};
    for (int32_t t : c.bench.threads) {
      values.push_back(findRow(f, t, BenchTest::PromptProcessing).meanTokensPerSecond);
      values.push_back(findRow(f, t, BenchTest::Generation).meanTokensPerSecond);
    }
    return values;
  };
  auto printTable = [&](llvm::StringRef title, bool ratios) {
    out << title << "\n" << llvm::format("%-8s", "family");
    for (const std::string &label : labels)
      out << "  " << llvm::right_justify(label, std::max<unsigned>(label.size(), 10));
    out << "\n";
    std::vector<double> vanilla = figuresOf(c.families.front());
    for (const FamilyFigures &f : c.families) {
      out << llvm::format("%-8s", f.family.c_str());
      std::vector<double> values = figuresOf(f);
      for (size_t i = 0; i < labels.size(); ++i) {
        std::string text = ratios ? llvm::formatv("{0:F3}", values[i] / vanilla[i]).str()
                                  : llvm::formatv("{0:F3}", values[i]).str();
        out << "  " << llvm::right_justify(text, std::max<unsigned>(labels[i].size(), 10));
      }
      out << "\n";
    }
  };
  out << "bitnet-compare: " << describe(c) << "\n";
  out << "read bandwidth:";
  for (size_t i = 0; i < c.bench.threads.size(); ++i)
    out << llvm::format(" %.2f GB/s (%s)%s", c.bandwidthGBs[i],
                        threadsLabel(c.bench.threads[i]).c_str(),
                        i + 1 < c.bench.threads.size() ? "," : "");
  out << "\n\n";
  printTable("figures (tokens/s: mean over the repetitions)", false);
  out << "\n";
  printTable("ratio to vanilla (family / vanilla)", true);
}

void writeComparisonData(const Comparison &c, llvm::raw_ostream &out) {
  out << "# bitnet-compare: " << describe(c) << "\n";
  out << "# read bandwidth GB/s:";
  for (size_t i = 0; i < c.bench.threads.size(); ++i)
    out << llvm::format(" %.3f (%s)", c.bandwidthGBs[i],
                        threadsLabel(c.bench.threads[i]).c_str());
  out << "\n# columns: 1 family, 2 weight_bytes, 3 read_bytes_per_token, 4 weight_ratio, "
         "5 read_ratio;\n# then six per thread count: pp_mean pp_sd tg_mean tg_sd "
         "pp_ratio tg_ratio (tokens/s; ratio = family / vanilla):";
  for (size_t i = 0; i < c.bench.threads.size(); ++i)
    out << " " << threadsLabel(c.bench.threads[i]) << " " << 6 + 6 * i << "-" << 11 + 6 * i
        << (i + 1 < c.bench.threads.size() ? "," : "");
  out << "\n";
  const FamilyFigures &vanilla = c.families.front();
  for (const FamilyFigures &f : c.families) {
    out << llvm::format("%s %lld %.0f %.6f %.6f", f.family.c_str(), (long long)f.weightBytes,
                        f.readBytesPerToken, double(f.weightBytes) / vanilla.weightBytes,
                        f.readBytesPerToken / vanilla.readBytesPerToken);
    for (int32_t t : c.bench.threads) {
      const BenchRow &pp = findRow(f, t, BenchTest::PromptProcessing);
      const BenchRow &tg = findRow(f, t, BenchTest::Generation);
      out << llvm::format(
          " %.3f %.3f %.3f %.3f %.6f %.6f", pp.meanTokensPerSecond, pp.sdTokensPerSecond,
          tg.meanTokensPerSecond, tg.sdTokensPerSecond,
          pp.meanTokensPerSecond /
              findRow(vanilla, t, BenchTest::PromptProcessing).meanTokensPerSecond,
          tg.meanTokensPerSecond /
              findRow(vanilla, t, BenchTest::Generation).meanTokensPerSecond);
    }
    out << "\n";
  }
}

std::string comparisonPlotScript(const Comparison &c, llvm::StringRef dataPath,
                                 llvm::StringRef pngPath) {
  std::string script;
  llvm::raw_string_ostream out(script);
  const std::string data = gnuplotString(dataPath);
  out << "# bitnet-compare's plot of " << dataPath << " (gnuplot " << path::stem(pngPath)
      << ".gp; gnuplot -e \"output_png='other.png'\" " << path::stem(pngPath)
      << ".gp\n# writes elsewhere)\n";
  out << "if (!exists(\"output_png\")) output_png = " << gnuplotString(pngPath) << "\n";
  // noenhanced: names such as kv_dim are not markup.
  out << "set terminal png noenhanced size 1500,560\n"
         "set output output_png\n"
         "set style data histograms\n"
         "set style fill solid 0.7 border -1\n"
         "set boxwidth 0.9\n"
         "set grid ytics\n"
         "set yrange [0:*]\n"
         "set key below\n";
  out << "set multiplot layout 1,3 title " << gnuplotString(describe(c)) << "\n";
  out << "set style histogram clustered gap 1\n"
         "set title 'memory (MB)'\n"
         "plot "
      << data << " using ($2/1e6):xtic(1) title 'weights', '' using ($3/1e6) title "
      << "'read per generated token'\n";
  out << "set style histogram errorbars gap 1 lw 1\n";
  for (int test = 0; test < 2; ++test) {
    const bool prompt = test == 0;
    out << "set title "
        << gnuplotString((prompt ? "prompt processing pp" + std::to_string(c.bench.promptTokens[0])
                                 : "generation tg" + std::to_string(c.bench.generatedTokens[0])) +
                         " (tokens/s, mean +- sd)")
        << "\nplot ";
    for (size_t i = 0; i < c.bench.threads.size(); ++i) {
      size_t mean = 6 + 6 * i + (prompt ? 0 : 2);
      out << (i ? ", '' " : data + " ") << "using " << mean << ":" << mean + 1
          << (i ? "" : ":xtic(1)") << " title " << gnuplotString(threadsLabel(c.bench.threads[i]));
    }
    out << "\n";
  }
  out << "unset multiplot\n";
  return script;
}

namespace {

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

  /// Generates, reuses or takes the masters, unless every model is reused;
  /// then checks the token counts against the context they will compile to.
  llvm::Error prepareMasters();
  /// Compiles the models --reuse does not find, sharing one kernel cache.
  llvm::Error compileFamilies();
  /// Loads and benchmarks the three models one after the other: the vanilla
  /// weights of a big shape alone can fill much of the memory.
  llvm::Expected<Comparison> benchmarkFamilies();
  /// The .dat file and the gnuplot script, and the PNG unless --no-plot.
  llvm::Error writeReport(const Comparison &comparison, llvm::StringRef gnuplot);

private:
  std::string inWorkDir(llvm::StringRef name) const { return joinPath(workDir_, name); }
  bool reused(size_t family) const {
    return options_.reuse && fs::exists(libraries_[family]);
  }

  const CompareOptions &options_;
  const std::string workDir_, compiler_, generator_;
  llvm::raw_ostream &progress_;
  std::vector<std::string> libraries_; // per family
  std::string masters_;
};

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
  for (size_t i = 0; i < families().size(); ++i) {
    const Family &family = families()[i];
    if (reused(i)) {
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
                                     "--weights=file",
                                     "--lm-head=" + options_.lmHead};
    if (options_.context > 0)
      args.push_back("--context=" + std::to_string(options_.context));
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
    progress_ << llvm::format("bitnet-compare: benchmarked %s in %.1f s\n", family.name,
                              secondsSince(start));
  }
  // The bandwidth probed between the generation repetitions of all three.
  for (int32_t t : options_.bench.threads) {
    double sum = 0;
    for (const FamilyFigures &figures : comparison.families)
      sum += findRow(figures, t, BenchTest::Generation).bandwidthGBs;
    comparison.bandwidthGBs.push_back(sum / comparison.families.size());
  }
  return comparison;
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
  if (llvm::Error e =
          writeFileAtomically(scriptPath, comparisonPlotScript(comparison, dataPath, png)))
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
    if (llvm::Error e = run.prepareMasters())
      return e;
    if (llvm::Error e = run.compileFamilies())
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

} // namespace run
} // namespace bitnet
