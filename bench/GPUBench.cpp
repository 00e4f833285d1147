//===- GPUBench.cpp - GPU kernels vs the device's measured bandwidth ------===//
//
// For the BitNet b1.58 2B-4T shapes, times the generated GPU kernels (CUDA,
// or OpenCL with -DBITNET_BENCH_GPU_TARGET=opencl) on the device: the decode
// GEMV of each projection at 2, 4 and 8 rows per block, the prompt GEMM at
// 64 tokens, the f16 and int8 LM heads; and, in the same run, the device's
// memory bandwidth, measured with the generated element-wise add (y = a + b
// over 256 MiB vectors: 3 x 256 MiB moved per call). Also a generated
// token's attention over one layer's caches at positions 255, 1023 and
// 4095 at contexts of 4096 rows (one launch, a block per head, at 255; the
// split past it: a block per chunk of 256 rows and head, then one
// combining them) and 8192 rows (the split at every position: at 255 the
// split's second launch against the one launch), the bytes counted being
// the K and V rows read; and a 64-token prompt block's attention ending at
// the same rows, in the one launch (4096 rows) and in the split (8192). The
// GEMV weights
// rotate through enough copies to exceed the L2 cache (an H200 has 50 MB),
// so each call streams its weights from device memory as in a model.
//
// Two times per call: `wall` is host-issued calls back to back, ended by a
// sync, so it includes the host's cost of each call (Halide's runtime and
// the driver's launch, a few microseconds, more than a 2B GEMV needs on an
// H100/H200); `device` (CUDA only) is the GPU's own time for the same calls,
// queued behind a gate (a host function in the stream that holds it until
// every call is queued) between two events, as a model would see them with
// its launches queued ahead (CUDA graphs). Prints both, weight GB/s and the
// fraction of the measured bandwidth for each, and GOPS (2 ops per weight
// per token) of the faster. Not a test: it never fails on speed.
//
// Run: scripts/gpu-check.sh (on a device), or
//      build/bench/bitnet-bench-gpu [calls per round, default 50]
//                                   [MiB of rotated weight copies, default 1024]
//
//===----------------------------------------------------------------------===//

#include "HalideBuffer.h"
#include "HalideRuntime.h"

#include "bitnet/Reference/Packing.h"
#include "bitnet/Reference/Reference.h"

#include "bench_gpu_kernels.h"
#include "../test/Common/CudaDevice.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#ifdef BITNET_BENCH_GPU_CUDA
#include <dlfcn.h>
#include <sched.h>

// Halide's CUDA runtime (linked in): the context and stream its calls use.
extern "C" int halide_cuda_acquire_context(void *user_context, void **ctx, bool create);
extern "C" int halide_cuda_release_context(void *user_context);
extern "C" int halide_cuda_get_stream(void *user_context, void *ctx, void **stream);
#endif

namespace ref = bitnet::ref;
using Halide::Runtime::Buffer;
using Clock = std::chrono::steady_clock;

