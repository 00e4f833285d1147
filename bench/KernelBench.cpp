//===- KernelBench.cpp - BitLinear kernels vs this machine's bandwidth ----===//
//
// For the BitNet b1.58 2B-4T projection shapes, measures the generated
// BitLinear kernels (decode GEMV, M = 1; prefill GEMM, M = 8, 16 and 128) on 1
// and 2 threads, and this machine's memory read bandwidth in the same run.
// Weights rotate through enough copies to exceed the last-level cache, so a
// GEMV streams its weights from DRAM as it would in a real model. Prints
// weight GB/s, the fraction of the measured bandwidth, and GOPS (2 ops per
// weight per token). Not a test: it never fails on speed.
//
// Run: ninja -C build bitnet-bench-kernels && build/bench/bitnet-bench-kernels
//      [repetitions, default 20] [largest M, default 128; 1 = GEMV only]
//
//===----------------------------------------------------------------------===//

#include "HalideBuffer.h"
#include "HalideRuntime.h"

#include "bitnet/Reference/Packing.h"
#include "bitnet/Reference/Reference.h"
#include "bitnet/Run/ReadBandwidth.h"

#include "bench_kernels.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <vector>

namespace ref = bitnet::ref;
using Halide::Runtime::Buffer;
using Clock = std::chrono::steady_clock;

namespace {

double seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct SumTask {
  const uint8_t *data;
  size_t chunk;
  std::atomic<uint64_t> sink{0};
};

int sumChunk(void *, int task, uint8_t *closure) {
  auto *job = reinterpret_cast<SumTask *>(closure);
  job->sink += bitnet::run::sumBytes(job->data + task * job->chunk, job->chunk);
  return 0;
}

/// Read bandwidth in GB/s over `bytes` split into `threads` tasks of
/// Halide's thread pool, the pool the kernels run on (median of `passes`).
double readBandwidth(const uint8_t *data, size_t bytes, int threads, int passes) {
  std::vector<double> runs;
  SumTask job;
  job.data = data;
  job.chunk = bytes / threads / 64 * 64;
  for (int rep = 0; rep < passes; ++rep) {
    auto t0 = Clock::now();
    halide_do_par_for(nullptr, sumChunk, 0, threads,
                      reinterpret_cast<uint8_t *>(&job));
    runs.push_back(double(job.chunk) * threads / seconds(t0, Clock::now()) / 1e9);
  }
  if (job.sink.load() == 42)
    std::printf(" ");
  return median(runs);
}

using KernelFn = int (*)(halide_buffer_t *, halide_buffer_t *, halide_buffer_t *,
                         float, halide_buffer_t *);

/// Times `call` on the weights of `pool` (rotating through the copies) on
/// `threads` threads and prints a row. Each call is paired with a read of
/// another, equally large copy by the bandwidth loop on as many threads, so
/// that the fraction compares the two at the same moment on this shared,
/// noisy machine.
void measure(const char *what, int64_t M, int threads,
             const std::vector<std::vector<uint8_t>> &pool, double ops, int calls,
             const std::function<void(const uint8_t *)> &call) {
  // Halide 14 only applies a new thread count to a fresh pool.
  halide_shutdown_thread_pool();
  halide_set_num_threads(threads);
  const size_t bytes = pool[0].size(), copies = pool.size();
  std::vector<double> times, fractions, sums;
  for (int i = 0; i < calls + 2; ++i) {
    const std::vector<uint8_t> &other = pool[(i + copies / 2) % copies];
    double sumGBs = readBandwidth(other.data(), other.size(), threads, 1);
    auto t0 = Clock::now();
    call(pool[i % copies].data());
    double t = seconds(t0, Clock::now());
    if (i >= 2) {
      times.push_back(t);
      sums.push_back(sumGBs);
      fractions.push_back(bytes / t / 1e9 / sumGBs);
    }
  }
  double t = median(times);
  std::printf("%-22s %5lld %3d %10.1f %9.2f %9.2f %7.0f%% %9.1f\n", what, (long long)M,
              threads, t * 1e6, bytes / t / 1e9, median(sums), 100.0 * median(fractions),
              ops / t / 1e9);
}

struct Shape {
  const char *what;
  int64_t n, k;
  KernelFn gemv, gemm8, gemm16, gemm128;
};

} // namespace

