//===- Runner.cpp - Loading and running compiled models -------------------===//

#include "bitnet/Run/Runner.h"
#include "bitnet/Run/ReadBandwidth.h"
#include "bitnet/Support/Input.h"
#include "bitnet/Target/TargetTable.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Object/ELFObjectFile.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cmath>
#include <numeric>
#include <thread>

namespace bitnet {
namespace run {
namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message.str());
}

/// The prefixes of the `<prefix>_model` data symbols, each large enough to be
/// a descriptor, that a shared object exports (its dynamic symbols), in
/// symbol-table order; empty when it is no ELF file.
std::vector<std::string> exportedModelPrefixes(llvm::StringRef path) {
  std::vector<std::string> prefixes;
  auto binary = llvm::object::ObjectFile::createObjectFile(path);
  if (!binary) {
    llvm::consumeError(binary.takeError());
    return prefixes;
  }
  auto *elf = llvm::dyn_cast<llvm::object::ELFObjectFileBase>(binary->getBinary());
  if (!elf)
    return prefixes;
  for (const llvm::object::ELFSymbolRef &sym : elf->getDynamicSymbolIterators()) {
    llvm::Expected<llvm::StringRef> symName = sym.getName();
    if (!symName) {
      llvm::consumeError(symName.takeError());
      continue;
    }
    auto section = sym.getSection();
    bool defined = section && *section != elf->section_end();
    if (!section)
      llvm::consumeError(section.takeError());
    if (defined && sym.getELFType() == llvm::ELF::STT_OBJECT &&
        sym.getSize() >= sizeof(bitnet_model) && symName->size() > 6 &&
        symName->ends_with("_model"))
      prefixes.push_back(symName->drop_back(6).str());
  }
  return prefixes;
}

/// What dlopen would crash on or misreport, refused first: a file that is no
/// ELF shared library, one built for another machine (dlopen says "No such
/// file"), or one whose loadable segments reach past the end of the file
/// (a truncated copy: the loader maps pages with no file behind them, and
/// the first touch of one kills the process with SIGBUS).
llvm::Error checkSharedLibrary(llvm::StringRef path) {
  // A FIFO or a device would block the reads below (or never end).
  int fd = -1;
  uint64_t bytes = 0;
  std::string why = openRegularFile(path.str(), kAnySize, fd, bytes);
  if (!why.empty())
    return fail(why);
  ::close(fd);
  auto binary = llvm::object::ObjectFile::createObjectFile(path);
  if (!binary)
    return fail(path + ": cannot be loaded (truncated, corrupt or no shared library): " +
                llvm::toString(binary.takeError()));
  auto *elf = llvm::dyn_cast<llvm::object::ELF64LEObjectFile>(binary->getBinary());
  if (!elf)
    return fail(path + ": not a 64-bit little-endian ELF shared library (" +
                binary->getBinary()->getFileFormatName() + ")");
  const llvm::Triple host(llvm::sys::getProcessTriple());
  if (elf->getArch() != host.getArch())
    return fail(path + ": a shared library for " +
                llvm::Triple::getArchTypeName(elf->getArch()) + ", but this machine is " +
                llvm::Triple::getArchTypeName(host.getArch()));
  const auto &file = elf->getELFFile();
  if (file.getHeader().e_type != llvm::ELF::ET_DYN)
    return fail(path + ": an ELF file but not a shared library (compile with "
                       "bitnet-compile --emit=shared)");
  auto segments = file.program_headers();
  if (!segments)
    return fail(path + ": unreadable program headers: " +
                llvm::toString(segments.takeError()));
  const uint64_t size = binary->getBinary()->getData().size();
  for (const auto &segment : *segments)
    if (segment.p_type == llvm::ELF::PT_LOAD &&
        (segment.p_offset > size || segment.p_filesz > size - segment.p_offset))
      return fail(path + ": truncated or corrupt: a loadable segment ends at byte " +
                  llvm::Twine(segment.p_offset + segment.p_filesz) + " of a " +
                  llvm::Twine(size) + "-byte file");
  return llvm::Error::success();
}