namespace {

using BitLinearFn = int (*)(halide_buffer_t *, halide_buffer_t *, halide_buffer_t *, float,
                            halide_buffer_t *);
using AttentionFn = int (*)(halide_buffer_t *, halide_buffer_t *, halide_buffer_t *, int32_t,
                            halide_buffer_t *);

struct BitLinearKernel {
  const char *shape;
  int64_t n, k, m, rowsPerBlock;
  BitLinearFn fn;
};

const BitLinearKernel kBitLinear[] = {
#include "bench_gpu_table.inc"
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

/// Runs one call of the benchmarked kernel; a nonzero status stops the
/// benchmark.
void runOrExit(const std::function<int(int)> &call, int index) {
  if (int status = call(index)) {
    std::fprintf(stderr, "bitnet-bench-gpu: a kernel failed with status %d\n", status);
    std::exit(1);
  }
}

#ifdef BITNET_BENCH_GPU_CUDA
/// The GPU's own time for a run of calls (see the file comment). Uses the
/// CUDA driver (already loaded by Halide's runtime) on the context and
/// stream of Halide's calls. Every failure is reported, never fatal: the
/// benchmark then prints wall times alone.
class DeviceTimer {
public:
  /// Empty when the device can be timed, else why not. Call after a first
  /// kernel call (which creates Halide's context).
  std::string init() {
    void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib)
      return "libcuda.so.1 not found";
    bool ok = true;
    auto sym = [&](auto &fn, const char *name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(lib, name));
      ok = ok && fn;
    };
    sym(ctxPush, "cuCtxPushCurrent_v2");
    sym(ctxPop, "cuCtxPopCurrent_v2");
    sym(eventCreate, "cuEventCreate");
    sym(eventDestroy, "cuEventDestroy_v2");
    sym(eventRecord, "cuEventRecord");
    sym(eventSynchronize, "cuEventSynchronize");
    sym(eventElapsed, "cuEventElapsedTime");
    sym(launchHostFunc, "cuLaunchHostFunc");
    if (!ok)
      return "the CUDA driver lacks an event or host-function entry point";
    if (halide_cuda_acquire_context(nullptr, &context, false) != 0 || !context)
      return "Halide's CUDA context is not there";
    int streamStatus = halide_cuda_get_stream(nullptr, context, &stream);
    halide_cuda_release_context(nullptr);
    if (streamStatus != 0)
      return "Halide's CUDA stream is not there";
    return "";
  }

  /// Device seconds per call of `calls` calls of `run`, or a negative value
  /// with `why` set.
  double secondsPerCall(int calls, const std::function<void()> &run, std::string &why) {
    if (ctxPush(context) != 0) {
      why = "cuCtxPushCurrent failed";
      return -1;
    }
    void *start = nullptr, *stop = nullptr;
    double seconds = -1;
    Gate gate;
    int status = eventCreate(&start, 0);
    status = status ? status : eventCreate(&stop, 0);
    status = status ? status : launchHostFunc(stream, &Gate::hold, &gate);
    status = status ? status : eventRecord(start, stream);
    if (status == 0) {
      // Pop around the calls: Halide pushes its own context for each.
      void *popped = nullptr;
      ctxPop(&popped);
      for (int i = 0; i < calls; ++i)
        run();
      ctxPush(context);
      status = eventRecord(stop, stream);
    }
    gate.released.store(true);
    float ms = 0;
    status = status ? status : eventSynchronize(stop);
    status = status ? status : eventElapsed(&ms, start, stop);
    if (status != 0)
      why = "a CUDA event call failed with error " + std::to_string(status);
    else if (gate.timedOut.load())
      why = "a call waited for the device while the gate held it (the gate let go "
            "after 5 s)";
    else
      seconds = ms * 1e-3 / calls;
    if (start)
      eventDestroy(start);
    if (stop)
      eventDestroy(stop);
    void *popped = nullptr;
    ctxPop(&popped);
    return seconds;
  }

private:
  /// The host function that holds the stream until every call is queued.
  /// It gives up after 5 s, so that a call that waits for the device
  /// cannot hang the benchmark.
  struct Gate {
    std::atomic<bool> released{false}, timedOut{false};
    static void hold(void *self) {
      auto *gate = static_cast<Gate *>(self);
      auto deadline = Clock::now() + std::chrono::seconds(5);
      while (!gate->released.load()) {
        if (Clock::now() > deadline) {
          gate->timedOut.store(true);
          return;
        }
        sched_yield();
      }
    }
  };

  int (*ctxPush)(void *) = nullptr;
  int (*ctxPop)(void **) = nullptr;
  int (*eventCreate)(void **, unsigned) = nullptr;
  int (*eventDestroy)(void *) = nullptr;
  int (*eventRecord)(void *, void *) = nullptr;
  int (*eventSynchronize)(void *) = nullptr;
  int (*eventElapsed)(float *, void *, void *) = nullptr;
  int (*launchHostFunc)(void *, void (*)(void *), void *) = nullptr;
  void *context = nullptr;
  void *stream = nullptr;
};
#else
/// OpenCL: no device times (Halide's command queue has no profiling).
class DeviceTimer {
public:
  std::string init() { return "device times are measured on CUDA only"; }
  double secondsPerCall(int, const std::function<void()> &, std::string &why) {
    why = "device times are measured on CUDA only";
    return -1;
  }
};
#endif

