//===- ApiTest.cpp - The generated C API of a compiled model --------------===//
//
// kernels_b158 compiled by bitnet-compile (x86-64-avx2). Two states used at
// once from two threads, also with different thread budgets, give exactly
// the results of one state used alone; a state's own workers run its loops
// (never more threads than it asked for);
// reset really forgets; bad token ids and positions are refused without
// running anything; results agree with the golden forward pass.
//
// Built again with API_TEST_GPU for the OpenCL object (run on PoCL) and the
// CUDA one (run where a GPU is): there the KV caches stay on the device from
// one pass to the next and reset must reach the device copy. The thread
// budget checks are left out there: GPU kernels run no loops on the CPU
// pool, so they have nothing to check.
//
//===----------------------------------------------------------------------===//

#include "../Common/Checks.h"
#include "kernels_b158.h"

#include "bitnet/Reference/Reference.h"

#include <cmath>
#include <cstdio>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

// The Halide runtime's task hook (HalideRuntime.h), linked in the object.
extern "C" {
typedef int (*halide_task_t)(void *, int, uint8_t *);
typedef int (*halide_do_task_t)(void *, halide_task_t, int, uint8_t *);
halide_do_task_t halide_set_custom_do_task(halide_do_task_t);
int halide_default_do_task(void *, halide_task_t, int, uint8_t *);
}

namespace ref = bitnet::ref;

// A sanitizer's allocator owns posix_memalign: replaced here, the memory
// would come from the C library's and go back to the sanitizer's free.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define API_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||                    \
    __has_feature(memory_sanitizer)
#define API_TEST_SANITIZED 1
#endif
#endif
#if !defined(API_TEST_GPU) && !defined(API_TEST_SANITIZED)
#define API_TEST_FAIL_ALLOCATIONS 1
#endif

#ifdef API_TEST_FAIL_ALLOCATIONS
// posix_memalign, made to fail once (the glue's buffers come from it: a
// failed allocation must become forward()'s status, not logits computed
// from a buffer no kernel wrote, nor a crash in the glue).
#include <dlfcn.h>
static int failAllocationsFrom = -1; // -1: none fail
static int allocationsMade = 0;
extern "C" int posix_memalign(void **out, size_t alignment, size_t bytes) {
  using Real = int (*)(void **, size_t, size_t);
  static Real real = reinterpret_cast<Real>(dlsym(RTLD_NEXT, "posix_memalign"));
  ++allocationsMade;
  if (failAllocationsFrom == 0) {
    failAllocationsFrom = -1;
    return 12; // ENOMEM
  }
  if (failAllocationsFrom > 0)
    --failAllocationsFrom;
  return real(out, alignment, bytes);
}
#endif

namespace {
bitnet::test::Checks checks;

void expect(bool ok, const std::string &what) { checks.expect(ok, what); }

/// Logits of every token of `tokens`, fed as a 3-token prompt then one by one.
/// The threads that ran Halide tasks while the hook was installed.
std::mutex taskThreadsMutex;
std::set<std::thread::id> taskThreads;

int recordTaskThread(void *user_context, halide_task_t f, int idx, uint8_t *closure) {
  {
    std::lock_guard<std::mutex> lock(taskThreadsMutex);
    taskThreads.insert(std::this_thread::get_id());
  }
  return halide_default_do_task(user_context, f, idx, closure);
}

std::vector<float> run(const std::vector<int32_t> &tokens, int32_t threads = 0) {
  kernels_b158_state *s = kernels_b158_create(0, threads);
  std::vector<float> logits(tokens.size() * KERNELS_B158_VOCAB);
  int32_t status =
      kernels_b158_forward(s, tokens.data(), 3, 0, BITNET_LOGITS_ALL, logits.data());
  for (size_t i = 3; i < tokens.size() && status == 0; ++i)
    status = kernels_b158_forward(s, &tokens[i], 1, (int32_t)i, BITNET_LOGITS_LAST,
                                  &logits[i * KERNELS_B158_VOCAB]);
  kernels_b158_destroy(s);
  if (status != 0)
    logits.assign(logits.size(), NAN);
  return logits;
}
} // namespace

#ifdef API_TEST_NEEDS_CUDA
#include "../Common/CudaDevice.h"
#endif