/// The CPU features of BITNET_CPU_* `bits`, for messages.
std::string cpuFeatureNames(int64_t bits) {
  static const std::pair<int64_t, const char *> names[] = {
      {BITNET_CPU_AVX2, "AVX2"},
      {BITNET_CPU_AVXVNNI, "AVX-VNNI"},
      {BITNET_CPU_AVX512, "AVX-512 F, BW, VL and VNNI"},
      {BITNET_CPU_ARM_DOTPROD, "the AArch64 dot product"}};
  std::string text;
  for (const auto &[bit, name] : names)
    if (bits & bit)
      text += (text.empty() ? "" : ", ") + std::string(name);
  return text.empty() ? "nothing beyond its architecture" : text;
}

using Clock = std::chrono::steady_clock;
double seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

} // namespace

llvm::Expected<std::unique_ptr<LoadedModel>> LoadedModel::load(llvm::StringRef path,
                                                               llvm::StringRef name) {
  std::string prefix = name.str();
  const bool guessed = prefix.empty();
  if (guessed) {
    prefix = llvm::sys::path::filename(path).str();
    prefix = prefix.substr(0, prefix.find('.'));
  }
  // A bare file name would make dlopen search the library path.
  std::string file = path.contains('/') ? path.str() : ("./" + path).str();
  if (llvm::Error error = checkSharedLibrary(path))
    return std::move(error);
  auto model = std::make_unique<LoadedModel>();
  model->handle_ = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!model->handle_)
    return fail(path + ": cannot load: " + dlerror());
  auto symbol = [&](const std::string &s) { return dlsym(model->handle_, s.c_str()); };
  model->model_ = static_cast<const bitnet_model *>(symbol(prefix + "_model"));
  if (!model->model_) {
    // Without --name, an object whose one descriptor has another prefix than
    // its file name (bitnet-compile's default --name is "model") is found.
    std::vector<std::string> exported = exportedModelPrefixes(file);
    if (guessed && exported.size() == 1) {
      prefix = exported.front();
      model->model_ = static_cast<const bitnet_model *>(symbol(prefix + "_model"));
    }
    if (!model->model_) {
      std::string found = "it exports no <name>_model descriptor: was it compiled with "
                          "bitnet-compile --emit=shared?";
      if (!exported.empty()) {
        found = "it exports ";
        for (size_t i = 0; i < exported.size(); ++i)
          found += (i ? ", '" : "'") + exported[i] + "_model'";
        found += ": pass --name";
      }
      return fail(path + ": no descriptor '" + prefix + "_model' (" + found + ")");
    }
  }
  model->prefix_ = prefix;
  if (model->model_->abi_version != BITNET_MODEL_ABI)
    return fail(path + ": descriptor ABI " + llvm::Twine(model->model_->abi_version) +
                ", this runner reads ABI " + llvm::Twine(BITNET_MODEL_ABI));
  model->create_ = reinterpret_cast<decltype(create_)>(symbol("bitnet_rt2_create"));
  model->forward_ = reinterpret_cast<decltype(forward_)>(symbol("bitnet_rt2_forward"));
  model->reset_ = reinterpret_cast<decltype(reset_)>(symbol("bitnet_rt2_reset"));
  model->destroy_ = reinterpret_cast<decltype(destroy_)>(symbol("bitnet_rt2_destroy"));
  model->loadWeights_ =
      reinterpret_cast<decltype(loadWeights_)>(symbol("bitnet_rt2_load_weights"));
  model->profile_ = reinterpret_cast<decltype(profile_)>(symbol("bitnet_rt2_profile"));
  model->profileRead_ =
      reinterpret_cast<decltype(profileRead_)>(symbol("bitnet_rt2_profile_read"));
  model->shutdownThreadPool_ =
      reinterpret_cast<void (*)()>(symbol("halide_shutdown_thread_pool"));
  model->tokenize_ = reinterpret_cast<decltype(tokenize_)>(symbol("bitnet_rt2_tokenize"));
  model->tokenIsEog_ = reinterpret_cast<decltype(tokenIsEog_)>(symbol("bitnet_rt2_token_is_eog"));
  model->detokenize_ = reinterpret_cast<decltype(detokenize_)>(symbol("bitnet_rt2_detokenize"));
  model->tokenBos_ = reinterpret_cast<decltype(tokenBos_)>(symbol("bitnet_rt2_token_bos"));
  model->tokenizerError_ =
      reinterpret_cast<decltype(tokenizerError_)>(symbol("bitnet_rt2_tokenizer_error"));
  model->canRun_ = reinterpret_cast<decltype(canRun_)>(symbol("bitnet_rt2_can_run"));
  model->weightsError_ =
      reinterpret_cast<decltype(weightsError_)>(symbol("bitnet_rt2_weights_error"));
  if (symbol("halide_cuda_device_interface"))
    model->deviceAPI_ = "CUDA";
  else if (symbol("halide_opencl_device_interface"))
    model->deviceAPI_ = "OpenCL";
  if (!model->create_ || !model->forward_ || !model->reset_ || !model->destroy_ ||
      !model->loadWeights_ || !model->profile_ || !model->profileRead_ ||
      !model->shutdownThreadPool_ || !model->tokenize_ ||
      !model->tokenIsEog_ || !model->tokenizerError_ || !model->detokenize_ ||
      !model->tokenBos_ || !model->canRun_ || !model->weightsError_)
    return fail(path + ": the model API (bitnet_rt2_*) or the Halide runtime is missing");
  // Its kernels would die of SIGILL at the first instruction this CPU lacks.
  if (!model->canRun_(model->model_)) {
    const bitnet_model &m = *model->model_;
    const int64_t missing = m.cpu_features & ~target::hostCpuFeatures();
    if (m.variant_count == 0)
      return fail(path + ": compiled for CPUs with " + cpuFeatureNames(m.cpu_features) +
                  "; this CPU lacks " + (missing ? cpuFeatureNames(missing) : "some of that") +
                  " (compile it for --target=host, or for a fat target: x86-64, aarch64)");
    std::string names;
    for (int64_t i = 0; i < m.variant_count; ++i)
      names += (i ? ", " : "") + std::string(m.variants[i].name);
    const char *forced = std::getenv("BITNET_VARIANT");
    return fail(path + ": " +
                (forced && *forced ? "BITNET_VARIANT=" + std::string(forced) +
                                         " names no variant this CPU can run"
                                   : std::string("none of its variants runs on this CPU")) +
                " (variants: " + names + ")");
  }
  return std::move(model);
}

