//===- GPUBench.cpp - GPU kernels vs the device's measured bandwidth ------===//
//
// For the BitNet b1.58 2B-4T shapes, times the generated GPU kernels (CUDA,
// or OpenCL with -DBITNET_BENCH_GPU_TARGET=opencl) on the device: the decode
// GEMV of each projection at 2, 4 and 8 rows per block, the prompt GEMM at
// 64 tokens, the f16 and int8 LM heads; and, in the same run, the device's
// memory bandwidth, measured with the generated element-wise add (y = a + b
// over 256 MiB vectors: 3 x 256 MiB moved per call). The GEMV weights
// rotate through enough copies to exceed the L2 cache (an H200 has 50 MB),
// so each call streams its weights from device memory as in a model. Prints
// time per call, weight GB/s, the fraction of the measured bandwidth and
// GOPS (2 ops per weight per token). Not a test: it never fails on speed.
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
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace ref = bitnet::ref;
using Halide::Runtime::Buffer;
using Clock = std::chrono::steady_clock;

namespace {

using BitLinearFn = int (*)(halide_buffer_t *, halide_buffer_t *, halide_buffer_t *, float,
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

/// Seconds per call of `call(i)`, i counting every call made (so that
/// rotated weights continue through their copies across rounds instead of
/// starting again from copies still in L2): one untimed pass of `warm`
/// calls (first use moves inputs to the device), then `rounds` rounds of
/// `calls` calls each ended by `sync` (launches are asynchronous); the
/// median round. A nonzero status from a kernel stops the benchmark.
double timeCalls(int warm, int calls, int rounds, const std::function<int(int)> &call,
                 const std::function<void()> &sync) {
  int next = 0;
  auto run = [&] {
    if (int status = call(next++)) {
      std::fprintf(stderr, "bitnet-bench-gpu: a kernel failed with status %d\n", status);
      std::exit(1);
    }
  };
  for (int i = 0; i < warm; ++i)
    run();
  sync();
  std::vector<double> perCall;
  for (int r = 0; r < rounds; ++r) {
    auto t0 = Clock::now();
    for (int i = 0; i < calls; ++i)
      run();
    sync();
    perCall.push_back(std::chrono::duration<double>(Clock::now() - t0).count() / calls);
  }
  return median(perCall);
}

void printRow(const char *what, int64_t m, const char *rows, double t, double bytes,
              double bandwidth, double ops) {
  std::printf("%-24s %4lld %5s %10.1f %9.1f %7.0f%% %9.1f\n", what, (long long)m, rows,
              t * 1e6, bytes / t / 1e9, 100.0 * bytes / t / 1e9 / bandwidth, ops / t / 1e9);
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
  const double addSeconds =
      timeCalls(2, calls, kRounds, [&](int) { return bench_gpu_add(a, b, sum); },
                [&] { sum.device_sync(); });
  const double addBytes = 3.0 * vectorLength * sizeof(float);
  const double bandwidth = addBytes / addSeconds / 1e9;
  sum.copy_to_host();
  if (sum(0, 0) != 3.0f || sum(vectorLength - 1, 0) != 3.0f) {
    std::fprintf(stderr, "bitnet-bench-gpu: the add kernel computed %g, not 3\n", sum(0, 0));
    return 1;
  }
  std::printf("device memory bandwidth (y = a + b, 3 x 256 MiB per call, median of %d "
              "rounds of %d calls): %.1f GB/s\n",
              kRounds, calls, bandwidth);
  std::printf("BitLinear weights: offset2, tile 1x16; decode GEMVs rotate through >= %lld "
              "MiB of copies\n\n",
              (long long)rotateMiB);
  std::printf("%-24s %4s %5s %10s %9s %8s %9s\n", "kernel (N x K)", "M", "rows", "time (us)",
              "GB/s", "of bw", "GOPS");

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
    double t = timeCalls(
        static_cast<int>(copies), calls, kRounds,
        [&](int i) { return kernel.fn(q, s, pool[i % copies], 0.5f, y); },
        [&] { y.device_sync(); });
    char rows[16];
    std::snprintf(rows, sizeof rows, "%lld", (long long)kernel.rowsPerBlock);
    std::string what = std::string(kernel.shape) + (kernel.m == 1 ? " gemv" : " gemm");
    printRow(what.c_str(), kernel.m, rows, t, double(packed.size()), bandwidth,
             2.0 * kernel.n * kernel.k * kernel.m);
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
    double t = timeCalls(1, calls, kRounds, [&](int) { return bench_gpu_head_f16(x, weights, logits); },
                         [&] { logits.device_sync(); });
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
    double t = timeCalls(
        1, calls, kRounds, [&](int) { return bench_gpu_head_int8(q, s, weights, scales, logits); },
        [&] { logits.device_sync(); });
    printRow("int8 head 128256x2560", 1, "1", t, 1.0 * headN * headK, bandwidth,
             2.0 * headN * headK);
  }
  return 0;
}
