//===- Tuning.cpp - Tuning tables: parse, look up -------------------------===//

#include "bitnet/Target/Tuning.h"
#include "bitnet/Support/Input.h"
#include "bitnet/Target/TargetTable.h"
#include "bitnet/Kernels/KernelSpec.h"

#include <cerrno>
#include <cstdlib>
#include <set>
#include <sstream>
#include <tuple>

namespace bitnet {
namespace target {

namespace {

// Bounds that keep a mistyped table from asking for absurd schedules.
constexpr int64_t kMaxTileN = 16;
constexpr int64_t kMaxRowsPerTask = 1 << 16;
constexpr int64_t kMaxExtent = int64_t(1) << 24; // ModelConfig::kMaxExtent
constexpr uint64_t kMaxTableBytes = 1 << 20;

/// The table committed in lib/Target/tuning.table (CMake embeds it).
const char kBuiltinTable[] =
#include "BuiltinTuning.inc"
    ;

/// Digits only: no sign.
bool parseCount(const std::string &text, int64_t &out) {
  return !text.empty() && text[0] != '-' && text[0] != '+' && parseInt64(text, out);
}

/// "lo..hi" or "n", both in [1, kMaxExtent], lo <= hi.
bool parseRange(const std::string &text, int64_t &lo, int64_t &hi) {
  size_t dots = text.find("..");
  if (dots == std::string::npos) {
    if (!parseCount(text, lo))
      return false;
    hi = lo;
  } else if (!parseCount(text.substr(0, dots), lo) ||
             !parseCount(text.substr(dots + 2), hi)) {
    return false;
  }
  return lo >= 1 && lo <= hi && hi <= kMaxExtent;
}

std::string range(int64_t lo, int64_t hi) {
  return lo == hi ? std::to_string(lo) : std::to_string(lo) + ".." + std::to_string(hi);
}

/// Parses one non-empty line into `e`; "" or what is wrong with it.
std::string parseLine(const std::string &line, TuningEntry &e) {
  std::istringstream words(line);
  std::string kind;
  words >> kind;
  if (kind == "bitlinear")
    e.kind = TuningEntry::Kind::BitLinear;
  else if (kind == "prompt")
    e.kind = TuningEntry::Kind::Prompt;
  else
    return "unknown entry kind " + quoteForDiagnostic(kind) +
           " (expected bitlinear or prompt)";
  const bool bitlinear = e.kind == TuningEntry::Kind::BitLinear;
  bool hasTarget = false, hasN = false, hasK = false, hasTokens = false;
  std::set<std::string> seen;
  std::string word;
  while (words >> word) {
    size_t eq = word.find('=');
    if (eq == std::string::npos)
      return "expected key=value, got " + quoteForDiagnostic(word);
    std::string key = word.substr(0, eq), value = word.substr(eq + 1);
    if (!seen.insert(key).second)
      return "key '" + key + "' given twice";
    auto bad = [&](const std::string &expected) {
      return "bad value " + quoteForDiagnostic(value) + " for '" + key + "' (" +
             expected + ")";
    };
    auto count = [&](int64_t &field, int64_t max) -> std::string {
      if (!parseCount(value, field) || field < 1 || field > max)
        return bad("an integer in [1, " + std::to_string(max) + "]");
      return "";
    };
    std::string why;
    if (key == "target") {
      if (!lookupTarget(value) || value == "host")
        return bad("a target name: see bitnet-compile --help");
      e.target = value;
      hasTarget = true;
    } else if (bitlinear && key == "weights") {
      if (value == "ternary")
        e.weights = ref::WeightKind::Ternary;
      else if (value == "binary")
        e.weights = ref::WeightKind::Binary;
      else
        return bad("ternary or binary");
    } else if (bitlinear && key == "n") {
      if (!parseRange(value, e.minN, e.maxN))
        return bad("lo..hi or one size, in [1, 2^24]");
      hasN = true;
    } else if ((bitlinear && key == "k") || (!bitlinear && key == "hidden")) {
      if (!parseRange(value, e.minK, e.maxK))
        return bad("lo..hi or one size, in [1, 2^24]");
      hasK = true;
    } else if (bitlinear && key == "tile_n") {
      why = count(e.tileN, kMaxTileN);
    } else if (bitlinear && key == "gemv_rows") {
      why = count(e.gemvRows, kMaxRowsPerTask);
    } else if (bitlinear && key == "gemm_rows") {
      why = count(e.gemmRows, kMaxRowsPerTask);
    } else if (!bitlinear && key == "tokens") {
      why = count(e.tokens, kMaxExtent);
      hasTokens = true;
    } else {
      return "unknown key '" + key + "' in a " + kind + " entry";
    }
    if (!why.empty())
      return why;
  }
  if (!hasTarget)
    return "the entry has no target=";
  if (bitlinear && (!hasN || !hasK))
    return "a bitlinear entry needs n= and k=";
  if (!bitlinear && (!hasK || !hasTokens))
    return "a prompt entry needs hidden= and tokens=";
  if (bitlinear && e.tileN == 0 && e.gemvRows == 0 && e.gemmRows == 0)
    return "a bitlinear entry sets none of tile_n, gemv_rows, gemm_rows";
  // A GPU block's rows are bounded (KernelSpec::maxGPURowsPerTask): past
  // that, bitnet-kernelgen would fail without naming this line.
  const TargetDescription *target = lookupTarget(e.target);
  if (bitlinear && kernels::isGPUTarget(target->kernels)) {
    kernels::KernelSpec spec;
    spec.target = target->kernels;
    for (auto [rows, key, tokens] : {std::make_tuple(e.gemvRows, "gemv_rows", 1),
                                     std::make_tuple(e.gemmRows, "gemm_rows", 2)}) {
      spec.m = tokens;
      if (rows > spec.maxGPURowsPerTask())
        return std::string(key) + "=" + std::to_string(rows) + ": a block on " + e.target +
               " holds at most " + std::to_string(spec.maxGPURowsPerTask()) + " rows";
    }
  }
  return "";
}

} // namespace

std::string TuningEntry::shapeClass() const {
  if (kind == Kind::Prompt)
    return "hidden " + range(minK, maxK);
  return std::string(ref::weightKindName(weights)) + " n " + range(minN, maxN) + " k " +
         range(minK, maxK);
}

std::string TuningEntry::line() const {
  std::string text;
  if (kind == Kind::Prompt)
    return "prompt target=" + target + " hidden=" + range(minK, maxK) +
           " tokens=" + std::to_string(tokens);
  text = "bitlinear target=" + target + " weights=" + ref::weightKindName(weights) +
         " n=" + range(minN, maxN) + " k=" + range(minK, maxK);
  if (tileN)
    text += " tile_n=" + std::to_string(tileN);
  if (gemvRows)
    text += " gemv_rows=" + std::to_string(gemvRows);
  if (gemmRows)
    text += " gemm_rows=" + std::to_string(gemmRows);
  return text;
}

namespace {
struct Builtin {
  TuningTable table;
  std::string error; // a malformed committed table: every compile reports it
};
const Builtin &builtinTable() {
  static const Builtin builtin = [] {
    Builtin b;
    b.error = b.table.parse(kBuiltinTable, "lib/Target/tuning.table");
    return b;
  }();
  return builtin;
}
} // namespace

const TuningTable &TuningTable::builtin() { return builtinTable().table; }

std::string TuningTable::parse(const std::string &text, const std::string &origin) {
  std::vector<TuningEntry> parsed;
  std::istringstream lines(text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    if (line.find('\0') != std::string::npos)
      return origin + ":" + std::to_string(number) + ": a zero byte: not a text table";
    if (size_t hash = line.find('#'); hash != std::string::npos)
      line.erase(hash);
    if (line.find_first_not_of(" \t\r") == std::string::npos)
      continue;
    TuningEntry e;
    e.origin = origin + ":" + std::to_string(number);
    std::string why = parseLine(line, e);
    if (!why.empty())
      return e.origin + ": " + why;
    parsed.push_back(std::move(e));
  }
  entries_.insert(entries_.end(), parsed.begin(), parsed.end());
  return "";
}

std::string TuningTable::load(const std::string &path) {
  std::string text;
  std::string why = readRegularFile(path, kMaxTableBytes, text);
  if (!why.empty())
    return "cannot read the tuning table: " + why;
  return parse(text, path);
}

void TuningTable::append(const TuningTable &other) {
  entries_.insert(entries_.end(), other.entries_.begin(), other.entries_.end());
}

const TuningEntry *TuningTable::findBitLinear(const std::string &target,
                                              ref::WeightKind weights, int64_t n,
                                              int64_t k) const {
  for (const TuningEntry &e : entries_)
    if (e.kind == TuningEntry::Kind::BitLinear && e.target == target &&
        e.weights == weights && n >= e.minN && n <= e.maxN && k >= e.minK && k <= e.maxK)
      return &e;
  return nullptr;
}

const TuningEntry *TuningTable::findPrompt(const std::string &target,
                                           int64_t hidden) const {
  for (const TuningEntry &e : entries_)
    if (e.kind == TuningEntry::Kind::Prompt && e.target == target && hidden >= e.minK &&
        hidden <= e.maxK)
      return &e;
  return nullptr;
}

std::string loadTuning(const std::string &path, TuningTable &table) {
  TuningTable result;
  if (path == "none") {
    table = std::move(result);
    return "";
  }
  if (!path.empty()) {
    std::string why = result.load(path);
    if (!why.empty())
      return why;
  }
  if (!builtinTable().error.empty())
    return "the built-in tuning table is malformed: " + builtinTable().error;
  result.append(TuningTable::builtin());
  table = std::move(result);
  return "";
}

int64_t tunedRowsPerTask(const TuningEntry *entry, int64_t m, int64_t tileN) {
  if (!entry)
    return 0;
  int64_t rows = m == 1 ? entry->gemvRows : entry->gemmRows;
  if (rows <= 0)
    return 0;
  return (rows + tileN - 1) / tileN * tileN;
}

void shapeBucket(int64_t size, int64_t &lo, int64_t &hi) {
  hi = 2;
  while (hi < size)
    hi *= 2;
  lo = hi == 2 ? 1 : hi / 2 + 1;
}

} // namespace target
} // namespace bitnet