LoadedModel::~LoadedModel() {
  if (handle_) {
    if (shutdownThreadPool_)
      shutdownThreadPool_();
    dlclose(handle_);
  }
}

llvm::Error LoadedModel::failed(int32_t status) const {
  const bitnet_model &m = model_->variant_count ? *model_->variants[0].model : *model_;
  // Without a one-token entry, a single token runs padded only to an entry
  // of at most BITNET_PAD_FRACTION tokens: above that, generation cannot run.
  if (status == -1 && m.entry_count > 0 &&
      m.entries[m.entry_count - 1].tokens > BITNET_PAD_FRACTION)
    return fail("the model refused the call: it has no one-token entry point (its smallest "
                "takes " + llvm::Twine(m.entries[m.entry_count - 1].tokens) +
                " tokens), so it runs only batches that chunks of its token counts cover "
                "and cannot generate; compile it with a one-token entry point");
  return fail("the model failed with status " + llvm::Twine(status));
}

llvm::Error LoadedModel::loadWeights(llvm::StringRef path) {
  int fd = -1;
  uint64_t size = 0;
  if (std::string why = openRegularFile(path.str(), kAnySize, fd, size); !why.empty())
    return fail(why);
  ::close(fd);
  int32_t status = loadWeights_(model_, path.str().c_str());
  if (status == 0)
    return llvm::Error::success();
  if (status == -1)
    return fail(path + ": this model's weights are embedded; drop --weights");
  return fail(path + ": " + weightsError_(status) + " (status " + llvm::Twine(status) + ")");
}

bitnet_state *LoadedModel::create(int32_t context, int32_t threads) {
  return create_(model_, context, threads);
}

int32_t LoadedModel::forward(bitnet_state *s, const int32_t *tokens, int32_t count,
                             int32_t pos, int32_t rows, float *logits) {
  return forward_(s, tokens, count, pos, rows, logits);
}
void LoadedModel::reset(bitnet_state *s) { reset_(s); }