/// Wall and device seconds per call (device < 0 when not measured).
struct CallTimes {
  double wall, device;
};

/// Seconds per call of `call(i)`, i counting every call made (so that
/// rotated weights continue through their copies across rounds instead of
/// starting again from copies still in L2): one untimed pass of `warm`
/// calls (first use moves inputs to the device), then `rounds` rounds of
/// `calls` calls each, timed on the wall (ended by `sync`: launches are
/// asynchronous) and, where `timer` can, on the device; the median round of
/// each. A device timing that fails is reported once and left out.
CallTimes timeCalls(int warm, int calls, int rounds, const std::function<int(int)> &call,
                    const std::function<void()> &sync, DeviceTimer *timer) {
  int next = 0;
  auto run = [&] { runOrExit(call, next++); };
  for (int i = 0; i < warm; ++i)
    run();
  sync();
  std::vector<double> wall, device;
  for (int r = 0; r < rounds; ++r) {
    auto t0 = Clock::now();
    for (int i = 0; i < calls; ++i)
      run();
    sync();
    wall.push_back(std::chrono::duration<double>(Clock::now() - t0).count() / calls);
  }
  for (int r = 0; timer && r < rounds; ++r) {
    std::string why;
    double seconds = timer->secondsPerCall(calls, run, why);
    sync();
    if (seconds < 0) {
      std::printf("(device time not measured: %s)\n", why.c_str());
      device.clear();
      break;
    }
    device.push_back(seconds);
  }
  return {median(wall), device.empty() ? -1.0 : median(device)};
}

/// One row: times in microseconds, GB/s and the fraction of `bandwidth`
/// for both times ("-" for a device time not measured), GOPS of the
/// faster.
void printRow(const char *what, int64_t m, const char *rows, CallTimes t, double bytes,
              double bandwidth, double ops) {
  auto gbps = [&](double seconds) { return bytes / seconds / 1e9; };
  std::printf("%-32s %4lld %5s %9.1f %7.0f%%", what, (long long)m, rows, t.wall * 1e6,
              100.0 * gbps(t.wall) / bandwidth);
  if (t.device > 0)
    std::printf(" %9.1f %9.1f %7.0f%%", t.device * 1e6, gbps(t.device),
                100.0 * gbps(t.device) / bandwidth);
  else
    std::printf(" %9s %9s %8s", "-", "-", "-");
  double best = t.device > 0 ? std::min(t.wall, t.device) : t.wall;
  std::printf(" %9.1f\n", ops / best / 1e9);
}

} // namespace

