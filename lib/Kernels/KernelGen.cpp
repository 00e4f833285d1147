//===- KernelGen.cpp - Halide algorithms and schedules per kernel kind ----===//
//
// Every algorithm repeats the golden reference (lib/Reference) operation for
// operation where the result feeds an integer (RMSNorm + quantization), and
// is compiled with strict_float there so that no fused multiply-add changes
// x * s before round-half-even. Schedules are written per target family and
// take their tile sizes from the spec.
//
//===----------------------------------------------------------------------===//

#include "bitnet/Kernels/KernelGen.h"

#include "Halide.h"

#include <functional>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

using namespace Halide;

namespace bitnet {
namespace kernels {
namespace {

enum class Family { X86, ARM, GPU };

Family familyOf(KernelTarget target) {
  switch (target) {
  case KernelTarget::X86AVX2:
  case KernelTarget::X86AVXVNNI:
  case KernelTarget::X86AVX512:
    return Family::X86;
  case KernelTarget::ARM64:
  case KernelTarget::ARM64DotProd:
    return Family::ARM;
  case KernelTarget::CUDA:
  case KernelTarget::OpenCL:
    return Family::GPU;
  }
  return Family::X86;
}

/// Natural vector width in bytes of a CPU target.
int vectorBytesOf(KernelTarget target) {
  switch (target) {
  case KernelTarget::X86AVX512:
    return 64;
  case KernelTarget::X86AVX2:
  case KernelTarget::X86AVXVNNI:
    return 32;
  default:
    return 16;
  }
}

int32_t i32(int64_t v) { return static_cast<int32_t>(v); }

/// IEEE binary16 bits -> f32, exactly, on every target (including OpenCL
/// without cl_khr_fp16). The magnitude bits moved up by 13 are an f32 2^112
/// times too small, subnormals included (they become f32 subnormals), so one
/// multiply by 2^112 rescales zero, subnormals and normals alike; inf and
/// NaN (exponent 31) instead get the f32 exponent 255 with their payload.
/// Eleven vector operations per 8 weights on AVX2 (the old int -> float
/// path for subnormals took about twice as many): the f16 LM head GEMV is
/// bound by this conversion (Halide 14 lowers f16 casts to integer code even
/// where F16C exists).
Expr halfBitsToFloat(Expr h) {
  auto u32 = [](uint32_t v) { return Expr(v); };
  Expr bits = cast<uint32_t>(h);
  Expr shifted = (bits & u32(0x7fff)) << u32(13);
  Expr finite = reinterpret<uint32_t>(reinterpret<float>(shifted) * 0x1p112f);
  Expr magnitude = select((bits & u32(0x7c00)) == u32(0x7c00), shifted | u32(0x7f800000), finite);
  return reinterpret<float>(magnitude | ((bits & u32(0x8000)) << u32(16)));
}

/// Marks the extents of an input so Halide rejects a mis-sized buffer.
void constrain(ImageParam &p, std::initializer_list<int64_t> extents) {
  int d = 0;
  for (int64_t e : extents)
    p.dim(d++).set_bounds(0, i32(e));
}
void constrain(OutputImageParam p, std::initializer_list<int64_t> extents) {
  int d = 0;
  for (int64_t e : extents)
    p.dim(d++).set_bounds(0, i32(e));
}

struct Built {
  std::vector<Func> outputs;
  std::vector<Argument> args;
  bool strictFloat = true;
};

//===--------------------------------------------------------------------===//
// BitLinear: y[n, m] = (f32(sum_k T[n,k] q[m,k]) / s[m]) * gamma
//===--------------------------------------------------------------------===//

Built buildBitLinear(const KernelSpec &spec) {
  const ref::PackedLayout &L = spec.layout;
  const int64_t N = spec.n, K = spec.k, M = spec.m;
  const int64_t perByte = ref::codesPerByte(L.format);
  const int64_t tn = L.tileN, tk = L.tileK;
  const int64_t rowBytes = tk / perByte, tileBytes = tn * rowBytes;
  const int64_t colTiles = (K + tk - 1) / tk;
  const bool base3 = L.format == ref::PackFormat::Base3;
  const bool bits1 = L.format == ref::PackFormat::Bits1;
  // Largest code: offset codes u = w + 1 <= 2, bits b = (w + 1) / 2 <= 1.
  const int64_t maxCode = bits1 ? 1 : 2;

  ImageParam q(Int(8), 2, "q");     // [k, m]
  ImageParam s(Float(32), 1, "s");  // [m] activation scales
  ImageParam w(UInt(8), 1, "w");    // packed weights
  Param<float> gamma("gamma");
  ImageParam gammas(Float(32), 1, "gammas"); // one scale per segment
  const bool segmented = !spec.segments.empty();
  if (segmented)
    constrain(gammas, {static_cast<int64_t>(spec.segments.size())});
  constrain(q, {K, M});
  constrain(s, {M});
  constrain(w, {ref::packedStorageBytes(L, N, K)});

  Var n("n"), m("m"), lane("lane");
  // Activations padded with zeros up to whole tiles.
  Func qz("qz");
  Var kk("kk");
  qz(kk, m) = select(kk < i32(K), q(clamp(kk, 0, i32(K - 1)), m), cast<int8_t>(0));

  Family family = familyOf(spec.target);
  // Byte j of tile row (n % tn) in column tile tc, code slot `slot`: its
  // code and the activation column it multiplies (Packing.h's layout).
  // Rows past the last stored tile row are computed by guarded tail tasks
  // but never stored; clamping keeps their reads inside the buffer.
  const int64_t storedRows = (N + tn - 1) / tn * tn;
  auto decode = [&](Expr j, Expr slot, Expr tc) {
    Expr row = min(n, i32(storedRows - 1));
    Expr byteIndex = ((row / i32(tn)) * i32(colTiles) + tc) * i32(tileBytes) +
                     (row % i32(tn)) * i32(rowBytes) + j;
    Expr byte = w(byteIndex);
    Expr code, col;
    if (base3) {
      // trit i = ((uint8_t)(byte * 3^i) * 3) >> 8 (TQ1_0's encoding).
      Expr pow3 =
          select(slot == 0, 1, slot == 1, 3, slot == 2, 9, slot == 3, 27, 81);
      Expr shifted = cast<uint8_t>(cast<uint16_t>(byte) * cast<uint16_t>(pow3));
      code = cast<uint8_t>((cast<uint16_t>(shifted) * 3) >> 8);
      col = tc * i32(tk) + j * 5 + slot;
    } else if (bits1) {
      code = (byte >> cast<uint8_t>(slot)) & cast<uint8_t>(1);
      col = tc * i32(tk) + slot * i32(rowBytes) + j;
    } else {
      code = (byte >> cast<uint8_t>(slot * 2)) & cast<uint8_t>(3);
      col = tc * i32(tk) + slot * i32(rowBytes) + j;
    }
    return std::make_pair(code, col);
  };

  // Each i32 lane of `partial` sums 4 adjacent bytes' u8 x i8 products; a
  // vector step covers `lanes * 4` bytes of a tile row and must divide it.
  // ARM dotprod and AVX512-VNNI map the 4-way sum to sdot / vpdpbusd.
  const bool maddubs = (spec.target == KernelTarget::X86AVX2 ||
                        spec.target == KernelTarget::X86AVXVNNI) &&
                       rowBytes % 4 == 0;
  // Without a 4-way product when a row is not a multiple of 4 bytes: one
  // byte per lane.
  const int64_t group = rowBytes % 4 == 0 ? 4 : 1;
  int64_t lanes = family == Family::GPU ? 1 : vectorBytesOf(spec.target) / 4;
  while (lanes > 1 && rowBytes % (lanes * group) != 0)
    lanes /= 2;
  const int64_t stepBytes = lanes * group;
  const int64_t steps = rowBytes / stepBytes;

  // Offset codes u = T + 1: sum T*q = sum u*q - sum q.
  Func partial("partial");
  partial(lane, n, m) = 0;
  Func pairs("pairs"); // AVX2 only: i16 pair sums over a block of tiles
  Var h("h"), tb("tb");
  RDom rp;
  RDom r;
  if (maddubs) {
    // AVX2 has no 4-way instruction. The products go through vpmaddubsw
    // (u8 x i8 pairs -> i16) and are summed in i16 over every slot, step and
    // column tile of a block, then widened to i32 once per block. Halide
    // selects vpmaddubsw only for a saturating pairwise sum, whose
    // associativity it cannot prove, hence atomic(true). The i16 sums never
    // saturate, so they are exact: a pair is at most 2 * maxCode * 128 (512
    // for 2-bit codes, 256 for bits), and a block holds at most
    // 32767 / that many pairs per lane (63, or 127).
    const int64_t pairsPerTile = perByte * steps;
    const int64_t maxPairs = 32767 / (2 * maxCode * 128);
    int64_t block = 1;
    for (int64_t b = 1; b <= colTiles && pairsPerTile * b <= maxPairs; ++b)
      if (colTiles % b == 0)
        block = b;
    // (byte in a pair, code slot, vector step, column tile in the block)
    rp = RDom(0, 2, 0, i32(perByte), 0, i32(steps), 0, i32(block), "rp");
    auto [code, col] = decode(rp.z * i32(stepBytes) + h * 2 + rp.x, rp.y,
                              tb * i32(block) + rp[3]);
    pairs(h, n, m, tb) = cast<int16_t>(0);
    pairs(h, n, m, tb) =
        saturating_add(pairs(h, n, m, tb),
                       cast<int16_t>(code) * cast<int16_t>(qz(col, m)));
    // (i16 pair in an i32 lane, block)
    r = RDom(0, 2, 0, i32(colTiles / block), "r");
    partial(lane, n, m) += cast<int32_t>(pairs(lane * 2 + r.x, n, m, r.y));
  } else {
    // (byte in a lane's group, vector step in the row, slot, column tile)
    r = RDom(0, i32(group), 0, i32(steps), 0, i32(perByte), 0, i32(colTiles), "r");
    auto [code, col] = decode(r.y * i32(stepBytes) + lane * i32(group) + r.x,
                              r.z, r[3]);
    // ARM's sdot multiplies signed bytes; codes 0..2 fit either way.
    if (family == Family::ARM)
      code = cast<int8_t>(code);
    partial(lane, n, m) += cast<int32_t>(code) * cast<int32_t>(qz(col, m));
  }
  RDom rl(0, i32(lanes), "rl");
  Func dot("dot");
  dot(n, m) = 0;
  dot(n, m) += partial(rl, n, m);
  RDom rk(0, i32(K), "rk");
  Func qsum("qsum");
  qsum(m) = 0;
  qsum(m) += cast<int32_t>(q(rk, m));
  Expr scale = gamma;
  if (segmented) {
    // Segment of row n: the number of segment ends at or below it.
    Expr index = 0;
    int64_t end = 0;
    for (size_t i = 0; i + 1 < spec.segments.size(); ++i) {
      end += spec.segments[i];
      index = index + select(n >= i32(end), 1, 0);
    }
    scale = gammas(index);
  }
  // Offset codes: sum w q = sum u q - sum q; bits: sum w q = 2 sum b q - sum q.
  // x86-64-avxvnni: a single token's offset2 tiles of 128 columns get their
  // dot products from the run-time support's AVX-VNNI micro-kernel (256-bit
  // vpdpbusd, which Halide 14 cannot emit), an extern stage over each task's
  // rows. Measured on a Zen 5 core (bitnet-bench-kernels): 25-29 GB/s
  // against 22-24 for the AVX2 schedule at M = 1, but 246-325 GOPS against
  // 286-297 at M = 16, and a 2B model's 128-token prompt 32% slower; so
  // GEMMs and other layouts keep the AVX2 schedule below.
  const bool vnniExtern = spec.target == KernelTarget::X86AVXVNNI && M == 1 &&
                          L.format == ref::PackFormat::Offset2 && tk == 128;
  Func vnniDot("vnni_dot");
  if (vnniExtern)
    vnniDot.define_extern("bitnet_ternary_dot_avxvnni",
                          {q, w, Expr(i32(N)), Expr(i32(K)), Expr(i32(tn))}, Int(32), {n, m});
  Func &dots = vnniExtern ? vnniDot : dot;
  Expr sum = bits1 ? 2 * dots(n, m) - qsum(m) : dots(n, m) - qsum(m);
  Func y("y");
  y(n, m) = (cast<float>(sum) / s(m)) * scale;
  constrain(y.output_buffer(), {N, M});

  if (vnniExtern) {
    Var no("no"), ni("ni");
    const int64_t rows = spec.effectiveRowsPerTask();
    qsum.compute_root();
    y.split(n, no, ni, i32(rows), TailStrategy::GuardWithIf).reorder(ni, m, no).parallel(no);
    vnniDot.compute_at(y, no);
  } else if (family == Family::GPU) {
    Var nb("nb"), ni("ni");
    qsum.compute_root().gpu_single_thread();
    qsum.update().gpu_single_thread();
    y.gpu_tile(n, nb, ni, 64, TailStrategy::GuardWithIf);
    dot.compute_at(y, ni);
    partial.compute_at(y, ni);
  } else {
    // Row tiling: the tn rows of a tile are reduced together so that each
    // activation vector is loaded once and used tn times.
    const int64_t rows = spec.effectiveRowsPerTask();
    Var no("no"), nt("nt"), nr("nr"), ni("ni");
    qsum.compute_root();
    y.split(n, no, ni, i32(rows), TailStrategy::GuardWithIf)
        .split(ni, nt, nr, i32(tn), TailStrategy::GuardWithIf)
        .reorder(nr, m, nt, no)
        .parallel(no);
    dot.compute_at(y, nt);
    // Each output's lanes are summed by one horizontal vector sum (left to
    // itself, Halide gathered the lanes of several outputs instead).
    if (lanes > 1)
      dot.update().atomic().vectorize(rl);
    // AVX2 GEMM whose activations overflow L1: all rows of a task are
    // reduced per block of tokens, so that the block's activations stay in
    // L1 across the rows. Otherwise one row (tile) at a time for all tokens.
    if (maddubs && M * K > 32 * 1024)
      partial.compute_at(y, no).vectorize(lane);
    else
      partial.compute_at(y, nt).vectorize(lane);
    Stage update = partial.update();
    if (maddubs || group > 1)
      update.atomic().vectorize(r.x);
    update.vectorize(lane);
    if (maddubs) {
      // Tokens in blocks of up to 4 share each decoded code vector (GEMM):
      // the unrolled copies of the decode are one after CSE.
      const int64_t tokens = M % 4 == 0 ? 4 : (M % 2 == 0 ? 2 : 1);
      Var mo("mo"), mi("mi");
      update.split(m, mo, mi, i32(tokens)).reorder(r.x, lane, mi, n, r.y, mo);
      pairs.compute_at(partial, n).vectorize(h);
      pairs.update()
          .atomic(true)
          .vectorize(rp.x)
          .vectorize(h)
          .reorder(rp.x, h, m, rp.y, rp.z, rp[3])
          .unroll(m)
          .unroll(rp.y)
          .prefetch(w, rp[3], rp[3], 64, PrefetchBoundStrategy::NonFaulting);
    } else if (M > 1) {
      // GEMM: a block of tokens shares each decoded code vector, so a
      // weight is decoded once per block instead of once per token (the
      // decode costs more than the 4-way dot product that uses it); the
      // unrolled copies of the decode are one after CSE. Rows x tokens
      // accumulators stay in registers (16 of AVX-512's 32).
      const int64_t tokens = M % 4 == 0 ? 4 : (M % 2 == 0 ? 2 : 1);
      Var mo("mo"), mi("mi");
      update.split(m, mo, mi, i32(tokens))
          .reorder(r.x, lane, n, mi, r.y, r.z, r[3], mo)
          .unroll(mi)
          .prefetch(w, r[3], r[3], i32(colTiles), PrefetchBoundStrategy::NonFaulting);
    } else {
      update.reorder(r.x, lane, n, r.y, r.z, r[3], m);
    }
    // Unrolled rows share each activation vector in registers; the AVX2
    // blocks already hold a row's activations in L1, and unrolling them
    // only spills.
    if (tn <= 8 && !maddubs)
      update.unroll(n);
  }
  Built b;
  b.outputs = {y};
  if (segmented)
    b.args = {q, s, w, gammas};
  else
    b.args = {q, s, w, gamma};
  b.strictFloat = true;
  return b;
}

//===--------------------------------------------------------------------===//
// RMSNorm + per-token int8 quantization (+ per-token sum of q)
//===--------------------------------------------------------------------===//

Built buildRMSNormQuant(const KernelSpec &spec) {
  const int64_t D = spec.n, M = spec.m;
  ImageParam x(Float(32), 2, "x");  // [d, m]
  ImageParam wn(Float(32), 1, "norm_weight");
  constrain(x, {D, M});
  constrain(wn, {D});
  Var d("d"), m("m");
  RDom rd(0, i32(D), "rd");
  Func ss("ss");
  ss(m) = 0.0f;
  ss(m) = ss(m) + x(rd, m) * x(rd, m);
  Func inv("inv");
  inv(m) = 1.0f / sqrt(ss(m) / static_cast<float>(D) + spec.eps);
  Func a("a");
  a(d, m) = (x(d, m) * inv(m)) * wn(d);
  Func amax("amax");
  amax(m) = 0.0f;
  amax(m) = max(amax(m), abs(a(rd, m)));
  Func scale("scale");
  scale(m) = 127.0f / max(amax(m), 1e-5f);
  Func qv("q");
  qv(d, m) = cast<int8_t>(clamp(round(a(d, m) * scale(m)), -128.0f, 127.0f));
  Func qsum("qsum");
  qsum(m) = 0;
  qsum(m) += cast<int32_t>(qv(rd, m));
  constrain(qv.output_buffer(), {D, M});
  constrain(scale.output_buffer(), {M});
  constrain(qsum.output_buffer(), {M});

  if (familyOf(spec.target) == Family::GPU) {
    Var db("db"), di("di");
    for (Func f : {ss, amax, qsum}) {
      f.compute_root().gpu_blocks(m);
      f.update().gpu_blocks(m);
    }
    inv.compute_root().gpu_blocks(m);
    a.compute_root().gpu_tile(d, db, di, 64, TailStrategy::GuardWithIf);
    scale.compute_root().gpu_blocks(m);
    qv.compute_root().gpu_tile(d, db, di, 64, TailStrategy::GuardWithIf);
  } else {
    int vec = vectorBytesOf(spec.target) / 4;
    // The sum of squares stays sequential over d (the reference's order: it
    // feeds the integer codes), in parallel over tokens. The maximum and the
    // integer sum are exact in any order: one vector reduction each, on the
    // calling thread (a prompt chunk's parallel loops are small, and each
    // costs a hand-off between threads).
    ss.compute_root();
    ss.update().parallel(m);
    amax.compute_root();
    amax.update().atomic().vectorize(rd, vec);
    qsum.compute_root();
    qsum.update().atomic().vectorize(rd, vec);
    a.compute_root().vectorize(d, vec, TailStrategy::GuardWithIf).parallel(m);
    scale.compute_root();
    qv.vectorize(d, vec, TailStrategy::GuardWithIf).parallel(m);
  }
  Built b;
  b.outputs = {qv, scale, qsum};
  b.args = {x, wn};
  return b;
}

//===--------------------------------------------------------------------===//
// RoPE (rotate-half)
//===--------------------------------------------------------------------===//

Built buildRoPE(const KernelSpec &spec) {
  const int64_t hd = spec.headDim, half = hd / 2, D = spec.heads * hd,
                M = spec.m;
  ImageParam x(Float(32), 2, "x"); // [d, m]
  Param<int32_t> position("position");
  constrain(x, {D, M});
  // Inverse frequencies computed here exactly as the reference does.
  Buffer<float> invFreq(static_cast<int>(half), "inv_freq");
  for (int64_t i = 0; i < half; ++i)
    invFreq(static_cast<int>(i)) =
        std::pow(spec.theta, -static_cast<float>(2 * i) / static_cast<float>(hd));
  Var d("d"), m("m");
  Expr i = d % i32(hd);
  Expr first = i < i32(half);
  // Clamps only help bounds inference see the index ranges; they never bind.
  Expr pair = clamp(select(first, i, i - i32(half)), 0, i32(half - 1));
  Expr partner =
      x(clamp(select(first, d + i32(half), d - i32(half)), 0, i32(D - 1)), m);
  Expr angle = cast<float>(position + m) * invFreq(pair);
  Expr c = cos(angle), sn = sin(angle);
  Func y("y");
  y(d, m) = select(first, x(d, m) * c - partner * sn, x(d, m) * c + partner * sn);
  constrain(y.output_buffer(), {D, M});
  if (familyOf(spec.target) == Family::GPU) {
    Var db("db"), di("di");
    y.gpu_tile(d, db, di, 64, TailStrategy::GuardWithIf);
  } else {
    y.vectorize(d, vectorBytesOf(spec.target) / 4, TailStrategy::GuardWithIf)
        .parallel(m);
  }
  Built b;
  b.outputs = {y};
  b.args = {x, position};
  return b;
}

//===--------------------------------------------------------------------===//
// Attention over one layer's cache: rows 0 .. position + m are valid.
//===--------------------------------------------------------------------===//

Built buildAttention(const KernelSpec &spec) {
  const int64_t H = spec.heads, KV = spec.kvHeads, hd = spec.headDim,
                C = spec.context, M = spec.m, group = H / KV;
  ImageParam q(Float(32), 2, "q");            // [H*hd, m]
  ImageParam kc(Float(32), 2, "k_cache");     // [KV*hd, context]
  ImageParam vc(Float(32), 2, "v_cache");
  Param<int32_t> position("position");
  constrain(q, {H * hd, M});
  constrain(kc, {KV * hd, C});
  constrain(vc, {KV * hd, C});
  Var t("t"), h("h"), m("m"), d("d");
  Expr kvh = h / i32(group);
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  // On CPUs whose vector holds a whole number of steps of the head
  // dimension, q . k runs along the contiguous head dimension: `lanes`
  // partial sums, then one horizontal sum. (Vectorizing across cache rows
  // instead turns every load of k into a gather: ~100 cycles per row.)
  const bool gpu = familyOf(spec.target) == Family::GPU;
  const int lanes = gpu ? 1 : vectorBytesOf(spec.target) / 4;
  const bool laneDot = !gpu && hd % lanes == 0 && hd > lanes;
  Func dotp("dot"), lane("lane");
  Var l("l");
  RDom rl(0, lanes, "rl"), rk;
  if (laneDot) {
    rk = RDom(0, i32(hd / lanes), "rk");
    Expr d0 = rk * lanes + l;
    lane(l, t, h, m) = 0.0f;
    lane(l, t, h, m) = lane(l, t, h, m) + q(h * i32(hd) + d0, m) * kc(kvh * i32(hd) + d0, t);
    dotp(t, h, m) = 0.0f;
    dotp(t, h, m) = dotp(t, h, m) + lane(rl, t, h, m);
  } else {
    RDom rd(0, i32(hd), "rd");
    dotp(t, h, m) = 0.0f;
    dotp(t, h, m) = dotp(t, h, m) + q(h * i32(hd) + rd, m) * kc(kvh * i32(hd) + rd, t);
  }
  Func score("score");
  score(t, h, m) = dotp(t, h, m) * scale;
  // Rows visible to token m: 0 .. last(m), clamped to the cache.
  Expr last = min(position + m, i32(C - 1));
  RDom rt(0, i32(C), "rt");
  rt.where(rt <= last);
  Func mx("mx");
  mx(h, m) = cast<float>(-INFINITY);
  mx(h, m) = max(mx(h, m), score(rt, h, m));
  Func e("e");
  e(t, h, m) = exp(score(t, h, m) - mx(h, m));
  Func sum("sum");
  sum(h, m) = 0.0f;
  sum(h, m) = sum(h, m) + e(rt, h, m);
  Func acc("acc");
  acc(d, h, m) = 0.0f;
  acc(d, h, m) = acc(d, h, m) + (e(rt, h, m) / sum(h, m)) * vc(kvh * i32(hd) + d, rt);
  Func y("y");
  Var dd("dd");
  y(dd, m) = acc(dd % i32(hd), dd / i32(hd), m);
  constrain(y.output_buffer(), {H * hd, M});

  if (gpu) {
    // One block per (head, token); serial reductions per thread.
    Var db("db"), di("di");
    dotp.compute_root().gpu_tile(t, db, di, 64, TailStrategy::GuardWithIf);
    dotp.update().gpu_tile(t, db, di, 64, TailStrategy::GuardWithIf);
    e.compute_root().gpu_tile(t, db, di, 64, TailStrategy::GuardWithIf);
    for (Func f : {mx, sum}) {
      f.compute_root().gpu_blocks(h, m);
      f.update().gpu_blocks(h, m);
    }
    acc.compute_root().gpu_tile(d, db, di, 32, TailStrategy::GuardWithIf);
    acc.update().gpu_tile(d, db, di, 32, TailStrategy::GuardWithIf);
    y.gpu_tile(dd, db, di, 64, TailStrategy::GuardWithIf);
  } else {
    // One task per (head, token): a generated token (m = 1) still spreads
    // its heads over the threads.
    int vec = vectorBytesOf(spec.target) / 4;
    Var hh("hh"), di("di"), task("task");
    y.split(dd, hh, di, i32(hd), TailStrategy::RoundUp).fuse(hh, m, task).parallel(task);
    for (Func f : {dotp, score, mx, e, sum, acc})
      f.compute_at(y, task);
    if (laneDot) {
      // Four cache rows at a time: four independent chains of FMAs over the
      // head dimension, each q vector loaded once for the four.
      Var to("to"), ti("ti");
      dotp.update().split(t, to, ti, 4, TailStrategy::GuardWithIf).unroll(ti);
      lane.compute_at(dotp, to).vectorize(l);
      lane.update().reorder(l, t, rk).vectorize(l).unroll(t, 4, TailStrategy::GuardWithIf);
      dotp.update().atomic().vectorize(rl);
    } else {
      dotp.update().vectorize(t, vec, TailStrategy::GuardWithIf);
    }
    e.vectorize(t, vec, TailStrategy::GuardWithIf);
    // Each cache row updates the whole head's accumulators: hd / vec
    // independent vector chains instead of one chain per vector.
    Var dv("dv"), dl("dl");
    if (hd % vec == 0)
      acc.update().split(d, dv, dl, vec).vectorize(dl).unroll(dv).reorder(dl, dv, rt);
    else
      acc.update().vectorize(d, vec, TailStrategy::GuardWithIf);
  }
  Built b;
  b.outputs = {y};
  b.args = {q, kc, vc, position};
  return b;
}

//===--------------------------------------------------------------------===//
// Element-wise kernels, embedding, float matmul
//===--------------------------------------------------------------------===//

void scheduleElementwise(Func y, Var d, Var m, KernelTarget target) {
  if (familyOf(target) == Family::GPU) {
    Var db("db"), di("di");
    y.gpu_tile(d, db, di, 64, TailStrategy::GuardWithIf);
  } else {
    y.vectorize(d, vectorBytesOf(target) / 4, TailStrategy::GuardWithIf)
        .parallel(m);
  }
}

Built buildGLU(const KernelSpec &spec) {
  ImageParam gate(Float(32), 2, "gate"), up(Float(32), 2, "up");
  constrain(gate, {spec.n, spec.m});
  constrain(up, {spec.n, spec.m});
  Var d("d"), m("m");
  Expr g = gate(d, m), act;
  if (spec.activation == ref::GluActivation::Silu) {
    act = g / (1.0f + exp(-g));
  } else {
    Expr r = select(g > 0.0f, g, 0.0f);
    act = r * r;
  }
  Func y("y");
  y(d, m) = act * up(d, m);
  constrain(y.output_buffer(), {spec.n, spec.m});
  scheduleElementwise(y, d, m, spec.target);
  Built b;
  b.outputs = {y};
  b.args = {gate, up};
  return b;
}

Built buildAdd(const KernelSpec &spec) {
  ImageParam a(Float(32), 2, "a"), c(Float(32), 2, "b");
  constrain(a, {spec.n, spec.m});
  constrain(c, {spec.n, spec.m});
  Var d("d"), m("m");
  Func y("y");
  y(d, m) = a(d, m) + c(d, m);
  constrain(y.output_buffer(), {spec.n, spec.m});
  scheduleElementwise(y, d, m, spec.target);
  Built b;
  b.outputs = {y};
  b.args = {a, c};
  return b;
}

Built buildEmbedding(const KernelSpec &spec) {
  ImageParam table(UInt(16), 2, "table"); // f16 bits [n, vocab]
  ImageParam tokens(Int(32), 1, "tokens");
  constrain(table, {spec.n, spec.vocab});
  constrain(tokens, {spec.m});
  Var d("d"), m("m");
  // Out-of-range ids read a clamped row; callers validate ids first.
  Expr id = clamp(tokens(m), 0, i32(spec.vocab - 1));
  Func y("y");
  y(d, m) = halfBitsToFloat(table(d, id));
  constrain(y.output_buffer(), {spec.n, spec.m});
  scheduleElementwise(y, d, m, spec.target);
  Built b;
  b.outputs = {y};
  b.args = {table, tokens};
  return b;
}

/// A matmul over weight rows: y(n, m) = output(dot(n, m)) with
/// dot(n, m) = sum_k product(k, row, m), where `row` is n clamped to the
/// last row (guarded tail tiles compute rows past N that are never stored;
/// the clamp keeps their reads inside the buffer). Products of one type
/// (`zero`'s); `group` adjacent products share a lane's sum (2: the int8
/// pairs of vpmaddwd). On CPUs: lane-wise partial sums over whole vector
/// steps of k, a horizontal sum, then the rest of k (a different
/// association than the reference's sequential sum: float kernels need a
/// tolerance, integer ones stay exact); tasks of 64 rows; tiles of
/// `tileRows` rows (4 unless a kernel says otherwise) share each activation
/// vector; the tile's rows and a pair of tokens (M even) are unrolled
/// inside the k loop, so that their accumulators (8 for 4 rows) stay in
/// registers and each weight vector, converted once, serves both tokens.
/// Weights whose conversion is costly (f16, emulated on x86) are instead
/// converted once per k step for all tokens: the token loop goes inside k.
struct RowMatmul {
  int64_t N = 0, K = 0, M = 0;
  Expr zero;
  int group = 1;
  int tileRows = 4;
  bool costlyConversion = false;
  std::function<Expr(Expr k, Expr row, Var m)> product;
  std::function<Expr(Expr dot, Var n, Var m)> output;
};

Func buildRowMatmul(const RowMatmul &spec, KernelTarget target) {
  Var n("n"), m("m"), lane("lane");
  Expr row = min(n, i32(spec.N - 1));
  auto product = [&](Expr k) { return spec.product(k, row, m); };
  Func dot("dot"), y("y");
  dot(n, m) = spec.zero;
  if (familyOf(target) == Family::GPU) {
    RDom rk(0, i32(spec.K), "rk");
    dot(n, m) += product(rk);
    y(n, m) = spec.output(dot(n, m), n, m);
    Var nb("nb"), ni("ni");
    y.gpu_tile(n, nb, ni, 64, TailStrategy::GuardWithIf);
    dot.compute_at(y, ni);
    return y;
  }
  const int64_t lanes = vectorBytesOf(target) / 4;
  const int64_t step = lanes * spec.group, steps = spec.K / step;
  const int64_t tail = spec.K - steps * step;
  Func partial("partial");
  // (product in a lane's group, vector step of k)
  RDom r(0, spec.group, 0, i32(std::max<int64_t>(steps, 1)), "r");
  if (steps > 0) {
    partial(lane, n, m) = spec.zero;
    partial(lane, n, m) += product(r.y * i32(step) + lane * spec.group + r.x);
    RDom rl(0, i32(lanes), "rl");
    dot(n, m) += partial(rl, n, m);
  }
  if (tail > 0) {
    RDom rt(i32(steps * step), i32(tail), "rt");
    dot(n, m) += product(rt);
  }
  y(n, m) = spec.output(dot(n, m), n, m);
  Var no("no"), ni("ni"), nt("nt"), nr("nr");
  y.split(n, no, ni, 64, TailStrategy::GuardWithIf)
      .split(ni, nt, nr, spec.tileRows, TailStrategy::GuardWithIf)
      .reorder(nr, m, nt, no)
      .parallel(no);
  dot.compute_at(y, nt);
  if (steps == 0)
    return y;
  partial.compute_at(y, nt).vectorize(lane);
  Stage update = partial.update();
  if (spec.group > 1)
    update.atomic().vectorize(r.x);
  update.vectorize(lane);
  if (spec.costlyConversion) {
    update.reorder(r.x, lane, n, m, r.y).unroll(n);
    return y;
  }
  Var mo("mo"), mi("mi");
  update.split(m, mo, mi, spec.M % 2 == 0 ? 2 : 1)
      .reorder(r.x, lane, n, mi, r.y, mo)
      .unroll(n)
      .unroll(mi);
  return y;
}

Built buildFloatMatmul(const KernelSpec &spec) {
  using FloatWeights = KernelSpec::FloatWeights;
  const int64_t N = spec.n, K = spec.k, M = spec.m;
  const FloatWeights kind = spec.floatWeights;
  ImageParam x(Float(32), 2, "x"); // [k, m]
  // f16 or bf16 bits, or f32 values, [k, n]
  ImageParam w(kind == FloatWeights::F32 ? Float(32) : UInt(16), 2, "weights");
  constrain(x, {K, M});
  constrain(w, {K, N});
  Func y("y");
  if (kind == FloatWeights::F16 && familyOf(spec.target) != Family::GPU) {
    // Halide 14 emulates f16 -> f32 with integer operations on x86 and ARM;
    // each task's rows come from the run-time support's micro-kernel instead
    // (F16C: lib/Runtime/F16Matmul.c, 16-lane on AVX-512 targets; NEON
    // fcvtl: lib/Runtime/F16MatmulNeon.c), as an extern stage.
    Var n("n"), m("m"), no("no"), ni("ni");
    Func rows("f16_rows");
    const char *microKernel = familyOf(spec.target) == Family::ARM ? "bitnet_f16_matmul_neon"
                              : spec.target == KernelTarget::X86AVX512
                                  ? "bitnet_f16_matmul_avx512"
                                  : "bitnet_f16_matmul";
    rows.define_extern(microKernel, {x, w, Expr(i32(K))}, Float(32), {n, m});
    y(n, m) = rows(n, m);
    y.split(n, no, ni, 64, TailStrategy::GuardWithIf).parallel(no);
    rows.compute_at(y, no);
  } else {
    RowMatmul matmul;
    matmul.N = N;
    matmul.K = K;
    matmul.M = M;
    matmul.zero = 0.0f;
    matmul.costlyConversion = kind == FloatWeights::F16;
    matmul.product = [&](Expr k, Expr row, Var m) {
      Expr bits = w(k, row);
      Expr weight = kind == FloatWeights::F32    ? bits
                    : kind == FloatWeights::BF16 // bf16 is the top half of an f32
                        ? reinterpret<float>(cast<uint32_t>(bits) << 16)
                        : halfBitsToFloat(bits);
      return x(k, m) * weight;
    };
    matmul.output = [](Expr dot, Var, Var) { return dot; };
    y = buildRowMatmul(matmul, spec.target);
  }
  constrain(y.output_buffer(), {N, M});
  Built b;
  b.outputs = {y};
  b.args = {x, w};
  b.strictFloat = false;
  return b;
}

//===--------------------------------------------------------------------===//
// Int8 matmul (the int8 LM head):
// y[n, m] = (f32(sum_k W[n,k] q[m,k]) / s[m]) * scales[n]
//===--------------------------------------------------------------------===//

Built buildInt8Matmul(const KernelSpec &spec) {
  const int64_t N = spec.n, K = spec.k, M = spec.m;
  ImageParam q(Int(8), 2, "q");              // [k, m]
  ImageParam s(Float(32), 1, "s");           // [m] activation scales
  ImageParam w(Int(8), 2, "weights");        // [k, n]
  ImageParam scales(Float(32), 1, "scales"); // [n] row scales
  constrain(q, {K, M});
  constrain(s, {M});
  constrain(w, {K, N});
  constrain(scales, {N});
  // Each i32 lane sums adjacent pairs of i16 products (x86 vpmaddwd). Exact
  // in i32: |product| <= 2^14 and K < 2^17.
  RowMatmul matmul;
  matmul.N = N;
  matmul.K = K;
  matmul.M = M;
  matmul.zero = 0;
  matmul.group = 2;
  // One token: a row at a time, so that a task reads its rows as one
  // sequential stream (interleaving 4 rows of 2560 bytes left the GEMV at
  // ~70% of the read bandwidth on 1 thread, one row reaches ~82%:
  // build/bench/bitnet-bench-kernels). Integer adds keep up with one
  // accumulator; float matmuls keep 4 rows for their FMA chains.
  if (M == 1)
    matmul.tileRows = 1;
  matmul.product = [&](Expr k, Expr row, Var m) {
    return cast<int32_t>(cast<int16_t>(w(k, row))) *
           cast<int32_t>(cast<int16_t>(q(k, m)));
  };
  matmul.output = [&](Expr dot, Var n, Var m) {
    return (cast<float>(dot) / s(m)) * scales(n);
  };
  Func y = buildRowMatmul(matmul, spec.target);
  constrain(y.output_buffer(), {N, M});
  Built b;
  b.outputs = {y};
  b.args = {q, s, w, scales};
  b.strictFloat = true;
  return b;
}

Built build(const KernelSpec &spec) {
  switch (spec.kind) {
  case KernelKind::BitLinear:
    return buildBitLinear(spec);
  case KernelKind::RMSNormQuant:
    return buildRMSNormQuant(spec);
  case KernelKind::RoPE:
    return buildRoPE(spec);
  case KernelKind::Attention:
    return buildAttention(spec);
  case KernelKind::GLU:
    return buildGLU(spec);
  case KernelKind::Add:
    return buildAdd(spec);
  case KernelKind::Embedding:
    return buildEmbedding(spec);
  case KernelKind::FloatMatmul:
    return buildFloatMatmul(spec);
  case KernelKind::Int8Matmul:
    return buildInt8Matmul(spec);
  }
  return {};
}

/// Halide names the header's include guard after its full path (here a
/// temporary directory); replace it with one derived from the kernel name so
/// that the same spec gives the same bytes wherever it is generated.
std::string makeHeaderDeterministic(const std::string &path,
                                    const std::string &name) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return "cannot read back " + path;
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  in.close();
  const std::string prefix = "#ifndef ";
  if (text.compare(0, prefix.size(), prefix) != 0)
    return "unexpected header layout in " + path;
  size_t end = text.find('\n');
  std::string guard = text.substr(prefix.size(), end - prefix.size());
  std::string replacement = "BITNET_KERNEL_" + name + "_H";
  for (size_t at = text.find(guard); at != std::string::npos;
       at = text.find(guard, at + replacement.size()))
    text.replace(at, guard.size(), replacement);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  return out ? "" : "cannot rewrite " + path;
}

} // namespace

std::string generateKernel(const KernelSpec &spec, const std::string &objectPath,
                           const std::string &headerPath) {
  std::string why = spec.validate();
  if (!why.empty())
    return why;
  try {
    std::map<OutputFileType, std::string> outputs = {
        {OutputFileType::object, objectPath},
        {OutputFileType::c_header, headerPath}};
    auto makeTarget = [&](KernelTarget kt, bool strict) {
      Target target(
          halideTargetString(kt, /*withRuntime=*/false, usesDotProducts(spec.kind)));
      return strict ? target.with_feature(Target::StrictFloat) : target;
    };
    if (spec.target == KernelTarget::ARM64DotProd) {
      // One static library (variants + a dispatcher) that picks the
      // dot-product variant at run time when the CPU has it
      // (halide_can_use_target_features), else plain NEON.
      outputs = {{OutputFileType::static_library, objectPath},
                 {OutputFileType::c_header, headerPath}};
      bool strict = build(spec).strictFloat;
      std::vector<Target> targets = {makeTarget(KernelTarget::ARM64DotProd, strict),
                                     makeTarget(KernelTarget::ARM64, strict)};
      compile_multitarget(
          spec.name, outputs, targets, {"dotprod", "neon"},
          [&](const std::string &fnName, const Target &target) {
            Built built = build(spec);
            return Pipeline(built.outputs).compile_to_module(built.args, fnName,
                                                             target);
          });
    } else {
      Built built = build(spec);
      Pipeline(built.outputs)
          .compile_to(outputs, built.args, spec.name,
                      makeTarget(spec.target, built.strictFloat));
    }
    return makeHeaderDeterministic(headerPath, spec.name);
  } catch (const Halide::CompileError &e) {
    return std::string("Halide compile error: ") + e.what();
  } catch (const Halide::InternalError &e) {
    return std::string("Halide internal error: ") + e.what();
  } catch (const Halide::Error &e) {
    return std::string("Halide error: ") + e.what();
  }
  return "";
}

std::string generateRuntime(KernelTarget target, const std::string &objectPath) {
  try {
    compile_standalone_runtime(objectPath,
                               Target(halideTargetString(target, /*withRuntime=*/true,
                                                                 /*dotProducts=*/false)));
  } catch (const Halide::Error &e) {
    return std::string("Halide error: ") + e.what();
  }
  return "";
}

} // namespace kernels
} // namespace bitnet