namespace {
/// Runs `call(buffer)` with llama.cpp's sizing convention (a count, or minus
/// the count needed): once with `buffer` as given, once more at the size it
/// asks for. `what` prefixes the errors.
template <typename Buffer, typename Call>
llvm::Expected<Buffer> intoGrowingBuffer(Buffer buffer, const Call &call,
                                         const char *(*reason)(const bitnet_model *),
                                         const bitnet_model *model, const llvm::Twine &what) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    int32_t n = call(buffer);
    if (n == BITNET_TOKEN_ERROR)
      return fail(what + ": " + reason(model));
    if (n >= 0) {
      buffer.resize(static_cast<size_t>(n));
      return buffer;
    }
    buffer.resize(static_cast<size_t>(-int64_t(n)));
  }
  return fail(what + ": the size it needs changed between calls");
}
} // namespace

llvm::Expected<std::vector<int32_t>> LoadedModel::tokenize(llvm::StringRef text,
                                                           bool addSpecial,
                                                           bool parseSpecial) {
  if (text.size() > size_t(INT32_MAX))
    return fail("the text is longer than 2 GiB");
  return intoGrowingBuffer(
      std::vector<int32_t>(text.size() + 8),
      [&](std::vector<int32_t> &ids) {
        return tokenize_(model_, text.data(), static_cast<int32_t>(text.size()), ids.data(),
                         static_cast<int32_t>(ids.size()), addSpecial, parseSpecial);
      },
      tokenizerError_, model_, "cannot tokenize");
}

llvm::Expected<std::string> LoadedModel::detokenize(const std::vector<int32_t> &ids) {
  if (ids.size() > size_t(INT32_MAX))
    return fail("too many ids to detokenize");
  return intoGrowingBuffer(
      std::string(ids.size() * 8 + 16, '\0'),
      [&](std::string &bytes) {
        return detokenize_(model_, ids.data(), static_cast<int32_t>(ids.size()), bytes.data(),
                           static_cast<int32_t>(std::min<size_t>(bytes.size(), INT32_MAX)), 1);
      },
      tokenizerError_, model_, "cannot detokenize");
}

void LoadedModel::destroy(bitnet_state *s) { destroy_(s); }