int main(int argc, char **argv) {
  const int calls = argc > 1 ? std::atoi(argv[1]) : 50;
  const int64_t rotateMiB = argc > 2 ? std::atoll(argv[2]) : 1024;
  if (calls < 1 || rotateMiB < 1) {
    std::fprintf(stderr, "usage: %s [calls per round >= 1] [MiB of weight copies >= 1]\n",
                 argv[0]);
    return 2;
  }
  constexpr int kRounds = 3;
#ifdef BITNET_BENCH_GPU_CUDA
  if (bitnet::test::skipWithoutCuda())
    return 77;
#endif

  // The device's bandwidth: y = a + b over 2^26 floats each.
  const int vectorLength = 1 << 26;
  Buffer<float> a(vectorLength, 1), b(vectorLength, 1), sum(vectorLength, 1);
  a.fill(1.0f);
  b.fill(2.0f);
  a.set_host_dirty();
  b.set_host_dirty();
  // The device timer needs Halide's context: made by the first call.
  if (int status = bench_gpu_add(a, b, sum)) {
    std::fprintf(stderr, "bitnet-bench-gpu: the add kernel failed with status %d\n", status);
    return 1;
  }
  DeviceTimer deviceTimer;
  const std::string noDeviceTimer = deviceTimer.init();
  DeviceTimer *timer = noDeviceTimer.empty() ? &deviceTimer : nullptr;
  const CallTimes add =
      timeCalls(2, calls, kRounds, [&](int) { return bench_gpu_add(a, b, sum); },
                [&] { sum.device_sync(); }, timer);
  const double addBytes = 3.0 * vectorLength * sizeof(float);
  // The reference for both fractions: the add's device time where measured.
  const double bandwidth = addBytes / (add.device > 0 ? add.device : add.wall) / 1e9;
  sum.copy_to_host();
  if (sum(0, 0) != 3.0f || sum(vectorLength - 1, 0) != 3.0f) {
    std::fprintf(stderr, "bitnet-bench-gpu: the add kernel computed %g, not 3\n", sum(0, 0));
    return 1;
  }
  std::printf("device memory bandwidth (y = a + b, 3 x 256 MiB per call, median of %d "
              "rounds of %d calls, %s time): %.1f GB/s\n",
              kRounds, calls, add.device > 0 ? "device" : "wall", bandwidth);
  std::printf("(the add on the wall: %.1f us, %.1f GB/s; device time: %s)\n", add.wall * 1e6,
              addBytes / add.wall / 1e9,
              timer ? "queued behind a gate, between two events" : noDeviceTimer.c_str());
  std::printf("BitLinear weights: offset2, tile 1x16; decode GEMVs rotate through >= %lld "
              "MiB of copies\n\n",
              (long long)rotateMiB);
  std::printf("%-32s %4s %5s %9s %8s %9s %9s %8s %9s\n", "kernel (N x K)", "M", "rows",
              "wall (us)", "of bw", "dev (us)", "GB/s", "of bw", "GOPS");

  ref::Rng rng(7);
  const ref::PackedLayout layout{ref::PackFormat::Offset2, 1, 16};
  for (const BitLinearKernel &kernel : kBitLinear) {
    std::vector<int8_t> w(kernel.n * kernel.k);
    for (int8_t &v : w)
      v = static_cast<int8_t>(rng.range(-1, 1));
    std::vector<uint8_t> packed = ref::packWeights(layout, w.data(), kernel.n, kernel.k);
    // GEMMs reuse their weights across tokens: no rotation.
    const size_t copies =
        kernel.m == 1 ? std::max<size_t>(2, (size_t(rotateMiB) << 20) / packed.size() + 1) : 1;
    std::vector<Buffer<uint8_t>> pool;
    for (size_t c = 0; c < copies; ++c) {
      Buffer<uint8_t> copy(static_cast<int>(packed.size()));
      std::copy(packed.begin(), packed.end(), copy.data());
      copy.set_host_dirty();
      pool.push_back(std::move(copy));
    }
    Buffer<int8_t> q(static_cast<int>(kernel.k), static_cast<int>(kernel.m));
    q.for_each_value([&](int8_t &v) { v = static_cast<int8_t>(rng.range(-127, 127)); });
    q.set_host_dirty();
    Buffer<float> s(static_cast<int>(kernel.m));
    s.fill(50.0f);
    s.set_host_dirty();
    Buffer<float> y(static_cast<int>(kernel.n), static_cast<int>(kernel.m));
    CallTimes t = timeCalls(
        static_cast<int>(copies), calls, kRounds,
        [&](int i) { return kernel.fn(q, s, pool[i % copies], 0.5f, y); },
        [&] { y.device_sync(); }, timer);
    char rows[16];
    std::snprintf(rows, sizeof rows, "%lld", (long long)kernel.rowsPerBlock);
    std::string what = std::string(kernel.shape) + (kernel.m == 1 ? " gemv" : " gemm");
    printRow(what.c_str(), kernel.m, rows, t, double(packed.size()), bandwidth,
             2.0 * kernel.n * kernel.k * kernel.m);
  }

  // Attention, 2B-4T shapes: a generated token's and a 64-token prompt
  // block's. The caches rotate through copies past the L2 cache, as 30
  // layers' caches would.
  {
    const int heads = 20, kvDim = 5 * 128, headDim = 128;
    struct AttentionKernel {
      const char *schedule;
      int m, context;
      AttentionFn fn;
    };
    const AttentionKernel kernels[] = {
        {"c4096", 1, 4096, bench_gpu_attention_c4096},
        {"c8192 split", 1, 8192, bench_gpu_attention_c8192},
        {"m64 c4096", 64, 4096, bench_gpu_attention_m64_c4096},
        {"m64 c8192 split", 64, 8192, bench_gpu_attention_m64_c8192}};
    for (const AttentionKernel &kernel : kernels) {
      const size_t cacheBytes = size_t(kvDim) * kernel.context * sizeof(float);
      const size_t copies = std::max<size_t>(2, (size_t(rotateMiB) << 20) / (2 * cacheBytes) + 1);
      std::vector<Buffer<float>> keys, values;
      for (size_t c = 0; c < copies; ++c)
        for (auto *pool : {&keys, &values}) {
          Buffer<float> cache(kvDim, kernel.context);
          cache.fill(0.01f);
          cache.set_host_dirty();
          pool->push_back(std::move(cache));
        }
      Buffer<float> q(heads * headDim, kernel.m);
      q.fill(0.5f);
      q.set_host_dirty();
      Buffer<float> y(heads * headDim, kernel.m);
      // The last visible row at 255, 1023 and 4095.
      for (int32_t last : {255, 1023, 4095}) {
        const int32_t position = last - (kernel.m - 1);
        CallTimes t = timeCalls(
            static_cast<int>(copies), calls, kRounds,
            [&](int i) {
              return kernel.fn(q, keys[i % copies], values[i % copies], position, y);
            },
            [&] { y.device_sync(); }, timer);
        char what[64];
        std::snprintf(what, sizeof what, "attention %s p%d", kernel.schedule, position);
        // Bytes: the visible rows of both caches (each read once at best);
        // ops: every token's q . k and weighted values over its rows.
        const double rows = last + 1.0, tokenRows = kernel.m * (last + 1.0) -
                                                    kernel.m * (kernel.m - 1) / 2.0;
        printRow(what, kernel.m, "-", t, 2.0 * rows * kvDim * sizeof(float), bandwidth,
                 4.0 * heads * headDim * tokenRows);
      }
    }
  }

  // The LM heads (656 MB of f16, 328 MB of int8: past any cache unrotated).
  const int headN = 128256, headK = 2560;
  {
    Buffer<uint16_t> weights(headK, headN);
    weights.fill(0x2c00); // 1/16
    weights.set_host_dirty();
    Buffer<float> x(headK, 1);
    x.fill(0.5f);
    x.set_host_dirty();
    Buffer<float> logits(headN, 1);
    CallTimes t = timeCalls(
        1, calls, kRounds, [&](int) { return bench_gpu_head_f16(x, weights, logits); },
        [&] { logits.device_sync(); }, timer);
    printRow("f16 head 128256x2560", 1, "1", t, 2.0 * headN * headK, bandwidth,
             2.0 * headN * headK);
  }
  {
    Buffer<int8_t> weights(headK, headN);
    weights.fill(3);
    weights.set_host_dirty();
    Buffer<int8_t> q(headK, 1);
    q.fill(-5);
    q.set_host_dirty();
    Buffer<float> s(1), scales(headN);
    s.fill(50.0f);
    scales.fill(0.01f);
    s.set_host_dirty();
    scales.set_host_dirty();
    Buffer<float> logits(headN, 1);
    CallTimes t = timeCalls(
        1, calls, kRounds, [&](int) { return bench_gpu_head_int8(q, s, weights, scales, logits); },
        [&] { logits.device_sync(); }, timer);
    printRow("int8 head 128256x2560", 1, "1", t, 1.0 * headN * headK, bandwidth,
             2.0 * headN * headK);
  }
  return 0;
}
