//===- Compare.cpp - The three model families of one shape side by side --===//

#include "bitnet/Run/Compare.h"

#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

#include <algorithm>

namespace bitnet {
namespace run {
namespace {

std::string describe(const Comparison &c) {
  return llvm::formatv("{0}{8}: vocab {1}, {2} layers, kv_dim {3}, context {4}; pp{5}, "
                       "tg{6}, {7} repetitions",
                       c.source, c.vocab, c.layers, c.kvDim, c.context,
                       c.bench.promptTokens[0], c.bench.generatedTokens[0],
                       c.bench.repetitions,
                       c.target == "host" ? std::string() : " on target " + c.target)
      .str();
}

std::string threadsLabel(int32_t threads) {
  return std::to_string(threads) + (threads == 1 ? " thread" : " threads");
}

} // namespace

std::string gnuplotString(llvm::StringRef text) {
  std::string quoted = "'";
  for (char c : text)
    quoted += c == '\'' ? std::string("''") : std::string(1, c);
  return quoted + "'";
}

const BenchRow &benchRow(const FamilyFigures &figures, int32_t threads, BenchTest test) {
  for (const BenchRow &row : figures.rows)
    if (row.threads == threads && row.test == test)
      return row;
  // measureThroughput returns one row per (threads, test) it was given.
  llvm_unreachable("a benchmark row is missing");
}

const std::vector<Family> &families() {
  static const std::vector<Family> all = {
      {"vanilla", "float"}, {"binary", "binary"}, {"ternary", "ternary"}};
  return all;
}

void printComparison(const Comparison &c, llvm::raw_ostream &out) {
  const std::string pp = "pp" + std::to_string(c.bench.promptTokens[0]);
  const std::string tg = "tg" + std::to_string(c.bench.generatedTokens[0]);
  std::vector<std::string> labels = {"weight MB", "read MB/token"};
  for (int32_t t : c.bench.threads) {
    labels.push_back(pp + " t/s " + std::to_string(t) + "thr");
    labels.push_back(tg + " t/s " + std::to_string(t) + "thr");
  }
  const bool scored = !c.textFile.empty();
  if (scored)
    labels.push_back("perplexity");
  // One value per label, per family.
  auto figuresOf = [&](const FamilyFigures &f) {
    std::vector<double> values = {f.weightBytes / 1e6, f.readBytesPerToken / 1e6};
    for (int32_t t : c.bench.threads) {
      values.push_back(benchRow(f, t, BenchTest::PromptProcessing).meanTokensPerSecond);
      values.push_back(benchRow(f, t, BenchTest::Generation).meanTokensPerSecond);
    }
    if (scored)
      values.push_back(f.perplexity);
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
  out << (c.gpu ? "host read bandwidth (the models run on the target's device; not their bound):"
                : "read bandwidth:");
  for (size_t i = 0; i < c.bench.threads.size(); ++i)
    out << llvm::format(" %.2f GB/s (%s)%s", c.bandwidthGBs[i],
                        threadsLabel(c.bench.threads[i]).c_str(),
                        i + 1 < c.bench.threads.size() ? "," : "");
  out << "\n\n";
  printTable("figures (tokens/s: mean over the repetitions)", false);
  out << "\n";
  printTable("ratio to vanilla (family / vanilla)", true);
  if (scored) {
    out << "\nperplexity over " << c.textFile << " (" << c.textTokens << " tokens, chunks of "
        << c.chunk << ", the second half of each scored, as llama-perplexity):\n";
    for (const FamilyFigures &f : c.families)
      out << llvm::format("  %-8s %.4f +/- %.4f\n", f.family.c_str(), f.perplexity,
                          f.perplexityError);
  }
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
      const BenchRow &pp = benchRow(f, t, BenchTest::PromptProcessing);
      const BenchRow &tg = benchRow(f, t, BenchTest::Generation);
      out << llvm::format(
          " %.3f %.3f %.3f %.3f %.6f %.6f", pp.meanTokensPerSecond, pp.sdTokensPerSecond,
          tg.meanTokensPerSecond, tg.sdTokensPerSecond,
          pp.meanTokensPerSecond /
              benchRow(vanilla, t, BenchTest::PromptProcessing).meanTokensPerSecond,
          tg.meanTokensPerSecond /
              benchRow(vanilla, t, BenchTest::Generation).meanTokensPerSecond);
    }
    out << "\n";
  }
}

std::string comparisonPlotScript(const Comparison &c, llvm::StringRef dataPath,
                                 llvm::StringRef pngPath) {
  std::string script;
  llvm::raw_string_ostream out(script);
  const std::string data = gnuplotString(dataPath);
  out << "# bitnet-compare's plot of " << dataPath << " (gnuplot " << llvm::sys::path::stem(pngPath)
      << ".gp; gnuplot -e \"output_png='other.png'\" " << llvm::sys::path::stem(pngPath)
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

} // namespace run
} // namespace bitnet
