//===- ApiTest.cpp - The generated C API of a compiled model --------------===//
//
// kernels_b158 compiled by bitnet-compile (x86-64-avx2). Two states used at
// once from two threads, also with different thread budgets, give exactly
// the results of one state used alone;
// reset really forgets; bad token ids and positions are refused without
// running anything; results agree with the golden forward pass.
//
//===----------------------------------------------------------------------===//

#include "../Common/Checks.h"
#include "kernels_b158.h"

#include "bitnet/Reference/Reference.h"

#include <cmath>
#include <cstdio>
#include <thread>
#include <vector>

namespace ref = bitnet::ref;

namespace {
bitnet::test::Checks checks;

void expect(bool ok, const std::string &what) { checks.expect(ok, what); }

/// Logits of every token of `tokens`, fed as a 3-token prompt then one by one.
std::vector<float> run(const std::vector<int32_t> &tokens, int32_t threads = 0) {
  kernels_b158_state *s = kernels_b158_create(0, threads);
  std::vector<float> logits(tokens.size() * KERNELS_B158_VOCAB);
  int32_t status = kernels_b158_forward(s, tokens.data(), 3, 0, logits.data());
  for (size_t i = 3; i < tokens.size() && status == 0; ++i)
    status = kernels_b158_forward(s, &tokens[i], 1, (int32_t)i,
                                  &logits[i * KERNELS_B158_VOCAB]);
  kernels_b158_destroy(s);
  if (status != 0)
    logits.assign(logits.size(), NAN);
  return logits;
}
} // namespace

int main() {
  std::vector<int32_t> a = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  std::vector<int32_t> b = {255, 0, 17, 17, 99, 3, 250, 1, 2, 128, 64, 32};
  std::vector<float> aAlone = run(a), bAlone = run(b);
  std::vector<float> aThreaded, bThreaded;
  std::thread ta([&] { aThreaded = run(a); });
  std::thread tb([&] { bThreaded = run(b); });
  ta.join();
  tb.join();
  expect(aThreaded == aAlone && bThreaded == bAlone,
         "two states on two threads differ from one state alone");
  // Per-state thread budgets: one state on 1 thread and one on 2, at once.
  std::vector<float> aOne, bTwo;
  std::thread t1([&] { aOne = run(a, 1); });
  std::thread t2([&] { bTwo = run(b, 2); });
  t1.join();
  t2.join();
  expect(aOne == aAlone && bTwo == bAlone,
         "states with budgets of 1 and 2 threads, at once, give the same logits");

  // Against the golden forward pass (same weights: tiny-b158, seed 1).
  ref::ModelWeights weights = ref::makeRandomModel(ref::ModelConfig::tinyB158(), 1);
  ref::ReferenceModel golden(weights);
  std::vector<float> want(a.size() * KERNELS_B158_VOCAB);
  golden.forward(a.data(), 3, 0, want.data());
  for (size_t i = 3; i < a.size(); ++i)
    golden.forward(&a[i], 1, (int32_t)i, &want[i * KERNELS_B158_VOCAB]);
  double worst = 0;
  for (size_t i = 0; i < want.size(); ++i)
    worst = std::fmax(worst, std::fabs(aAlone[i] - want[i]) /
                                 std::fmax(1.0, std::fabs(want[i])));
  std::printf("max relative logit error vs the golden reference: %.3g (bound 1e-4)\n",
              worst);
  expect(worst <= 1e-4, "logits differ from the golden reference");

  // Refusals run nothing; reset forgets.
  kernels_b158_state *s = kernels_b158_create(8, 0);
  std::vector<float> logits(3 * KERNELS_B158_VOCAB);
  int32_t bad[] = {1, KERNELS_B158_VOCAB, 2};
  expect(kernels_b158_forward(s, bad, 3, 0, logits.data()) == -1,
         "a token id out of range is refused");
  expect(kernels_b158_forward(s, a.data(), 3, 6, logits.data()) == -1,
         "positions beyond the state's context are refused");
  expect(kernels_b158_forward(s, a.data(), 1, -1, logits.data()) == -1,
         "a negative position is refused");
  expect(kernels_b158_forward(s, a.data(), 3, 0, logits.data()) == 0, "prefill");
  std::vector<float> first(logits);
  kernels_b158_reset(s);
  expect(kernels_b158_forward(s, a.data(), 3, 0, logits.data()) == 0 &&
             logits == first,
         "after reset the same prompt gives the same logits");
  expect(kernels_b158_vocab() == 256 && kernels_b158_layers() == 2 &&
             kernels_b158_max_context() == 64,
         "model dimensions");
  kernels_b158_destroy(s);
  return checks.finish();
}
