//===- FatModelTest.cpp - One object, every x86 variant -------------------===//
//
// Checkpoints of ImportedModelTest compiled with --target=x86-64: one object
// holding AVX-512, AVX-VNNI and AVX2 variants of the model (--target=aarch64
// for the ARM build of this test: dot-product and NEON variants, run under
// qemu-aarch64 on a CPU with and one without the dot product). Each variant is
// forced in turn with BITNET_VARIANT and run (a 3-token prompt, 5 decode
// steps) against the golden forward pass; a variant this CPU cannot run must
// be refused (create returns NULL), never run. Without BITNET_VARIANT,
// create runs a variant and gives the logits of the best one this CPU runs.
//
//===----------------------------------------------------------------------===//

#include "../Common/Checks.h"
#include "fat_b158.h"
#include "fat_gguf.h"
#include "fat_int8_head.h"

#include "bitnet/Reference/Reference.h"

#include <cmath>
#include <cstdio>
#if defined(__aarch64__)
#include <sys/auxv.h>
#else
#include "../Common/CpuFeatures.h"
#endif
#include <cstdlib>
#include <string>
#include <vector>

namespace ref = bitnet::ref;

namespace {
bitnet::test::Checks checks;

const std::vector<int32_t> kTokens = {3, 141, 59, 26, 5, 35, 89, 7};

/// The variants of --target=x86-64 (aarch64 when built for ARM), best
/// first, and whether this CPU has what each needs (the checks the model
/// API makes).
struct Variant {
  const char *name;
  bool runnable;
};
#if defined(__aarch64__)
std::vector<Variant> variants() {
  const bool dotprod = getauxval(AT_HWCAP) & (1ul << 20); // HWCAP_ASIMDDP
  return {{"arm64-dotprod", dotprod}, {"arm64", true}};
}
#else
std::vector<Variant> variants() {
  const bool avx2 = __builtin_cpu_supports("avx2");
  return {{"x86-64-avx512", avx2 && bitnet::test::cpuHasAvx512Vnni()},
          {"x86-64-avxvnni", bitnet::test::cpuHasAvxVnni()},
          {"x86-64-avx2", avx2}};
}
#endif

/// The logits of kTokens (the prompt's rows, then one row per step), or
/// empty when no state could be created.
std::vector<float> run(const bitnet_model &model, int vocab) {
  bitnet_state *s = bitnet_rt2_create(&model, 0, 0);
  if (!s)
    return {};
  std::vector<float> logits(kTokens.size() * vocab);
  int32_t status = bitnet_rt2_forward(s, kTokens.data(), 3, 0, BITNET_LOGITS_ALL, logits.data());
  for (size_t i = 3; i < kTokens.size() && status == 0; ++i)
    status = bitnet_rt2_forward(s, &kTokens[i], 1, (int32_t)i, BITNET_LOGITS_LAST,
                                &logits[i * vocab]);
  bitnet_rt2_destroy(s);
  checks.expect(status == 0, "a forward pass succeeded");
  return logits;
}

void check(const char *what, const bitnet_model &model, ref::ModelConfig config,
           ref::HeadFormat head = ref::HeadFormat::F16) {
  ref::ModelWeights weights = ref::makeRandomModel(config, 5); // golden keeps a reference
  ref::ReferenceModel golden(weights, head);
  std::vector<float> want(kTokens.size() * config.vocab);
  golden.forward(kTokens.data(), 3, 0, want.data());
  for (size_t i = 3; i < kTokens.size(); ++i)
    golden.forward(&kTokens[i], 1, (int64_t)i, &want[i * config.vocab]);
  std::vector<float> best;
  for (const Variant &v : variants()) {
    setenv("BITNET_VARIANT", v.name, 1);
    std::vector<float> got = run(model, (int)config.vocab);
    if (!v.runnable) {
      checks.expect(got.empty(), std::string(what) + ": " + v.name +
                                     " is refused on a CPU that lacks what it needs");
      std::printf("%s, %s: refused (this CPU lacks what it needs)\n", what, v.name);
      continue;
    }
    if (got.size() != want.size()) {
      checks.expect(false, std::string(what) + ": " + v.name + " did not run");
      continue;
    }
    double worst = 0;
    for (size_t i = 0; i < want.size(); ++i)
      worst = std::fmax(worst, std::fabs(got[i] - want[i]) / std::fmax(1.0, std::fabs(want[i])));
    std::printf("%s, %s: max relative logit error vs the golden reference %.3g (bound 1e-4)\n",
                what, v.name, worst);
    checks.expect(worst <= 1e-4, std::string(what) + ": " + v.name + " differs from the reference");
    if (best.empty())
      best = got;
  }
  unsetenv("BITNET_VARIANT");
  std::vector<float> chosen = run(model, (int)config.vocab);
  checks.expect(!chosen.empty() && chosen == best,
                std::string(what) + ": without BITNET_VARIANT the best runnable variant runs");
}
} // namespace

int main() {
  ref::ModelConfig wide = ref::ModelConfig::tinyB158();
  wide.hidden = 256;
  wide.intermediate = 512;
  check("b158 packed", fat_b158_model, ref::ModelConfig::tinyB158());
  check("gguf I2_S", fat_gguf_model, wide);
  check("int8 LM head", fat_int8_head_model, ref::ModelConfig::tinyB158(), ref::HeadFormat::Int8);
  // One tokenizer in the fat descriptor, none in its variants'.
  int32_t ids[8];
  checks.expect(fat_gguf_tokenize("Hi", ids, 8, 1) == 6 && ids[0] == 1 && ids[5] == 108,
                "the fat object's tokenizer (the GGUF's) tokenizes");
  checks.expect(fat_gguf_model.variant_count > 0 &&
                    fat_gguf_model.variants[0].model->tokenizer == nullptr,
                "the variants carry no copy of the tokenizer");
  return checks.finish();
}