int main(int argc, char **argv) {
  int reps = argc > 1 ? std::atoi(argv[1]) : 20;
  // Optional second argument: the largest M to run (1: decode GEMV only).
  int64_t maxM = argc > 2 ? std::atoll(argv[2]) : 128;
  if (reps < 1 || maxM < 1) {
    std::fprintf(stderr, "usage: %s [repetitions >= 1] [largest M: 1, 8, 16 or 128]\n",
                 argv[0]);
    return 2;
  }
  const size_t bwBytes = size_t(2) << 30;
  uint8_t *bw = static_cast<uint8_t *>(std::aligned_alloc(64, bwBytes));
  std::memset(bw, 1, bwBytes);
  double bandwidth[3] = {};
  for (int threads : {1, 2}) {
    halide_shutdown_thread_pool();
    halide_set_num_threads(threads);
    bandwidth[threads] = readBandwidth(bw, bwBytes, threads, 5);
  }
  std::free(bw);
  std::printf("memory read bandwidth (2 GiB, AVX2 sum, median of 5): "
              "1 thread %.1f GB/s, 2 threads %.1f GB/s\n",
              bandwidth[1], bandwidth[2]);
  std::printf("layout %s, tile %dx%d; weights rotate through >= 256 MiB\n\n",
              BENCH_FORMAT, BENCH_TILE_N, BENCH_TILE_K);
  std::printf("'bw' reads another copy of the weights just before each call;\n"
              "'of bw' is the median over calls of (weight GB/s / that bw)\n\n");
  std::printf("%-22s %5s %3s %10s %9s %9s %8s %9s\n", "shape (N x K)", "M",
              "thr", "time (us)", "GB/s", "bw GB/s", "of bw", "GOPS");

  const Shape shapes[] = {
      {"q/o 2560x2560", 2560, 2560, bench_2560x2560_m1, bench_2560x2560_m8, bench_2560x2560_m16,
       bench_2560x2560_m128},
      {"k/v 640x2560", 640, 2560, bench_640x2560_m1, bench_640x2560_m8, bench_640x2560_m16,
       bench_640x2560_m128},
      {"gate/up 6912x2560", 6912, 2560, bench_6912x2560_m1, bench_6912x2560_m8, bench_6912x2560_m16,
       bench_6912x2560_m128},
      {"down 2560x6912", 2560, 6912, bench_2560x6912_m1, bench_2560x6912_m8, bench_2560x6912_m16,
       bench_2560x6912_m128},
      {"qkv 3840x2560", 3840, 2560, bench_3840x2560_m1, bench_3840x2560_m8, bench_3840x2560_m16,
       bench_3840x2560_m128},
      {"gate+up 13824x2560", 13824, 2560, bench_13824x2560_m1, bench_13824x2560_m8, bench_13824x2560_m16,
       bench_13824x2560_m128},
  };
  auto calls = [&](int64_t M) { return M == 128 ? std::max(3, reps / 4) : reps; };
  ref::Rng rng(7);
  ref::PackedLayout layout{*ref::parsePackFormat(BENCH_FORMAT), BENCH_TILE_N,
                           BENCH_TILE_K};
  for (const Shape &shape : shapes) {
    std::vector<int8_t> w(shape.n * shape.k);
    for (int8_t &v : w)
      v = static_cast<int8_t>(rng.range(-1, 1));
    std::vector<uint8_t> packed = ref::packWeights(layout, w.data(), shape.n, shape.k);
    size_t copies = std::max<size_t>(2, (size_t(256) << 20) / packed.size() + 1);
    std::vector<std::vector<uint8_t>> pool(copies, packed);
    for (int64_t M : {1, 8, 16, 128}) {
      if (M > maxM)
        continue;
      KernelFn fn = M == 1    ? shape.gemv
                    : M == 8  ? shape.gemm8
                    : M == 16 ? shape.gemm16
                              : shape.gemm128;
      std::vector<int8_t> q(M * shape.k);
      for (int8_t &v : q)
        v = static_cast<int8_t>(rng.range(-127, 127));
      std::vector<float> s(M, 50.0f), y(M * shape.n);
      Buffer<int8_t> qb(q.data(), (int)shape.k, (int)M);
      Buffer<float> sb(s.data(), (int)M);
      Buffer<float> yb(y.data(), (int)shape.n, (int)M);
      for (int threads : {1, 2})
        measure(shape.what, M, threads, pool, 2.0 * shape.n * shape.k * M, calls(M),
                [&](const uint8_t *weights) {
                  Buffer<uint8_t> wb(const_cast<uint8_t *>(weights), (int)packed.size());
                  fn(qb, sb, wb, 0.5f, yb);
                });
    }
  }

  // The int8 LM head: one byte per weight, exact int32 sums.
  const int64_t headN = 128256, headK = 2560;
  std::vector<uint8_t> head(headN * headK);
  for (uint8_t &v : head)
    v = static_cast<uint8_t>(rng.range(-127, 127));
  std::vector<float> rowScales(headN, 0.01f);
  Buffer<float> rowScalesBuf(rowScales.data(), (int)headN);
  std::vector<std::vector<uint8_t>> headPool(2, head);
  for (int64_t M : {1, 128}) {
    if (M > maxM)
      continue;
    auto fn = M == 1 ? bench_head_int8_m1 : bench_head_int8_m128;
    std::vector<int8_t> q(M * headK);
    for (int8_t &v : q)
      v = static_cast<int8_t>(rng.range(-127, 127));
    std::vector<float> s(M, 50.0f), y(M * headN);
    Buffer<int8_t> qb(q.data(), (int)headK, (int)M);
    Buffer<float> sb(s.data(), (int)M);
    Buffer<float> yb(y.data(), (int)headN, (int)M);
    for (int threads : {1, 2})
      measure("int8 head 128256x2560", M, threads, headPool, 2.0 * headN * headK * M,
              calls(M), [&](const uint8_t *weights) {
                Buffer<int8_t> wb(reinterpret_cast<int8_t *>(const_cast<uint8_t *>(weights)),
                                  (int)headK, (int)headN);
                fn(qb, sb, wb, rowScalesBuf, yb);
              });
  }
  return 0;
}