int32_t sampleToken(const float *logits, int32_t vocab, const Sampling &sampling,
                    ref::Rng &rng) {
  if (sampling.temperature <= 0.0f)
    return static_cast<int32_t>(std::max_element(logits, logits + vocab) - logits);
  std::vector<int32_t> ids(static_cast<size_t>(vocab));
  std::iota(ids.begin(), ids.end(), 0);
  // Descending logits, ids ascending on ties: deterministic.
  std::stable_sort(ids.begin(), ids.end(),
                   [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
  size_t keep = sampling.topK > 0 ? std::min<size_t>(ids.size(), sampling.topK) : ids.size();
  // Differences from the top logit, divided in double: logit / temperature
  // overflowed a float for tiny temperatures (inf - inf: NaN weights, and
  // then the least likely kept token was picked).
  std::vector<double> p(keep);
  const double top = logits[ids[0]];
  double sum = 0;
  for (size_t i = 0; i < keep; ++i)
    sum += p[i] = std::exp((double(logits[ids[i]]) - top) / double(sampling.temperature));
  if (sampling.topP < 1.0f) {
    double mass = 0;
    for (size_t i = 0; i < keep; ++i) {
      mass += p[i] / sum;
      if (mass >= sampling.topP) {
        keep = i + 1;
        break;
      }
    }
    p.resize(keep);
    sum = std::accumulate(p.begin(), p.end(), 0.0);
  }
  double u = (rng.next() >> 11) * (1.0 / 9007199254740992.0) * sum;
  for (size_t i = 0; i < keep; ++i) {
    if (u < p[i])
      return ids[i];
    u -= p[i];
  }
  return ids[keep - 1];
}

llvm::Expected<std::vector<int32_t>> generate(LoadedModel &model,
                                              const std::vector<int32_t> &prompt,
                                              int32_t count, const Sampling &sampling,
                                              int32_t threads,
                                              const std::function<bool(int32_t)> &onToken) {
  const bitnet_model &m = model.model();
  if (prompt.empty())
    return fail("the prompt is empty");
  if (static_cast<int64_t>(prompt.size()) + count > m.context)
    return fail("prompt (" + llvm::Twine(prompt.size()) + ") + generated (" +
                llvm::Twine(count) + ") tokens exceed the compiled context " +
                llvm::Twine(m.context));
  for (int32_t id : prompt)
    if (id < 0 || id >= m.vocab)
      return fail("token id " + llvm::Twine(id) + " is outside the vocabulary [0, " +
                  llvm::Twine(m.vocab) + ")");
  bitnet_state *s = model.create(0, threads);
  if (!s)
    return fail("cannot create a state (out of memory, or the weights file is not loaded)");
  std::vector<float> logits(m.vocab);
  std::vector<int32_t> out;
  ref::Rng rng(sampling.seed);
  int32_t status = model.forward(s, prompt.data(), static_cast<int32_t>(prompt.size()), 0,
                                 BITNET_LOGITS_LAST, logits.data());
  int32_t pos = static_cast<int32_t>(prompt.size());
  for (int32_t i = 0; i < count && status == 0; ++i) {
    int32_t next = sampleToken(logits.data(), static_cast<int32_t>(m.vocab), sampling, rng);
    out.push_back(next);
    if (i + 1 == count || (onToken && !onToken(next)))
      break;
    status = model.forward(s, &next, 1, pos++, BITNET_LOGITS_LAST, logits.data());
  }
  model.destroy(s);
  if (status != 0)
    return model.failed(status);
  return out;
}

ReadBandwidthProbe::ReadBandwidthProbe(size_t bytes) : data_(bytes, 1) {}

double ReadBandwidthProbe::measure(int threads) {
  // The calling thread reads the first part; the others start spinning
  // first, so that the clock starts with every core awake (a thread timed
  // from its creation read ~20% slower here).
  std::atomic<uint64_t> sink{0};
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  const size_t chunk = data_.size() / threads / 64 * 64;
  std::vector<std::thread> helpers;
  for (int t = 1; t < threads; ++t)
    helpers.emplace_back([&, t] {
      ++ready;
      while (!go.load(std::memory_order_acquire)) {
      }
      sink += sumBytes(data_.data() + t * chunk, chunk);
    });
  while (ready.load() != threads - 1) {
  }
  auto t0 = Clock::now();
  go.store(true, std::memory_order_release);
  sink += sumBytes(data_.data(), chunk);
  for (std::thread &t : helpers)
    t.join();
  double gbs = double(chunk * threads) / seconds(t0, Clock::now()) / 1e9;
  return gbs + (sink.load() == 42 ? 1e-9 : 0.0); // keeps the sums alive
}

llvm::Expected<std::vector<BenchRow>> measureThroughput(LoadedModel &model,
                                                        const BenchOptions &options) {
  const bitnet_model &m = model.model();
  const int32_t depth = options.depth;
  if (depth < 0 || depth >= m.context)
    return fail("-d " + llvm::Twine(depth) + " must be in [0, context " +
                llvm::Twine(m.context) + ")");
  // The room a test has: the context less the tokens already in the cache.
  auto room = [&]() -> std::string {
    return depth ? ("context " + llvm::Twine(m.context) + " - depth " + llvm::Twine(depth)).str()
                 : ("context " + llvm::Twine(m.context)).str();
  };
  for (int32_t n : options.promptTokens)
    if (n > m.context - depth || n < 1)
      return fail("-p " + llvm::Twine(n) + " must be in [1, " + room() + "]");
  for (int32_t n : options.generatedTokens)
    if (n > m.context - depth || n < 1)
      return fail("-n " + llvm::Twine(n) + " must be in [1, " + room() + "]");
  std::vector<BenchRow> rows;
  ref::Rng tokenRng(7); // random prompt and generated token ids
  // Far larger than any last-level cache; allocated only for generation.
  std::unique_ptr<ReadBandwidthProbe> probe;
  if (!options.generatedTokens.empty())
    probe = std::make_unique<ReadBandwidthProbe>(size_t(512) << 20);
  for (int32_t threads : options.threads) {
    bitnet_state *s = model.create(0, threads);
    if (!s)
      return fail("cannot create a state (out of memory, or the weights file is not loaded)");
    auto measure = [&](BenchTest test, int32_t tokens) -> llvm::Error {
      const bool prompt = test == BenchTest::PromptProcessing;
      std::vector<double> rates, bandwidths;
      std::vector<int32_t> ids(static_cast<size_t>(tokens));
      std::vector<float> logits(m.vocab);
      if (depth > 0) {
        // The cache's first `depth` rows, once: each repetition then writes
        // the rows from `depth` on before anything reads them.
        std::vector<int32_t> earlier(static_cast<size_t>(depth));
        for (int32_t &id : earlier)
          id = static_cast<int32_t>(tokenRng.range(0, m.vocab - 1));
        model.reset(s);
        if (int32_t status = model.forward(s, earlier.data(), depth, 0, BITNET_LOGITS_LAST,
                                           logits.data()))
          return model.failed(status);
      }
      for (int32_t r = 0; r < options.repetitions + 1; ++r) {
        for (int32_t &id : ids)
          id = static_cast<int32_t>(tokenRng.range(0, m.vocab - 1));
        if (depth == 0)
          model.reset(s);
        // Generation is paired with the read bandwidth of the same moments:
        // a probe before each timed repetition and after the last (this
        // machine's bandwidth moves by tens of percent within seconds).
        if (!prompt && r > 0)
          bandwidths.push_back(probe->measure(threads));
        auto t0 = Clock::now();
        int32_t status = 0;
        if (prompt)
          // As llama-bench: the logits of the prompt's last token.
          status = model.forward(s, ids.data(), tokens, depth, BITNET_LOGITS_LAST, logits.data());
        else
          for (int32_t i = 0; i < tokens && status == 0; ++i)
            status = model.forward(s, &ids[i], 1, depth + i, BITNET_LOGITS_LAST, logits.data());
        double t = seconds(t0, Clock::now());
        if (status != 0)
          return model.failed(status);
        if (r > 0) // the first run warms caches and the thread pool
          rates.push_back(tokens / t);
      }
      BenchRow row;
      if (!prompt) {
        bandwidths.push_back(probe->measure(threads));
        row.bandwidthGBs =
            std::accumulate(bandwidths.begin(), bandwidths.end(), 0.0) / bandwidths.size();
      }
      row.threads = threads;
      row.test = test;
      row.tokens = tokens;
      row.depth = depth;
      double mean = std::accumulate(rates.begin(), rates.end(), 0.0) / rates.size(), var = 0;
      for (double x : rates)
        var += (x - mean) * (x - mean);
      row.meanTokensPerSecond = mean;
      row.sdTokensPerSecond = rates.size() > 1 ? std::sqrt(var / (rates.size() - 1)) : 0.0;
      rows.push_back(row);
      return llvm::Error::success();
    };
    llvm::Error error = llvm::Error::success();
    for (int32_t n : options.promptTokens)
      if (!error)
        error = measure(BenchTest::PromptProcessing, n);
    for (int32_t n : options.generatedTokens)
      if (!error)
        error = measure(BenchTest::Generation, n);
    model.destroy(s);
    if (error)
      return std::move(error);
  }
  return rows;
}

double readBytesPerGeneratedToken(const bitnet_model &model, int32_t generated, int32_t depth) {
  // The token at position p reads K and V rows 0 .. p of every layer (f32);
  // the mean over p = depth .. depth + generated - 1 is depth +
  // (generated + 1) / 2 rows.
  double kvBytesPerRow = 2.0 * model.layers * model.kv_dim * sizeof(float);
  return model.read_bytes + kvBytesPerRow * (depth + (generated + 1) / 2.0);
}

llvm::Error bench(LoadedModel &model, llvm::StringRef label, const BenchOptions &options,
                  llvm::raw_ostream &out) {
  llvm::Expected<std::vector<BenchRow>> rows = measureThroughput(model, options);
  if (!rows)
    return rows.takeError();
  const bitnet_model &m = model.model();

  // A fat object: the variant a state runs (the one create picks).
  std::string variant;
  if (m.variant_count > 0) {
    if (bitnet_state *s = model.create(0, 1)) {
      for (int64_t i = 0; i < m.variant_count; ++i)
        if (m.variants[i].model == s->model)
          variant = std::string(" (variant ") + m.variants[i].name + ")";
      model.destroy(s);
    }
  }
  out << llvm::format("model %s%s: %.2f MB of weights read per generated token; vocab %lld, "
                      "%lld layers, context %lld\n",
                      label.str().c_str(), variant.c_str(), m.read_bytes / 1e6,
                      (long long)m.vocab, (long long)m.layers, (long long)m.context);
  // A GPU model's bound is the device's bandwidth, which this probe (the
  // host's) does not measure: no roofline columns then.
  const bool device = !model.deviceAPI().empty();
  if (device)
    out << "kernels on the " << model.deviceAPI()
        << " device: the host's read bandwidth does not bound them (no roofline)\n";
  out << llvm::format("%-6s %-12s %10s %18s %12s %12s %9s\n", "thr", "test", "tokens",
                      "t/s (mean +- sd)", "bw GB/s", "roofline t/s", "of roof");
  for (const BenchRow &row : *rows) {
    const bool prompt = row.test == BenchTest::PromptProcessing;
    // As llama-bench names a test at a depth ("pp512 @ d2048"), without spaces.
    std::string test = (prompt ? "pp" : "tg") + std::to_string(row.tokens) +
                       (row.depth ? "@d" + std::to_string(row.depth) : "");
    if (prompt || device) {
      out << llvm::format("%-6d %-12s %10d %10.2f +- %5.2f %12s %12s %9s\n", row.threads,
                          test.c_str(), row.tokens, row.meanTokensPerSecond,
                          row.sdTokensPerSecond, "", "", "");
      continue;
    }
    double bandwidth = row.bandwidthGBs,
           roofline = bandwidth / (readBytesPerGeneratedToken(m, row.tokens, row.depth) / 1e9);
    out << llvm::format("%-6d %-12s %10d %10.2f +- %5.2f %12.2f %12.2f %8.0f%%\n", row.threads,
                        test.c_str(), row.tokens, row.meanTokensPerSecond,
                        row.sdTokensPerSecond, bandwidth, roofline,
                        100.0 * row.meanTokensPerSecond / roofline);
  }
  return llvm::Error::success();
}

namespace {

/// A parallel loop's kernel and loop from its task symbol
/// (<name>_<kind>_<hash>_par_for_<loop>): {kind, kernel_loop}.
std::pair<std::string, std::string> describeLoop(const void *task, llvm::StringRef name) {
  Dl_info info;
  if (!dladdr(task, &info) || !info.dli_sname)
    return {"?", "?"};
  llvm::StringRef symbol(info.dli_sname);
  symbol.consume_front((name + "_").str());
  auto [kernel, loop] = symbol.split("_par_for_");
  llvm::StringRef kind = kernel;
  size_t hash = kernel.rfind('_');
  if (hash != llvm::StringRef::npos &&
      llvm::all_of(kernel.substr(hash + 1), [](char c) { return llvm::isHexDigit(c); }))
    kind = kernel.substr(0, hash);
  return {kind.str(), (kernel + " " + loop).str()};
}

void printProfile(llvm::raw_ostream &out, llvm::StringRef what, double seconds, int32_t tokens,
                  const bitnet_profile_entry *entries, int32_t count, llvm::StringRef name) {
  struct Row {
    std::string label;
    int64_t ns = 0, calls = 0;
  };
  std::vector<Row> kinds, loops;
  auto add = [](std::vector<Row> &rows, const std::string &label, const bitnet_profile_entry &e) {
    auto it = llvm::find_if(rows, [&](const Row &r) { return r.label == label; });
    if (it == rows.end()) {
      rows.push_back({label, 0, 0});
      it = rows.end() - 1;
    }
    it->ns += e.nanoseconds;
    it->calls += e.calls;
  };
  int64_t inLoops = 0;
  for (int32_t i = 0; i < count; ++i) {
    auto [kind, loop] = describeLoop(entries[i].task, name);
    add(kinds, kind, entries[i]);
    add(loops, loop, entries[i]);
    inLoops += entries[i].nanoseconds;
  }
  auto byTime = [](const Row &a, const Row &b) { return a.ns > b.ns; };
  llvm::sort(kinds, byTime);
  llvm::sort(loops, byTime);
  const double total = seconds * 1e9;
  out << llvm::format("%s: %.1f ms, %.2f tokens/s\n", what.str().c_str(), seconds * 1e3,
                      tokens / seconds);
  out << llvm::format("  %-34s %10s %6s %8s\n", "kernel kind", "ms", "%", "calls");
  for (const Row &r : kinds)
    out << llvm::format("  %-34s %10.2f %5.1f%% %8lld\n", r.label.c_str(), r.ns / 1e6,
                        100.0 * r.ns / total, (long long)r.calls);
  out << llvm::format("  %-34s %10.2f %5.1f%%\n", "outside parallel loops",
                      std::max(0.0, total - inLoops) / 1e6,
                      100.0 * std::max(0.0, total - inLoops) / total);
  out << "  slowest parallel loops:\n";
  for (size_t i = 0; i < loops.size() && i < 8; ++i)
    out << llvm::format("    %-52s %10.2f %5.1f%% %8lld\n", loops[i].label.c_str(),
                        loops[i].ns / 1e6, 100.0 * loops[i].ns / total,
                        (long long)loops[i].calls);
}

} // namespace

llvm::Error profile(LoadedModel &model, const ProfileOptions &options, llvm::raw_ostream &out) {
  const bitnet_model &m = model.model();
  const std::string &name = model.prefix();
  if (options.promptTokens < 1 || options.generatedTokens < 1 ||
      options.promptTokens + options.generatedTokens > m.context)
    return fail("--profile: -p and -n must be >= 1 and together at most the context " +
                llvm::Twine(m.context));
  if (!validThreadCount(options.threads))
    return fail("--profile: -t " + llvm::Twine(options.threads) + " must be in [1, " +
                llvm::Twine(kMaxThreads) + "]");
  bitnet_state *s = model.create(0, options.threads);
  if (!s)
    return fail("cannot create a state (out of memory, or the weights file is not loaded)");
  ref::Rng rng(7);
  std::vector<int32_t> ids(static_cast<size_t>(options.promptTokens + options.generatedTokens));
  for (int32_t &id : ids)
    id = static_cast<int32_t>(rng.range(0, m.vocab - 1));
  std::vector<float> logits(m.vocab);
  auto failed = [&](int32_t status) {
    model.profile(s, 0);
    model.destroy(s);
    return model.failed(status);
  };
  // Warm-up: caches, the thread pool, the glue's buffers.
  int32_t status =
      model.forward(s, ids.data(), options.promptTokens, 0, BITNET_LOGITS_LAST, logits.data());
  if (status != 0)
    return failed(status);
  model.reset(s);
  if (model.profile(s, 1) != 0) {
    model.destroy(s);
    return fail("out of memory for the profile");
  }
  const bitnet_profile_entry *entries = nullptr;
  // The kernels' symbol prefix is that of the descriptor the state runs: a
  // fat object's variant is <name>_<suffix>_model, and its kernels
  // <name>_<suffix>_<kind>_<hash>.
  std::string kernelPrefix = name;
  Dl_info info;
  if (dladdr(s->model, &info) && info.dli_sname) {
    llvm::StringRef symbol(info.dli_sname);
    if (symbol.consume_back("_model"))
      kernelPrefix = symbol.str();
  }
  std::string variant;
  for (int64_t i = 0; i < m.variant_count; ++i)
    if (m.variants[i].model == s->model)
      variant = std::string(" (variant ") + m.variants[i].name + ")";
  out << llvm::format("model %s%s, %d thread(s)\n", name.c_str(), variant.c_str(),
                      options.threads);
  auto t0 = Clock::now();
  status =
      model.forward(s, ids.data(), options.promptTokens, 0, BITNET_LOGITS_LAST, logits.data());
  double prompt = seconds(t0, Clock::now());
  if (status != 0)
    return failed(status);
  int32_t count = model.profileRead(s, &entries);
  printProfile(out, "prompt of " + std::to_string(options.promptTokens) + " tokens", prompt,
               options.promptTokens, entries, count, kernelPrefix);
  model.profile(s, 1); // from zero
  t0 = Clock::now();
  for (int32_t i = 0; i < options.generatedTokens && status == 0; ++i)
    status = model.forward(s, &ids[options.promptTokens + i], 1, options.promptTokens + i,
                           BITNET_LOGITS_LAST, logits.data());
  double generation = seconds(t0, Clock::now());
  if (status != 0)
    return failed(status);
  count = model.profileRead(s, &entries);
  printProfile(out, std::to_string(options.generatedTokens) + " generated tokens", generation,
               options.generatedTokens, entries, count, kernelPrefix);
  model.profile(s, 0);
  model.destroy(s);
  return llvm::Error::success();
}

} // namespace run
} // namespace bitnet