int main() {
#ifdef API_TEST_NEEDS_CUDA
  const std::string noDevice = bitnet::test::cudaUnavailable();
  if (!noDevice.empty()) {
    // Without a CUDA device the model fails cleanly: forward returns the
    // failing kernel's status (the runtime's message on stderr) instead of
    // Halide's default handler aborting the process. The rest needs a GPU.
    kernels_b158_state *s = kernels_b158_create(0, 1);
    int32_t token = 1;
    std::vector<float> logits(KERNELS_B158_VOCAB);
    int32_t status =
        s ? kernels_b158_forward(s, &token, 1, 0, BITNET_LOGITS_LAST, logits.data()) : 0;
    kernels_b158_destroy(s);
    if (!s || status == 0) {
      std::printf("FAIL without a CUDA device (%s) forward returned %d\n", noDevice.c_str(),
                  status);
      return 1;
    }
    std::printf("without a CUDA device forward returned status %d\nSKIP: %s\n", status,
                noDevice.c_str());
    return 77;
  }
#endif
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
#ifndef API_TEST_GPU
  // Per-state thread budgets: one state on 1 thread and one on 2, at once.
  std::vector<float> aOne, bTwo;
  std::thread t1([&] { aOne = run(a, 1); });
  std::thread t2([&] { bTwo = run(b, 2); });
  t1.join();
  t2.join();
  expect(aOne == aAlone && bTwo == bAlone,
         "states with budgets of 1 and 2 threads, at once, give the same logits");
  // A budget of 1 runs every parallel loop on the calling thread without
  // the thread pool, so the pool's task hook sees nothing; without a budget
  // the loops go through the pool and the hook sees them.
  halide_set_custom_do_task(recordTaskThread);
  run(a, 1);
  std::set<std::thread::id> budgetOne = taskThreads;
  taskThreads.clear();
  run(a, 0);
  std::set<std::thread::id> unlimited = taskThreads;
  halide_set_custom_do_task(halide_default_do_task);
  expect(budgetOne.empty(), "a budget of 1 thread still dispatched tasks to the Halide pool");
  expect(!unlimited.empty(), "without a budget no task went through the Halide pool");
  // From 2 threads on a state runs its loops on the calling thread and its
  // own workers (which of them takes a task varies from run to run), the
  // same logits whatever the count, also beyond this machine's cores.
  for (int32_t threads : {2, 3, 5}) {
    taskThreads.clear();
    halide_set_custom_do_task(recordTaskThread);
    std::vector<float> got = run(a, threads);
    halide_set_custom_do_task(halide_default_do_task);
    expect(got == aAlone, "a state of " + std::to_string(threads) +
                              " threads gives other logits");
    expect(!taskThreads.empty() && taskThreads.size() <= size_t(threads),
           "a state of " + std::to_string(threads) + " threads ran its tasks on " +
               std::to_string(taskThreads.size()) + " threads");
  }

#endif

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
  const int32_t V = KERNELS_B158_VOCAB;
  std::vector<float> logits(3 * V);
  int32_t bad[] = {1, V, 2};
  expect(kernels_b158_forward(s, bad, 3, 0, BITNET_LOGITS_ALL, logits.data()) == -1,
         "a token id out of range is refused");
  expect(kernels_b158_forward(s, a.data(), 3, 6, BITNET_LOGITS_ALL, logits.data()) == -1,
         "positions beyond the state's context are refused");
  expect(kernels_b158_forward(s, a.data(), 1, -1, BITNET_LOGITS_ALL, logits.data()) == -1,
         "a negative position is refused");
  expect(kernels_b158_forward(s, a.data(), 3, 0, 3, logits.data()) == -1,
         "an unknown logits selection is refused");
  expect(kernels_b158_forward(s, a.data(), 3, 0, BITNET_LOGITS_LAST, nullptr) == -1,
         "NULL logits are refused when logits are asked for");
  expect(kernels_b158_forward(s, nullptr, 3, 0, BITNET_LOGITS_NONE, nullptr) == -1,
         "NULL tokens are refused");
  expect(kernels_b158_forward(nullptr, a.data(), 3, 0, BITNET_LOGITS_LAST, logits.data()) ==
             -1,
         "a NULL state is refused");
  kernels_b158_reset(nullptr);
  kernels_b158_destroy(nullptr);
  expect(kernels_b158_forward(s, a.data(), 3, 0, BITNET_LOGITS_ALL, logits.data()) == 0,
         "prefill");
  std::vector<float> first(logits);
  kernels_b158_reset(s);
  expect(kernels_b158_forward(s, a.data(), 3, 0, BITNET_LOGITS_ALL, logits.data()) == 0 &&
             logits == first,
         "after reset the same prompt gives the same logits");
  // The last token's logits alone, through the one-row head: the last row of
  // every token's logits (to float rounding: the 3-row head kernel may sum in
  // another order).
  auto maxDifference = [&](const float *x, const float *y) {
    double worst = 0;
    for (int32_t i = 0; i < V; ++i)
      worst = std::fmax(worst, std::fabs(x[i] - y[i]) / std::fmax(1.0, std::fabs(y[i])));
    return worst;
  };
  std::vector<float> last(V);
  kernels_b158_reset(s);
  expect(kernels_b158_forward(s, a.data(), 3, 0, BITNET_LOGITS_LAST, last.data()) == 0 &&
             maxDifference(last.data(), &first[2 * V]) <= 1e-6,
         "BITNET_LOGITS_LAST gives the prompt's last row of BITNET_LOGITS_ALL");
  // A prompt of 5 runs as 3 + (2 padded to 3): its last logits match the
  // reference's; in a state of context 5 the padding does not fit and the
  // rest runs as 1 + 1, with the same logits.
  kernels_b158_reset(s);
  std::vector<float> five(V), fiveUnpadded(V);
  expect(kernels_b158_forward(s, a.data(), 5, 0, BITNET_LOGITS_LAST, five.data()) == 0 &&
             maxDifference(five.data(), &want[4 * V]) <= 1e-4,
         "a 5-token prompt's last logits (padded chunk) match the reference");
  kernels_b158_state *tight = kernels_b158_create(5, 0);
  expect(kernels_b158_forward(tight, a.data(), 5, 0, BITNET_LOGITS_LAST,
                              fiveUnpadded.data()) == 0 &&
             maxDifference(fiveUnpadded.data(), &want[4 * V]) <= 1e-4,
         "a 5-token prompt in a context of 5 (no room to pad) matches the reference");
  kernels_b158_destroy(tight);
  kernels_b158_reset(s);
  std::vector<float> next(V);
  expect(kernels_b158_forward(s, a.data(), 4, 0, BITNET_LOGITS_NONE, nullptr) == 0 &&
             kernels_b158_forward(s, &a[4], 1, 4, BITNET_LOGITS_LAST, next.data()) == 0 &&
             maxDifference(next.data(), &want[4 * V]) <= 1e-4,
         "BITNET_LOGITS_NONE fills the cache for the next token");
  // One token runs the one-token entry, never padded to the 3-token one
  // (1 is a quarter of 3, and each generated token then cost a 3-token
  // chunk): the cache rows after it stay as reset left them (zero), where
  // the padding wrote rows 1 and 2.
  kernels_b158_reset(s);
  const int64_t kvDim = kernels_b158_model.kv_dim;
  expect(kernels_b158_forward(s, a.data(), 1, 0, BITNET_LOGITS_LAST, next.data()) == 0 &&
             maxDifference(next.data(), &want[0]) <= 1e-4,
         "one token's logits");
#ifndef API_TEST_GPU // a GPU model's caches stay on the device between passes
  bool untouched = true, written = false;
  for (int64_t i = 0; i < kvDim; ++i) {
    written |= s->k_cache[i] != 0.0f;
    untouched &= s->k_cache[kvDim + i] == 0.0f && s->k_cache[2 * kvDim + i] == 0.0f;
  }
  expect(written && untouched, "one token writes its cache row only (no padding)");
#else
  (void)kvDim;
#endif
#ifndef API_TEST_FAIL_ALLOCATIONS
  std::printf("skipped: the failed-allocation check (%s)\n",
              "a GPU model's or a sanitizer's allocator is not posix_memalign's");
#else
  // Each buffer of a fresh state's pass in turn cannot be allocated: the
  // pass fails with Halide's out-of-memory code (the first returned 0 with
  // wrong logits, a third of the others crashed in the glue), and the state
  // works again afterwards.
  {
    std::vector<float> all(a.size() * V);
    auto allPass = [&](kernels_b158_state *state) {
      return kernels_b158_forward(state, a.data(), int32_t(a.size()), 0, BITNET_LOGITS_ALL,
                                  all.data());
    };
    kernels_b158_state *fresh = kernels_b158_create(0, 1);
    allocationsMade = 0;
    expect(allPass(fresh) == 0, "a fresh state's pass");
    const int passAllocations = allocationsMade;
    const std::vector<float> clean = all;
    kernels_b158_destroy(fresh);
    expect(passAllocations > 0, "a fresh state's pass allocates its buffers");
    int wrongStatus = 0, wrongAfter = 0;
    for (int k = 0; k < passAllocations; ++k) {
      fresh = kernels_b158_create(0, 1);
      failAllocationsFrom = k;
      int32_t failed = allPass(fresh);
      failAllocationsFrom = -1;
      if (failed != -11 && wrongStatus++ == 0)
        std::printf("allocation %d of %d failed: forward returned %d\n", k, passAllocations,
                    int(failed));
      kernels_b158_reset(fresh);
      if (!(allPass(fresh) == 0 && all == clean) &&
          wrongAfter++ == 0)
          std::printf("after allocation %d failed, the next pass differs\n", k);
      kernels_b158_destroy(fresh);
    }
    expect(wrongStatus == 0, "each failed buffer allocation is forward's status -11 (" +
                                 std::to_string(passAllocations) + " allocations)");
    expect(wrongAfter == 0, "the state runs again after each failed pass");
  }
#endif
  expect(kernels_b158_vocab() == 256 && kernels_b158_layers() == 2 &&
             kernels_b158_max_context() == 64,
         "model dimensions");
  kernels_b158_destroy(s);
  return checks.finish();
}
