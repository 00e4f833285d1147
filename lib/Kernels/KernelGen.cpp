//===- KernelGen.cpp - Halide algorithms and schedules per kernel kind ----===//
//
// Every algorithm repeats the golden reference (lib/Reference) operation for
// operation where the result feeds an integer (RMSNorm + quantization), and
// is compiled with strict_float there so that no fused multiply-add changes
// x * s before round-half-even.
//
// Algorithm and schedule are apart, as in Halide's apps: one generator class
// per kernel kind, whose define() writes the algorithm (its Funcs) and whose
// scheduleCPU() / scheduleGPU() schedule it, with tile sizes from the spec;
// kGenerators maps each kind to its class. What differs between targets of
// one family is data, a row of kTargets (vector width, BitLinear's
// dot-product formulation, extern micro-kernels, GPU block sizes) looked up
// once per kernel: adding a target means adding a row, and a schedule
// method only where the code differs. The same spec gives the same bytes.
//
//===----------------------------------------------------------------------===//

#include "bitnet/Kernels/KernelGen.h"
#include "bitnet/Kernels/PackedWords.h"
#include "bitnet/Reference/Reference.h"

#include "Halide.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

using namespace Halide;

namespace bitnet {
namespace kernels {
namespace {

//===--------------------------------------------------------------------===//
// Targets: one row of schedule parameters each
//===--------------------------------------------------------------------===//

/// Which schedule methods a target's kernels use.
enum class ScheduleFamily { CPU, GPU };

/// How BitLinear sums the products of weight codes and int8 activations:
/// the formulation for which Halide 14 selects the target's instruction.
enum class CodeDot {
  /// Each i32 lane sums 4 adjacent bytes' products (one byte when a tile
  /// row is not a whole number of 4 bytes): `vpdpbusd` with AVX512-VNNI,
  /// `sdot` with ARM's dot-product extension.
  FourWay,
  /// AVX2 (no 4-way instruction): `vpmaddubsw` u8 x i8 pairs summed in i16
  /// over blocks of column tiles; FourWay's one-byte lanes when a tile row
  /// is not a whole number of 4 bytes.
  PairsInI16,
  /// Plain NEON (no 4-way instruction): each byte's i8 x i8 products summed
  /// in an i16 lane over blocks of column tiles (`smlal`, `smlal2`);
  /// FourWay for base-3 codes and rows of no whole number of 4 bytes.
  ProductsInI16,
};

struct TargetParams {
  KernelTarget target;
  ScheduleFamily family;
  /// f32 lanes of a natural vector; 1 on GPUs, where a thread computes one
  /// output element with serial reductions.
  int lanes;
  CodeDot codeDot;
  /// BitLinear multiplies codes as signed bytes (ARM's sdot is i8 x i8;
  /// codes 0..2 fit either way).
  bool signedCodes;
  /// Run-time support micro-kernel that computes a single-token BitLinear's
  /// offset2 dot products with tiles of 128 columns, or null.
  const char *ternaryDotKernel;
  /// Run-time support micro-kernel for f16 weight matmuls, or null (Halide
  /// converts the weights itself).
  const char *f16MatmulKernel;
  /// GPU threads per block: 1-D tiles, and attention's accumulators over
  /// the head dimension.
  int gpuThreads, gpuHeadThreads;
  /// GPU shared (local) memory one block may use, in bytes.
  int64_t gpuSharedBytes;
  /// The backend contracts a * b + c into one fused multiply-add even under
  /// strict_float (Halide 14's PTX backend runs LLVM with fusion on), so a
  /// product that feeds a sum of the reference's must be rounded explicitly
  /// (roundedAddProduct).
  bool fusesMultiplyAdd;
  /// CPU vector registers (the accumulators a loop may keep in them); 0 on
  /// GPUs.
  int vectorRegisters;
};

const TargetParams kTargets[] = {
    // target, family, lanes, codeDot, signedCodes, ternaryDotKernel,
    // f16MatmulKernel, gpuThreads, gpuHeadThreads, gpuSharedBytes,
    // fusesMultiplyAdd, vectorRegisters
    {KernelTarget::X86AVX2, ScheduleFamily::CPU, 8, CodeDot::PairsInI16, false,
     nullptr, "bitnet_f16_matmul", 0, 0, 0, false, 16},
    // Halide 14 has no AVX-VNNI feature: the AVX2 kernels, except the
    // single-token BitLinear's dot products (256-bit {vex} vpdpbusd in C).
    {KernelTarget::X86AVXVNNI, ScheduleFamily::CPU, 8, CodeDot::PairsInI16,
     false, "bitnet_ternary_dot_avxvnni", "bitnet_f16_matmul", 0, 0, 0, false, 16},
    // (The f16 head's one-token rows are 8-lane F16C on AVX-512 targets too:
    // lib/Runtime/F16Matmul.c.)
    {KernelTarget::X86AVX512, ScheduleFamily::CPU, 16, CodeDot::FourWay, false,
     nullptr, "bitnet_f16_matmul", 0, 0, 0, false, 32},
    {KernelTarget::ARM64, ScheduleFamily::CPU, 4, CodeDot::ProductsInI16, true,
     nullptr, "bitnet_f16_matmul_neon", 0, 0, 0, false, 32},
    {KernelTarget::ARM64DotProd, ScheduleFamily::CPU, 4, CodeDot::FourWay, true,
     nullptr, "bitnet_f16_matmul_neon", 0, 0, 0, false, 32},
    // CUDA: 48 KB of static shared memory a block.
    {KernelTarget::CUDA, ScheduleFamily::GPU, 1, CodeDot::FourWay, false,
     nullptr, nullptr, 64, 32, 48 * 1024, true, 0},
    // OpenCL C: Halide writes the product and the sum as two statements,
    // which FP_CONTRACT does not fuse. 32 KB of local memory: the least a
    // full-profile device has (phones' GPUs have no more).
    {KernelTarget::OpenCL, ScheduleFamily::GPU, 1, CodeDot::FourWay, false,
     nullptr, nullptr, 64, 32, 32 * 1024, false, 0},
};

const TargetParams &targetParams(KernelTarget target) {
  for (const TargetParams &params : kTargets)
    if (params.target == target)
      return params;
  return kTargets[0]; // unreachable: every KernelTarget has a row
}

//===--------------------------------------------------------------------===//
// Helpers shared by the algorithms
//===--------------------------------------------------------------------===//

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

/// CUDA lanes per warp.
constexpr int kWarp = 32;
/// The CUDA decode GEMV's rounds of loads unrolled together (registers
/// allowing: ptxas reports no spills at 8).
constexpr int64_t kGemvRoundsInFlight = 8;

/// Spreads f's reduction over r across `threads` threads of the block f is
/// computed in: each thread reduces a strided share of r (thread u: r = u,
/// u + threads, ...; the threads' loads are neighbours) into local memory,
/// then one thread combines those partial results; `at` is f's innermost
/// pure variable. For reductions whose result does not depend on the order
/// (max, integer sums) or whose bound allows another (attention's float
/// sums).
void scheduleGPUBlockPartials(Func f, RVar r, Var at, int threads) {
  RVar ro("ro"), ri("ri");
  Var u("u");
  Func partials = f.update()
                      .split(r, ro, ri, threads, TailStrategy::GuardWithIf)
                      .rfactor(ri, u);
  partials.compute_at(f, at).gpu_threads(u);
  partials.update().gpu_threads(u);
}

/// Schedules f, a reduction over r per point of `blocks` (its pure
/// variables, one or two), as one launch of its own: a GPU block per point,
/// its threads sharing the reduction (scheduleGPUBlockPartials). f's initial
/// value and its update run in the block of a wrapper that its consumers
/// read (scheduled at root, each stage would be a launch of its own).
void scheduleGPUBlockReduction(Func f, RVar r, const std::vector<Var> &blocks,
                               int threads) {
  Func result = f.in();
  result.compute_root();
  if (blocks.size() == 1)
    result.gpu_blocks(blocks[0]);
  else
    result.gpu_blocks(blocks[0], blocks[1]);
  f.compute_at(result, blocks.front());
  scheduleGPUBlockPartials(f, r, blocks.front(), threads);
}

/// GPU: `threads` threads per block along x and every other pure variable
/// of the stage (`outer`, innermost first, at most two) a block dimension,
/// so that one launch covers the whole output (gpu_tile along x alone
/// would leave the others as loops on the host: a launch per token).
/// Returns the thread variable (for compute_at).
template <typename FuncOrStage>
Var gpuTileAll(FuncOrStage f, Var x, std::vector<Var> outer, int threads) {
  Var xo(x.name() + "_o"), xi(x.name() + "_i");
  f.split(x, xo, xi, threads, TailStrategy::GuardWithIf).gpu_threads(xi);
  if (outer.empty())
    f.gpu_blocks(xo);
  else if (outer.size() == 1)
    f.gpu_blocks(xo, outer[0]);
  else
    f.gpu_blocks(xo, outer[0], outer[1]);
  return xi;
}

/// CUDA: the sum over a warp's 32 lanes of laneValues(u, n, m), as a tree
/// of five shuffles (level w adds lane u + w to lane u; lane 0 ends with
/// the total), instead of what a reduction over a lane variable becomes (a
/// gather of all 32 lanes by each: 32 shuffles and adds). Every level spans
/// the whole warp; a lane past the end reads its own last lane (min), so
/// the upper lanes hold partial garbage that never reaches lane 0. Returns
/// the total (n, m) and appends the levels (u, n, m) to `levels`, which the
/// schedule computes at the warp's row with gpu_lanes(u).
Func warpTreeSum(Func laneValues, Var u, Var n, Var m, int warp, std::vector<Func> &levels) {
  Func below = laneValues;
  for (int width = warp / 2; width >= 1; width /= 2) {
    Func level("lane_tree_" + std::to_string(width));
    level(u, n, m) = below(u, n, m) + below(min(u + width, warp - 1), n, m);
    levels.push_back(level);
    below = level;
  }
  Func total("warp_total");
  total(n, m) = below(0, n, m);
  return total;
}

/// Schedules the levels of warpTreeSum at `at`'s loop `var`, a warp each.
void scheduleWarpTree(std::vector<Func> &levels, Func at, Var var, Var u, int warp) {
  for (Func &level : levels)
    level.compute_at(at, var).bound(u, 0, warp).gpu_lanes(u);
}

/// A defined and scheduled pipeline: its outputs and arguments in ABI order.
struct Built {
  std::vector<Func> outputs;
  std::vector<Argument> args;
  bool strictFloat = true;
};

/// One kernel of one spec. A subclass holds the kernel's inputs, Funcs and
/// the Vars its schedules name as members, defines the algorithm in
/// define() and schedules it in the method of the target's family;
/// target-specific choices come from `target`, never from comparisons with
/// spec.target. Halide numbers Funcs of one name in creation order (y,
/// y$1, ...) and unnamed objects from process-wide counters, and both show
/// in the generated bytes: name every object, and keep the order in which
/// a kernel creates its Funcs.
class KernelGenerator {
public:
  explicit KernelGenerator(const KernelSpec &spec)
      : spec(spec), target(targetParams(spec.target)) {}
  virtual ~KernelGenerator() = default;

  Built generate() {
    define();
    if (target.family == ScheduleFamily::GPU)
      scheduleGPU();
    else
      scheduleCPU();
    return built;
  }

protected:
  /// The algorithm: constrains the inputs, defines the Funcs, and fills
  /// built's outputs, arguments and strictFloat.
  virtual void define() = 0;
  virtual void scheduleCPU() = 0;
  virtual void scheduleGPU() = 0;

  const KernelSpec &spec;
  const TargetParams &target;
  Built built;
};

//===--------------------------------------------------------------------===//
// BitLinear: y[n, m] = (f32(sum_k T[n,k] q[m,k]) / s[m]) * gamma
//===--------------------------------------------------------------------===//

class BitLinearGenerator : public KernelGenerator {
public:
  using KernelGenerator::KernelGenerator;

private:
  // GPU GEMM: a block computes rows_per_task rows x up to
  // kGemmTokenThreads x kGemmThreadTokens tokens, a thread per row and
  // group of kGemmThreadTokens tokens, over chunks of kGemmChunk columns
  // staged in shared memory (decoded once per block, reused by every token).
  static constexpr int kGemmTokenThreads = 4, kGemmThreadTokens = 4, kGemmChunk = 128,
                       kGemmChunkWords = kGemmChunk / 4;
  void define() override;
  /// Tasks of rows_per_task rows: the extern micro-kernel's, or row tiles
  /// reduced as the target's CodeDot says (the next four).
  void scheduleCPU() override;
  /// The i32 sums of the i16 blocks, computed at `at` of y, with tokens in
  /// groups of up to 4 (returned).
  int64_t scheduleI16Widening(const Var &at);
  void schedulePairsInI16();
  void scheduleProductsInI16();
  void scheduleFourWay();
  void scheduleGPU() override;
  void scheduleGPUTiles();

  ImageParam q{Int(8), 2, "q"};     // [k, m]
  ImageParam s{Float(32), 1, "s"};  // [m] activation scales
  ImageParam w{UInt(8), 1, "w"};    // packed weights
  Param<float> gamma{"gamma"};
  ImageParam gammas{Float(32), 1, "gammas"}; // one scale per segment
  Var n{"n"}, m{"m"}, lane{"lane"}, h{"h"}, tb{"tb"}, step{"step"}, slot{"slot"}, tile{"tile"};
  Var no{"no"}, ni{"ni"}, nt{"nt"}, nr{"nr"};
  Func qz{"qz"}, partial{"partial"}, pairs{"pairs"}, pairProducts{"pair_products"}, dot{"dot"},
      qsum{"qsum"}, pairOnes{"pair_ones"}, byteSums{"byte_sums"};
  Func vnniDot{"vnni_dot"}, y{"y"};
  // GPU GEMM: decoded weights [4, K/4, n], activations [4, K/4, m].
  Func weightWords{"weight_words"}, activationWords{"activation_words"},
      chunkDot{"chunk_dot"}, tiledDot{"tiled_dot"};
  // GPU GEMV: each word's and each lane's sum, and CUDA's shuffle tree or
  // OpenCL's sum of the work-group's lanes.
  Func wordSums{"word_sums"}, laneSums{"lane_sums"}, warpDot, groupDot{"group_dot"};
  std::vector<Func> laneTree;
  RDom rp, rpair, r, rl, rw, rc, rlane, rbyte;
  int64_t K = 0, M = 0, tn = 0, colTiles = 0, lanes = 0, group = 0;
  // GPU GEMV: the threads that share a row (a CUDA warp, an OpenCL
  // work-group's gpuThreads) and a lane's rounds of that many column tiles.
  int64_t rowLanes = 0, laneRounds = 0;
  bool pairsInI16 = false, productsInI16 = false, externDot = false, centered = false,
       gpuTiled = false, laneGemv = false, warpGemv = false;
  // GPU GEMV: each word's weights decoded as one u32 (define()).
  bool wordSwar = false;
  // GPU GEMM: a tile row is one 4-byte word of codes (2-bit or 1-bit), so
  // neighbouring words decode the same four bytes (another code slot each).
  bool wordRows = false;
};

void BitLinearGenerator::define() {
  const ref::PackedLayout &L = spec.layout;
  const int64_t N = spec.n;
  K = spec.k;
  M = spec.m;
  const int64_t perByte = ref::codesPerByte(L.format);
  tn = L.tileN;
  const int64_t tk = L.tileK;
  const int64_t rowBytes = tk / perByte, tileBytes = tn * rowBytes;
  colTiles = (K + tk - 1) / tk;
  const bool base3 = L.format == ref::PackFormat::Base3;
  const bool bits1 = L.format == ref::PackFormat::Bits1;
  // Largest code: offset codes u = w + 1 <= 2, bits b = (w + 1) / 2 <= 1.
  const int64_t maxCode = bits1 ? 1 : 2;

  const bool segmented = !spec.segments.empty();
  if (segmented)
    constrain(gammas, {static_cast<int64_t>(spec.segments.size())});
  constrain(q, {K, M});
  constrain(s, {M});
  constrain(w, {ref::packedStorageBytes(L, N, K)});

  // Activations padded with zeros up to whole tiles.
  Var kk("kk");
  qz(kk, m) = select(kk < i32(K), q(clamp(kk, 0, i32(K - 1)), m), cast<int8_t>(0));

  // Byte j of tile row (n % tn) in column tile tc, code slot `slot`: its
  // code and the activation column it multiplies (Packing.h's layout).
  // Rows past the last stored tile row are computed by guarded tail tasks
  // but never stored; clamping keeps their reads inside the buffer.
  const int64_t storedRows = (N + tn - 1) / tn * tn;
  auto byteIndex = [&](Expr j, Expr tc) {
    Expr row = min(n, i32(storedRows - 1));
    return ((row / i32(tn)) * i32(colTiles) + tc) * i32(tileBytes) +
           (row % i32(tn)) * i32(rowBytes) + j;
  };
  auto decode = [&](Expr j, Expr slot, Expr tc) {
    Expr byte = w(byteIndex(j, tc));
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
  pairsInI16 = target.codeDot == CodeDot::PairsInI16 && rowBytes % 4 == 0;
  productsInI16 = target.codeDot == CodeDot::ProductsInI16 && rowBytes % 4 == 0 && !base3;
  // GPUs multiply signed bytes (dp4a.s32.s32): the decoded weight itself,
  // -1..1, so no per-token activation sum is subtracted (on the CPUs the
  // u8 x i8 instructions want the offset codes 0..2 instead).
  centered = target.family == ScheduleFamily::GPU;
  // Without a 4-way product when a row is not a multiple of 4 bytes: one
  // byte per lane.
  group = rowBytes % 4 == 0 ? 4 : 1;
  lanes = target.lanes;
  while (lanes > 1 && rowBytes % (lanes * group) != 0)
    lanes /= 2;
  const int64_t stepBytes = lanes * group;
  const int64_t steps = rowBytes / stepBytes;

  // Column tiles summed in i16 before a widening (pairsInI16,
  // productsInI16): the largest divisor of the tiles whose terms per i16
  // lane (termsPerTile a tile) stay within maxTerms.
  auto i16Block = [&](int64_t termsPerTile, int64_t maxTerms) {
    int64_t block = 1;
    for (int64_t b = 1; b <= colTiles && termsPerTile * b <= maxTerms; ++b)
      if (colTiles % b == 0)
        block = b;
    return block;
  };

  // Offset codes u = T + 1: sum T*q = sum u*q - sum q.
  partial(lane, n, m) = 0;
  if (pairsInI16) {
    // AVX2 has no 4-way instruction. The products go through vpmaddubsw
    // (u8 x i8 pairs -> i16) and are summed in i16 over every slot, step and
    // column tile of a block, then widened to i32 once per block. Halide
    // selects vpmaddubsw only for a saturating pairwise sum, whose
    // associativity it cannot prove, hence atomic(true): that sum is its own
    // Func, and the block's sum of pairs a plain add (vpaddw). A saturating
    // add there (vpaddsw) would be the same sums, but Zen 3 issues it only
    // on the two pipes that multiply: 3.0 G pmaddubsw + add a second against
    // 4.5 with vpaddw. The i16 sums never saturate or wrap, so they are
    // exact: a pair is at most 2 * maxCode * 128 (512 for 2-bit codes, 256
    // for bits), and a block holds at most 32767 / that many pairs per lane
    // (63, or 127).
    const int64_t block = i16Block(perByte * steps, 32767 / (2 * maxCode * 128));
    // (byte in a pair)
    rpair = RDom(0, 2, "rpair");
    auto [code, col] = decode(step * i32(stepBytes) + h * 2 + rpair, slot, tile);
    pairProducts(h, n, m, step, slot, tile) = cast<int16_t>(0);
    pairProducts(h, n, m, step, slot, tile) =
        saturating_add(pairProducts(h, n, m, step, slot, tile),
                       cast<int16_t>(code) * cast<int16_t>(qz(col, m)));
    // (code slot, vector step, column tile in the block)
    rp = RDom(0, i32(perByte), 0, i32(steps), 0, i32(block), "rp");
    pairs(h, n, m, tb) = cast<int16_t>(0);
    pairs(h, n, m, tb) += pairProducts(h, n, m, rp.y, rp.x, tb * i32(block) + rp.z);
    // (i16 pair in an i32 lane, block) Each block's pairs widened by a
    // product with ones, which Halide 14 emits as one vpmaddwd (it has no
    // pattern for a widening pairwise add on x86: sign extensions, even and
    // odd shuffles and adds, 19% slower at M = 8 on Zen 3); the ones are a
    // Func computed apart, so that the simplifier does not drop the product.
    r = RDom(0, 2, 0, i32(colTiles / block), "r");
    pairOnes(h) = cast<int16_t>(1);
    partial(lane, n, m) += cast<int32_t>(pairs(lane * 2 + r.x, n, m, r.y)) *
                           cast<int32_t>(pairOnes(lane * 2 + r.x));
  } else if (productsInI16) {
    // Plain NEON has no 4-way instruction either (FourWay's 4-way sum there
    // is smull, saddlp and addp per 8 bytes). Each byte of a vector step
    // sums its codes x activations in an i16 lane (smlal / smlal2 widen
    // and add) over every slot, step and column tile of a block, widened to
    // i32 once per block. Exact: a product is at most maxCode * 128 in
    // magnitude, and a block holds at most 32767 / that many per lane (127
    // for 2-bit codes, 255 for bits).
    const int64_t block = i16Block(perByte * steps, 32767 / (maxCode * 128));
    // (code slot, vector step, column tile in the block)
    rp = RDom(0, i32(perByte), 0, i32(steps), 0, i32(block), "rp");
    auto [code, col] = decode(rp.y * i32(stepBytes) + h, rp.x, tb * i32(block) + rp.z);
    byteSums(h, n, m, tb) = cast<int16_t>(0);
    byteSums(h, n, m, tb) += cast<int16_t>(cast<int8_t>(code)) * cast<int16_t>(qz(col, m));
    // (byte in an i32 lane's group, block)
    r = RDom(0, i32(group), 0, i32(colTiles / block), "r");
    partial(lane, n, m) += cast<int32_t>(byteSums(lane * i32(group) + r.x, n, m, r.y));
  } else {
    // (byte in a lane's group, vector step in the row, slot, column tile)
    r = RDom(0, i32(group), 0, i32(steps), 0, i32(perByte), 0, i32(colTiles), "r");
    auto [code, col] = decode(r.y * i32(stepBytes) + lane * i32(group) + r.x,
                              r.z, r[3]);
    if (centered)
      code = bits1 ? cast<int8_t>(code) * 2 - 1 : cast<int8_t>(code) - 1;
    else if (target.signedCodes)
      code = cast<int8_t>(code);
    partial(lane, n, m) += cast<int32_t>(code) * cast<int32_t>(qz(col, m));
  }
  rl = RDom(0, i32(lanes), "rl");
  dot(n, m) = 0;
  dot(n, m) += partial(rl, n, m);
  RDom rk(0, i32(K), "rk");
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
  externDot = target.ternaryDotKernel != nullptr && M == 1 &&
              L.format == ref::PackFormat::Offset2 && tk == 128;
  if (externDot)
    vnniDot.define_extern(target.ternaryDotKernel,
                          {q, w, Expr(i32(N)), Expr(i32(K)), Expr(i32(tn))}, Int(32), {n, m});
  // GPU GEMMs: tiles of decoded weights and activations in shared memory.
  gpuTiled = target.family == ScheduleFamily::GPU && M > 1 && tk % 4 == 0;
  if (gpuTiled) {
    // Four neighbouring columns per word (one dp4a), zero past the packed
    // columns and past the last chunk of kGemmChunk columns.
    const int64_t packedCols = colTiles * tk;
    const int64_t words = (packedCols + kGemmChunk - 1) / kGemmChunk * kGemmChunk / 4;
    // Without padding, no clamp or guard: Halide then knows that a word's
    // four bytes are aligned and loads them at once.
    const bool weightsPadded = words * 4 != packedCols, activationsPadded = words * 4 != K;
    // (Dense rows of whole words; Halide checks both promises at each call.)
    if (!activationsPadded) {
      q.dim(1).set_stride(i32(K));
      q.set_host_alignment(4);
    }
    wordRows = !base3 && rowBytes == 4;
    if (!weightsPadded && rowBytes % 4 == 0)
      w.set_host_alignment(4);
    Var i("i"), kq("kq");
    Expr kk = kq * 4 + i;
    Expr inside = kk < i32(packedCols);
    Expr kc = weightsPadded ? min(kk, i32(packedCols - 1)) : kk;
    Expr tc = kc / i32(tk), within = kc % i32(tk);
    Expr j = base3 ? within / 5 : within % i32(rowBytes);
    Expr slot = base3 ? within % 5 : within / i32(rowBytes);
    Expr code = decode(j, slot, tc).first;
    Expr weight = bits1 ? cast<int8_t>(code) * 2 - 1 : cast<int8_t>(code) - 1;
    weightWords(i, kq, n) = weightsPadded ? select(inside, weight, cast<int8_t>(0)) : weight;
    // A block's last group of tokens may reach past M (its sums are never
    // stored): those read the last token.
    Expr token = min(m, i32(M - 1));
    activationWords(i, kq, m) = activationsPadded ? qz(kk, token) : q(kk, token);
    // Each chunk's sum first (per thread: registers), then the chunks'.
    // A word's four products are summed into the chunk's sum at once: dp4a
    // with the sum as its accumulator.
    Var chunk("chunk");
    rw = RDom(0, 4, 0, kGemmChunkWords, "rw");
    chunkDot(n, m, chunk) = 0;
    Expr word = chunk * kGemmChunkWords + rw.y;
    chunkDot(n, m, chunk) += cast<int32_t>(weightWords(rw.x, word, n)) *
                             cast<int32_t>(activationWords(rw.x, word, m));
    rc = RDom(0, i32(words / kGemmChunkWords), "rc");
    tiledDot(n, m) = 0;
    tiledDot(n, m) += chunkDot(n, m, rc);
  }
  // GPU decode GEMV over rows of at least a lane per column tile: lane u
  // of the row's L threads (a CUDA warp, an OpenCL work-group's
  // gpuThreads) sums column tiles u, u + L, ... (zero past the last tile),
  // then the lane sums meet: on CUDA in a tree of five shuffles down (level
  // w adds lane u + w to lane u), not in a gather of all 32 lanes by each
  // (what a reduction over a lane variable becomes: 32 shuffles and adds,
  // as many instructions as the row's own loop at K = 2560); on OpenCL
  // (Halide 14 has no gpu_lanes there) through local memory, added by one
  // thread per row.
  rowLanes = spec.target == KernelTarget::CUDA ? kWarp : target.gpuThreads;
  laneGemv = target.family == ScheduleFamily::GPU && M == 1 && colTiles >= rowLanes;
  warpGemv = laneGemv && spec.target == KernelTarget::CUDA;
  if (laneGemv) {
    // Lane u's sum over its tiles: words of `group` bytes (step st, slot
    // sl, round rd: tile rd * L + u), each word's products summed in a
    // Func of its own (per lane: a register; dp4a on CUDA), added to the
    // lane's sum; zero past the last tile.
    const int64_t stepBytes = lanes * group;
    laneRounds = (colTiles + rowLanes - 1) / rowLanes;
    Var st("st"), sl("sl"), rd("rd");
    rbyte = RDom(0, i32(group), "rbyte");
    Expr tile = rd * i32(rowLanes) + lane;
    Expr tc = min(tile, i32(colTiles - 1));
    // Words of 2-bit or 1-bit codes: the word's four bytes loaded as one
    // u32 and the slot's codes turned into four weights at once, with
    // 32-bit operations (packedWordWeights), then dp4a over that u32 and
    // the activations' four bytes, as a VectorReduce written out. (Halide's
    // own vectorization of the byte loop worked byte by byte in 16-bit
    // registers and packed the bytes again: 70 SASS instructions a lane's
    // word against 28, ptxas 11.8 for sm_90 at the 2B-4T's shapes;
    // docs/Kernels.md.) CUDA only: Halide 14's OpenCL C writes the u32 ->
    // char4 reinterpretation as as_char(), which does not compile.
    wordSwar = warpGemv && !base3 && group == 4;
    if (wordSwar) {
      using namespace Halide::Internal;
      Expr at = byteIndex(st * i32(stepBytes), tc);
      Expr word =
          reinterpret(UInt(32), Shuffle::make_concat({w(at), w(at + 1), w(at + 2), w(at + 3)}));
      Expr weights = packedWordWeights(word, sl, bits1);
      Expr col = decode(st * i32(stepBytes), sl, tc).second;
      std::vector<Expr> activations;
      for (int i = 0; i < 4; ++i)
        activations.push_back(qz(col + i, m));
      Expr products = cast(Int(32, 4), reinterpret(Int(8, 4), weights)) *
                      cast(Int(32, 4), Shuffle::make_concat(activations));
      wordSums(lane, st, sl, rd, n, m) = VectorReduce::make(VectorReduce::Add, products, 1);
    } else {
      auto [code, col] = decode(st * i32(stepBytes) + rbyte, sl, tc);
      Expr weight = bits1 ? cast<int8_t>(code) * 2 - 1 : cast<int8_t>(code) - 1;
      wordSums(lane, st, sl, rd, n, m) = 0;
      wordSums(lane, st, sl, rd, n, m) += cast<int32_t>(weight) * cast<int32_t>(qz(col, m));
    }
    rlane = RDom(0, i32(rowBytes / stepBytes), 0, i32(perByte), 0, i32(laneRounds), "rlane");
    laneSums(lane, n, m) = 0;
    laneSums(lane, n, m) += select(rlane.z * i32(rowLanes) + lane < i32(colTiles),
                                   wordSums(lane, rlane.x, rlane.y, rlane.z, n, m), 0);
    if (warpGemv) {
      warpDot = warpTreeSum(laneSums, lane, n, m, kWarp, laneTree);
    } else {
      RDom rt(0, i32(rowLanes), "r_lanes");
      groupDot(n, m) = 0;
      groupDot(n, m) += laneSums(rt, n, m);
    }
  }
  Func &dots = externDot  ? vnniDot
               : gpuTiled ? tiledDot
               : warpGemv ? warpDot
               : laneGemv ? groupDot
                          : dot;
  Expr sum = centered ? dots(n, m)
                      : bits1 ? 2 * dots(n, m) - qsum(m) : dots(n, m) - qsum(m);
  y(n, m) = (cast<float>(sum) / s(m)) * scale;
  constrain(y.output_buffer(), {N, M});

  built.outputs = {y};
  if (segmented)
    built.args = {q, s, w, gammas};
  else
    built.args = {q, s, w, gamma};
  built.strictFloat = true;
}

void BitLinearGenerator::scheduleCPU() {
  const int64_t rows = spec.effectiveRowsPerTask();
  qsum.compute_root();
  if (externDot) {
    y.split(n, no, ni, i32(rows), TailStrategy::GuardWithIf).reorder(ni, m, no).parallel(no);
    vnniDot.compute_at(y, no);
    return;
  }
  // Row tiling: the tn rows of a tile are reduced together so that each
  // activation vector is loaded once and used tn times.
  y.split(n, no, ni, i32(rows), TailStrategy::GuardWithIf)
      .split(ni, nt, nr, i32(tn), TailStrategy::GuardWithIf)
      .reorder(nr, m, nt, no)
      .parallel(no);
  dot.compute_at(y, nt);
  // Each output's lanes are summed by one horizontal vector sum (left to
  // itself, Halide gathered the lanes of several outputs instead).
  if (lanes > 1)
    dot.update().atomic().vectorize(rl);
  if (pairsInI16)
    schedulePairsInI16();
  else if (productsInI16)
    scheduleProductsInI16();
  else
    scheduleFourWay();
}

int64_t BitLinearGenerator::scheduleI16Widening(const Var &at) {
  partial.compute_at(y, at).vectorize(lane);
  Stage update = partial.update();
  update.atomic().vectorize(r.x);
  update.vectorize(lane);
  // Tokens in blocks of up to 4 share each decoded code vector (GEMM):
  // the unrolled copies of the decode are one after CSE.
  const int64_t tokens = M % 4 == 0 ? 4 : (M % 2 == 0 ? 2 : 1);
  Var mo("mo"), mi("mi");
  update.split(m, mo, mi, i32(tokens)).reorder(r.x, lane, mi, n, r.y, mo);
  return tokens;
}

void BitLinearGenerator::schedulePairsInI16() {
  // AVX2 GEMM whose activations overflow L1: all rows of a task are
  // reduced per block of tokens, so that the block's activations stay in
  // L1 across the rows. Otherwise one row (tile) at a time for all tokens.
  scheduleI16Widening(M * K > 32 * 1024 ? no : nt);
  pairOnes.compute_root().vectorize(h, i32(2 * lanes));
  pairs.compute_at(partial, n).vectorize(h);
  pairs.update()
      .vectorize(h)
      .reorder(h, m, rp.x, rp.y, rp.z)
      .unroll(m)
      .unroll(rp.x)
      .prefetch(w, rp.z, rp.z, 64, PrefetchBoundStrategy::NonFaulting);
  // One vector of pairs (one vpmaddubsw) where the sum uses it.
  pairProducts.compute_at(pairs, m).vectorize(h);
  pairProducts.update().atomic(true).vectorize(rpair).vectorize(h);
  // Rows are not unrolled: the blocks already hold a row's activations in
  // L1, and unrolling them only spills.
}

void BitLinearGenerator::scheduleProductsInI16() {
  // Each decoded code vector serves the tile's rows (one token: their i16
  // sums, two registers a row, stay in registers and each activation
  // vector is loaded once for all) or a block of up to 4 tokens (a row at
  // a time).
  const int64_t tokens = scheduleI16Widening(nt);
  Stage sums = byteSums.update();
  if (tokens == 1) {
    byteSums.compute_at(partial, r.y).vectorize(h);
    sums.reorder(h, n, m, rp.x, rp.y, rp.z).unroll(n);
  } else {
    byteSums.compute_at(partial, n).vectorize(h);
    sums.reorder(h, m, n, rp.x, rp.y, rp.z).unroll(m);
  }
  sums.vectorize(h).unroll(rp.x);
}

void BitLinearGenerator::scheduleFourWay() {
  partial.compute_at(y, nt).vectorize(lane);
  Stage update = partial.update();
  if (group > 1)
    update.atomic().vectorize(r.x);
  update.vectorize(lane);
  if (M > 1) {
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
  // Unrolled rows share each activation vector in registers.
  if (tn <= 8)
    update.unroll(n);
}

void BitLinearGenerator::scheduleGPU() {
  Var nb("nb");
  if (gpuTiled) {
    scheduleGPUTiles();
    return;
  }
  if (laneGemv) {
    if (warpGemv) {
      // Decode GEMV on CUDA: one warp per output row (define()): the 32
      // lanes read 32 neighbouring words of the row at once (one 128-byte
      // transaction), and their sums meet through warp shuffles (Halide
      // lowers reads of another lane's value to shfl), instead of one
      // thread walking a whole row.
      Var nw("nw"), nl("nl");
      // nl (extent 1) stands for the lanes of the warp a row runs on.
      y.split(n, nb, nw, i32(spec.effectiveRowsPerTask()), TailStrategy::GuardWithIf)
          .split(nw, nw, nl, 1)
          .gpu_blocks(nb)
          .gpu_threads(nw, nl);
      laneSums.compute_at(y, nw).gpu_lanes(lane);
      laneSums.update().gpu_lanes(lane);
      scheduleWarpTree(laneTree, y, nw, lane, kWarp);
    } else {
      // Decode GEMV on OpenCL: a work-group of gpuThreads per output row,
      // rows_per_task rows per work-group; each thread's sum in a register
      // (laneSums computed per thread), stored once in local memory
      // (laneTotals, its wrapper), where one thread per row adds them.
      Var nr("nr");
      y.split(n, nb, nr, i32(spec.effectiveRowsPerTask()), TailStrategy::GuardWithIf)
          .gpu_blocks(nb)
          .gpu_threads(nr);
      Func laneTotals = laneSums.in();
      // Halide numbers thread dimensions by loop nesting: lane innermost (x).
      laneTotals.compute_at(y, nb).reorder(lane, n).gpu_threads(lane, n);
      laneSums.compute_at(laneTotals, lane);
      groupDot.compute_at(y, nr);
    }
    // The rounds (a tile per lane each) unrolled, up to kGemvRoundsInFlight
    // at a time: their loads are all issued before the first product waits,
    // so a row costs about one memory latency instead of one per round
    // (CUDA: 5 rounds at K = 2560, 14 at 6912; OpenCL: 3 and 7; loads in
    // flight are what a GEMV this short is bound by).
    if (laneRounds <= kGemvRoundsInFlight) {
      laneSums.update().unroll(rlane.z);
    } else {
      RVar zo("zo"), zi("zi");
      laneSums.update()
          .split(rlane.z, zo, zi, i32(kGemvRoundsInFlight), TailStrategy::GuardWithIf)
          .unroll(zi);
    }
    // Inside the lane loop: a register per lane, so the vectorized sum of
    // a word's bytes (dp4a on CUDA) needs no atomics (at the warp's level
    // it was an atomic add to local memory, which PTX leaves undefined).
    wordSums.compute_at(laneSums, rlane.x);
    if (!wordSwar)
      wordSums.update().atomic().vectorize(rbyte);
    return;
  }
  // Short rows (and GEMMs whose tiles are not whole 4-column words): a
  // thread per output.
  Var thread = gpuTileAll(y, n, {m}, target.gpuThreads);
  dot.compute_at(y, thread);
  partial.compute_at(y, thread);
  // Four bytes' products summed at once: dp4a on CUDA.
  if (group == 4)
    partial.update().atomic().vectorize(r.x);
}

void BitLinearGenerator::scheduleGPUTiles() {
  // The block's threads: rows x token groups, rows fastest (a warp reads 32
  // rows' words of one chunk: consecutive words of the shared weight tile,
  // stored chunk-major for that reason; every thread of a warp reads the
  // same activation words: a broadcast). Each thread accumulates its row's
  // products with kGemmThreadTokens tokens in registers, so that a weight
  // word loaded from shared memory feeds that many dp4a.
  const int threadTokens = static_cast<int>(std::min<int64_t>(M, kGemmThreadTokens));
  const int tokens = static_cast<int>(
      std::min<int64_t>((M + threadTokens - 1) / threadTokens, kGemmTokenThreads) * threadTokens);
  const int rows = i32(spec.effectiveRowsPerTask());
  Var no("no"), mo("mo"), ni("ni"), mi("mi"), mt("mt"), mr("mr"), i("i"), kq("kq");
  y.tile(n, m, no, mo, ni, mi, rows, tokens, TailStrategy::GuardWithIf)
      .split(mi, mt, mr, threadTokens)
      .reorder(mr, ni, mt, no, mo)
      .unroll(mr)
      .gpu_blocks(no, mo)
      .gpu_threads(ni, mt);
  // The block's sums in shared memory, each thread's own; a chunk's sums
  // in the thread's registers, one per token of its group, so that each
  // weight word read from shared memory feeds that many dp4a, and the
  // shared sums are read and written once a chunk.
  tiledDot.compute_at(y, no)
      .split(m, mt, mr, threadTokens)
      .reorder(mr, n, mt)
      .unroll(mr)
      .gpu_threads(n, mt);
  // Per chunk: stage, barrier, multiply, barrier (Halide places them).
  tiledDot.update()
      .split(m, mt, mr, threadTokens)
      .reorder(mr, n, mt, rc)
      .unroll(mr)
      .gpu_threads(n, mt);
  chunkDot.compute_at(tiledDot, n).unroll(m);
  chunkDot.update()
      .reorder(rw.x, m, rw.y)
      .atomic()
      .vectorize(rw.x)
      .unroll(m)
      .unroll(rw.y, 4);
  // Staged by the same rows x token-group threads.
  const int tokenThreads = tokens / threadTokens;
  Var kqo("kqo"), kqi("kqi");
  // A thread decodes neighbouring words of its row; with one word a tile
  // row, four words (code slots) at a time unrolled, so that their four
  // bytes are loaded once.
  weightWords.compute_at(tiledDot, rc)
      .reorder_storage(i, n, kq)
      .vectorize(i)
      .split(kq, kqo, kqi, (kGemmChunkWords + tokenThreads - 1) / tokenThreads,
             TailStrategy::GuardWithIf)
      .reorder(i, kqi, n, kqo)
      .gpu_threads(n, kqo);
  if (wordRows)
    weightWords.unroll(kqi, 4, TailStrategy::GuardWithIf);
  activationWords.compute_at(tiledDot, rc)
      .reorder_storage(i, m, kq)
      .vectorize(i)
      .split(kq, kqo, kqi, rows, TailStrategy::GuardWithIf)
      .split(m, mt, mr, threadTokens, TailStrategy::GuardWithIf)
      .reorder(i, kqi, mr, mt, kqo)
      .gpu_threads(kqi, mt);
}

//===--------------------------------------------------------------------===//
// RMSNorm + per-token int8 quantization (+ per-token sum of q)
//===--------------------------------------------------------------------===//

/// act(g) * u: relu2 (max(g, 0)^2) or silu (g / (1 + exp(-g))), as
/// ref::glu computes it.
Expr gluValue(Expr g, Expr u, ref::GluActivation activation) {
  Expr act;
  if (activation == ref::GluActivation::Silu) {
    act = g / (1.0f + exp(-g));
  } else {
    Expr r = select(g > 0.0f, g, 0.0f);
    act = r * r;
  }
  return act * u;
}

/// sum + a * b with the product rounded before the sum, as the reference
/// computes it. Where the backend would fuse the two into one FMA
/// (TargetParams::fusesMultiplyAdd), through libdevice's correctly rounded
/// __nv_fmul_rn / __nv_fadd_rn, which stay mul.rn / add.rn in PTX (LLVM's
/// own llvm.nvvm.mul.rn.f becomes a plain fmul and fuses again). Halide
/// builds them flushing subnormals (.ftz): in a sum of squares that only
/// drops terms below 2^-126, which cannot move a sum that the 1e-5 epsilon
/// does not already swamp.
Expr roundedAddProduct(Expr sum, Expr a, Expr b, const TargetParams &target) {
  if (!target.fusesMultiplyAdd)
    return sum + a * b;
  using Halide::Internal::Call;
  Expr product = Call::make(Float(32), "__nv_fmul_rn", {a, b}, Call::PureExtern);
  return Call::make(Float(32), "__nv_fadd_rn", {sum, product}, Call::PureExtern);
}

/// 1/rms of each token's row of x (`inv`) from its sum of squares (`ss`)
/// in the reference's order (ref::rmsNorm): 32 interleaved partial sums
/// (`partials`, lane j adds the squares of d = j, j + 32, ... in turn),
/// then those added in lane order. The first step of both RMSNorm kernels
/// (the quantizer's codes depend on it exactly). Returns the partials'
/// reduction domain (their schedules name it).
RDom defineInverseRMS(Func partials, Func ss, Func inv, Func x, Var j, Var m,
                      int64_t D, float eps, const TargetParams &target) {
  const int64_t lanes = ref::kRMSNormPartialSums;
  RDom r(0, i32((D + lanes - 1) / lanes), "r_squares");
  RDom rj(0, i32(lanes), "r_partials");
  Expr d = r * i32(lanes) + j;
  // Past the row's end (D not a multiple of 32) a lane adds 0 * 0, which
  // leaves its sum as it is; whole rows load dense vectors unclamped.
  Expr v = D % lanes == 0 ? x(d, m) : select(d < i32(D), x(min(d, i32(D - 1)), m), 0.0f);
  partials(j, m) = 0.0f;
  partials(j, m) = roundedAddProduct(partials(j, m), v, v, target);
  ss(m) = 0.0f;
  ss(m) = ss(m) + partials(rj, m);
  inv(m) = 1.0f / sqrt(ss(m) / static_cast<float>(D) + eps);
  return r;
}
/// CPU: tokens in parallel; the 32 partial sums in registers (vectors of
/// `lanes`), a row's squares streamed through them.
void scheduleCPUInverseRMS(Func partials, Func ss, RDom squares, Var j, Var m, int lanes) {
  ss.compute_root();
  ss.update().parallel(m);
  partials.compute_at(ss, m).vectorize(j, lanes);
  partials.update().reorder(j, squares.x).vectorize(j, lanes).unroll(j);
}
/// GPU: 1/rms inside the block that `at` runs per token (its loop m): the
/// partial sums a warp's lanes (coalesced loads of 32 neighbouring floats),
/// their sum and 1/rms on one thread.
void scheduleGPUInverseRMS(Func partials, Func ss, Func inv, Var j, Func at, Var m) {
  inv.compute_at(at, m);
  ss.compute_at(at, m);
  partials.compute_at(at, m).gpu_threads(j);
  partials.update().gpu_threads(j);
}
/// Threads of a GPU block that computes one token's row (gpuBlockPerRow):
/// within OpenCL's 256 per work-group.
constexpr int kGPURowThreads = 256;
/// GPU: one block per token m for f(d, m), `threads` threads striding
/// along d (each store instruction writes neighbouring elements).
void gpuBlockPerRow(Func f, Var d, Var m, int threads) {
  Var dOuter(d.name() + "_o"), dInner(d.name() + "_i");
  f.split(d, dOuter, dInner, threads, TailStrategy::GuardWithIf)
      .reorder(dOuter, dInner)
      .gpu_threads(dInner)
      .gpu_blocks(m);
}

/// RMSNorm + quantization of x, of the residual sum x + h (add_rmsnorm_quant:
/// the sum is an output too), or of glu(gate, up) (glu_rmsnorm_quant).
class RMSNormQuantGenerator : public KernelGenerator {
public:
  using KernelGenerator::KernelGenerator;

private:
  void define() override;
  void scheduleCPU() override;
  void scheduleGPU() override;
  bool addsResidual() const { return spec.kind == KernelKind::AddRMSNormQuant; }
  bool computesGLU() const { return spec.kind == KernelKind::GLURMSNormQuant; }

  ImageParam x{Float(32), 2, "x"}; // [d, m]
  ImageParam h{Float(32), 2, "h"}; // [d, m], the residual's other term
  ImageParam wn{Float(32), 1, "norm_weight"};
  ImageParam gate{Float(32), 2, "gate"}, up{Float(32), 2, "up"}; // [d, m]
  Func sum{"sum"}, glu{"glu"};
  /// What the norm reads: x, the sum x + h, or the GLU.
  Func normIn() const { return addsResidual() ? sum : computesGLU() ? glu : Func(x); }
  // GPU with the residual: the sum and the codes, one Func (one launch).
  Func sumAndCodes{"sum_and_q"};
  Var d{"d"}, m{"m"};
  RDom rd;
  Var j{"j"};
  RDom squares, maxima;
  Func partials{"square_partials"}, ss{"ss"}, inv{"inv"}, a{"a"}, amax{"amax"},
      partialMaxima{"max_partials"}, scale{"scale"}, qv{"q"},
      qsum{"qsum"};
  // GPU: the scale and the codes' sum are one output Func, computed with
  // the codes in their launch.
  Func stats{"stats"}, codeSum{"code_sum"};
};

void RMSNormQuantGenerator::define() {
  const int64_t D = spec.n, M = spec.m;
  constrain(x, {D, M});
  constrain(wn, {D});
  built.args = {x, wn};
  if (addsResidual()) {
    constrain(h, {D, M});
    sum(d, m) = x(d, m) + h(d, m);
    built.args = {x, h, wn};
  } else if (computesGLU()) {
    constrain(gate, {D, M});
    constrain(up, {D, M});
    glu(d, m) = gluValue(gate(d, m), up(d, m), spec.activation);
    built.args = {gate, up, wn};
  }
  rd = RDom(0, i32(D), "rd");
  Func in = normIn();
  squares = defineInverseRMS(partials, ss, inv, in, j, m, D, spec.eps, target);
  a(d, m) = (in(d, m) * inv(m)) * wn(d);
  amax(m) = 0.0f;
  if (target.family == ScheduleFamily::GPU) {
    amax(m) = max(amax(m), abs(a(rd, m)));
  } else {
    // CPU: one vector of partial maxima (lane j sees elements j, j + lanes,
    // ...), then their maximum: the same value as a maximum in the row's
    // order. A maximum folded into one scalar per vector of elements ran as
    // a chain of scalar vmaxss (8 per 8 elements), serial: 1% of a 2B-4T
    // prompt's time.
    const int64_t lanes = target.lanes;
    maxima = RDom(0, i32((D + lanes - 1) / lanes), "r_maxima");
    RDom rj(0, i32(lanes), "r_lanes");
    Expr at = maxima * i32(lanes) + j;
    // Past the row's end a lane takes 0, which leaves its maximum as it is.
    Expr v = D % lanes == 0 ? abs(a(at, m))
                            : select(at < i32(D), abs(a(min(at, i32(D - 1)), m)), 0.0f);
    partialMaxima(j, m) = 0.0f;
    partialMaxima(j, m) = max(partialMaxima(j, m), v);
    amax(m) = max(amax(m), partialMaxima(rj, m));
  }
  scale(m) = 127.0f / max(amax(m), 1e-5f);
  auto code = [](Expr normed, Expr s) {
    return cast<int8_t>(clamp(round(normed * s), -128.0f, 127.0f));
  };
  if (target.family == ScheduleFamily::GPU) {
    // Outputs q (after the sum, where the kernel adds the residual: one
    // Func of both), then stats = (scale, sum of codes): the same arguments
    // in the same order as the CPU's outputs. Both read the scale, neither
    // reads the other (Halide computes two outputs in one loop nest only
    // then): the codes' sum recomputes each code.
    codeSum(m) = 0;
    codeSum(m) += cast<int32_t>(code(a(rd, m), scale(m)));
    stats(m) = Tuple(scale(m), codeSum(m));
    qv(d, m) = code(a(d, m), scale(m));
    // (A Tuple's other buffers are held to its first's extent by Halide.)
    constrain(stats.output_buffers()[0], {M});
    if (addsResidual()) {
      sumAndCodes(d, m) = Tuple(sum(d, m), qv(d, m));
      constrain(sumAndCodes.output_buffers()[0], {D, M});
      built.outputs = {sumAndCodes, stats};
      return;
    }
    constrain(qv.output_buffer(), {D, M});
    built.outputs = {qv, stats};
    return;
  }
  qv(d, m) = code(a(d, m), scale(m));
  qsum(m) = 0;
  qsum(m) += cast<int32_t>(qv(rd, m));
  constrain(qv.output_buffer(), {D, M});
  constrain(scale.output_buffer(), {M});
  constrain(qsum.output_buffer(), {M});
  built.outputs = {qv, scale, qsum};
  if (addsResidual()) {
    constrain(sum.output_buffer(), {D, M});
    built.outputs.insert(built.outputs.begin(), sum);
  }
}

void RMSNormQuantGenerator::scheduleCPU() {
  const int vec = target.lanes;
  // The sum of squares in the reference's order (32 interleaved partial
  // sums: it feeds the integer codes), tokens in parallel. The maximum and the
  // integer sum are exact in any order: vector reductions, on the
  // calling thread (a prompt chunk's parallel loops are small, and each
  // costs a hand-off between threads).
  scheduleCPUInverseRMS(partials, ss, squares, j, m, target.lanes);
  amax.compute_root();
  partialMaxima.compute_at(amax, m).vectorize(j, vec);
  partialMaxima.update().reorder(j, maxima.x).vectorize(j, vec);
  qsum.compute_root();
  qsum.update().atomic().vectorize(rd, vec);
  a.compute_root().vectorize(d, vec, TailStrategy::GuardWithIf).parallel(m);
  scale.compute_root();
  qv.vectorize(d, vec, TailStrategy::GuardWithIf).parallel(m);
  if (addsResidual())
    sum.vectorize(d, vec, TailStrategy::GuardWithIf).parallel(m);
  // The GLU inline, computed twice (the sum of squares, then the
  // normalised values that `a` stores): a buffer of it would be allocated
  // on every call (442 KB at 16 tokens of 6912, past malloc's mmap
  // threshold: fresh pages each call; 2.4% of a 2B-4T prompt's time on one
  // thread), which costs more than a second evaluation.
}

void RMSNormQuantGenerator::scheduleGPU() {
  // One launch, a block per token: 1/rms (the sum of squares in the
  // reference's order, its 32 partial sums a warp's lanes: it feeds the
  // integer codes, which must match exactly), the maximum block-wide (exact
  // in any order) and the scale, once each; then the codes, the block's
  // threads striding along the row; then the codes' integer sum
  // block-wide and the stats.
  Func codes = addsResidual() ? sumAndCodes : qv;
  gpuBlockPerRow(codes.compute_root(), d, m, kGPURowThreads);
  stats.compute_root().gpu_blocks(m).compute_with(codes, m);
  scheduleGPUInverseRMS(partials, ss, inv, j, codes, m);
  amax.compute_at(codes, m);
  scheduleGPUBlockPartials(amax, rd, m, target.gpuThreads);
  scale.compute_at(codes, m);
  codeSum.compute_at(stats, m);
  scheduleGPUBlockPartials(codeSum, rd, m, target.gpuThreads);
}

/// RMSNorm alone, in the reference's order (the sum of squares' partials):
/// the final norm before the LM head, a kernel so that a GPU model's hidden
/// state need not come back to the host for it.
class RMSNormGenerator : public KernelGenerator {
public:
  using KernelGenerator::KernelGenerator;

private:
  void define() override {
    const int64_t D = spec.n, M = spec.m;
    constrain(x, {D, M});
    constrain(wn, {D});
    squares = defineInverseRMS(partials, ss, inv, x, j, m, D, spec.eps, target);
    y(d, m) = (x(d, m) * inv(m)) * wn(d);
    constrain(y.output_buffer(), {D, M});
    built.outputs = {y};
    built.args = {x, wn};
  }
  void scheduleCPU() override {
    scheduleCPUInverseRMS(partials, ss, squares, j, m, target.lanes);
    y.vectorize(d, target.lanes, TailStrategy::GuardWithIf).parallel(m);
  }
  void scheduleGPU() override {
    // One launch: a block per token, 1/rms inside it.
    gpuBlockPerRow(y, d, m, kGPURowThreads);
    scheduleGPUInverseRMS(partials, ss, inv, j, y, m);
  }

  ImageParam x{Float(32), 2, "x"}; // [d, m]
  ImageParam wn{Float(32), 1, "norm_weight"};
  Var d{"d"}, m{"m"};
  Var j{"j"};
  RDom squares;
  Func partials{"square_partials"}, ss{"ss"}, inv{"inv"}, y{"y"};
};

//===--------------------------------------------------------------------===//
// Element-wise kernels: one output y(d, m), vectors along d, tokens in
// parallel (RoPE, GLU, add, embedding)
//===--------------------------------------------------------------------===//

class ElementwiseGenerator : public KernelGenerator {
public:
  using KernelGenerator::KernelGenerator;

protected:
  void scheduleCPU() override {
    y.vectorize(d, target.lanes, TailStrategy::GuardWithIf).parallel(m);
  }
  void scheduleGPU() override { gpuTileAll(y, d, {m}, target.gpuThreads); }

  Var d{"d"}, m{"m"};
  Func y{"y"};
};

/// The cosine and sine of RoPE's angle for pair i of token m (at position
/// + m): a Func of its own, so that a CPU schedule computes them once per
/// token and pair rather than once per head (on a 2B-4T's queries 64
/// pairs against 2560 elements a token; each a call of the C library's
/// cosf and sinf, as the reference computes them). The inverse
/// frequencies are computed here exactly as the reference does.
Func ropeRotation(Var i, Var m, Expr position, int64_t headDim, float theta) {
  const int64_t half = headDim / 2;
  Buffer<float> invFreq(static_cast<int>(half), "inv_freq");
  for (int64_t k = 0; k < half; ++k)
    invFreq(static_cast<int>(k)) =
        std::pow(theta, -static_cast<float>(2 * k) / static_cast<float>(headDim));
  Func rotation("rope_rotation");
  Expr angle = cast<float>(position + m) * invFreq(i);
  rotation(i, m) = Tuple(cos(angle), sin(angle));
  return rotation;
}

/// RoPE (rotate-half) of x [width, m] at (d, m), by ropeRotation's table.
Expr ropeValue(Func x, Var d, Var m, int64_t headDim, int64_t width, Func rotation) {
  const int64_t half = headDim / 2;
  Expr i = d % i32(headDim);
  Expr first = i < i32(half);
  // Clamps only help bounds inference see the index ranges; they never bind.
  Expr pair = clamp(select(first, i, i - i32(half)), 0, i32(half - 1));
  Expr partner =
      x(clamp(select(first, d + i32(half), d - i32(half)), 0, i32(width - 1)), m);
  Expr c = rotation(pair, m)[0], sn = rotation(pair, m)[1];
  return select(first, x(d, m) * c - partner * sn, x(d, m) * c + partner * sn);
}

/// RoPE (rotate-half).
class RoPEGenerator : public ElementwiseGenerator {
public:
  using ElementwiseGenerator::ElementwiseGenerator;

private:
  void define() override {
    const int64_t D = spec.heads * spec.headDim, M = spec.m;
    constrain(x, {D, M});
    rotation = ropeRotation(pair, m, position, spec.headDim, spec.theta);
    y(d, m) = ropeValue(x, d, m, spec.headDim, D, rotation);
    constrain(y.output_buffer(), {D, M});
    built.outputs = {y};
    built.args = {x, position};
  }
  void scheduleCPU() override {
    ElementwiseGenerator::scheduleCPU();
    // Each token's table before its rows (on GPUs: inline, per element).
    rotation.compute_at(y, m);
  }

  ImageParam x{Float(32), 2, "x"}; // [d, m]
  Param<int32_t> position{"position"};
  Var pair{"pair"};
  Func rotation;
};

/// RoPE of the queries and the keys, the values copied beside the keys: the
/// rows an attention layer reads and appends to its caches, in one kernel
/// (on a GPU one launch instead of two RoPE launches and a copy).
class RoPEQKVGenerator : public KernelGenerator {
public:
  using KernelGenerator::KernelGenerator;

private:
  void define() override {
    const int64_t hd = spec.headDim, queryWidth = spec.heads * hd,
                  kvWidth = spec.kvHeads * hd, M = spec.m;
    constrain(query, {queryWidth, M});
    constrain(key, {kvWidth, M});
    constrain(value, {kvWidth, M});
    rotation = ropeRotation(pair, m, position, hd, spec.theta);
    queryRotated(d, m) = ropeValue(query, d, m, hd, queryWidth, rotation);
    keyAndValue(d, m) = Tuple(ropeValue(key, d, m, hd, kvWidth, rotation), value(d, m));
    constrain(queryRotated.output_buffer(), {queryWidth, M});
    // (A Tuple's other buffers are held to its first's extent by Halide.)
    constrain(keyAndValue.output_buffers()[0], {kvWidth, M});
    built.outputs = {queryRotated, keyAndValue};
    built.args = {query, key, value, position};
  }
  void scheduleCPU() override {
    for (Func f : {queryRotated, keyAndValue})
      f.vectorize(d, target.lanes, TailStrategy::GuardWithIf).parallel(m);
    // One table for both outputs (on GPUs: inline, per element).
    rotation.compute_root();
  }
  void scheduleGPU() override {
    // One launch, a block per token: the keys and values are computed in
    // the queries' per-token loop (two outputs of different widths).
    gpuBlockPerRow(queryRotated, d, m, kGPURowThreads);
    gpuBlockPerRow(keyAndValue, d, m, kGPURowThreads);
    keyAndValue.compute_with(queryRotated, m);
  }

  ImageParam query{Float(32), 2, "query"}; // [d, m]
  ImageParam key{Float(32), 2, "key"}, value{Float(32), 2, "value"};
  Param<int32_t> position{"position"};
  Var d{"d"}, m{"m"}, pair{"pair"};
  Func queryRotated{"query_rotated"}, keyAndValue{"key_and_value"}, rotation;
};

class GLUGenerator : public ElementwiseGenerator {
public:
  using ElementwiseGenerator::ElementwiseGenerator;

private:
  void define() override {
    constrain(gate, {spec.n, spec.m});
    constrain(up, {spec.n, spec.m});
    y(d, m) = gluValue(gate(d, m), up(d, m), spec.activation);
    constrain(y.output_buffer(), {spec.n, spec.m});
    built.outputs = {y};
    built.args = {gate, up};
  }

  ImageParam gate{Float(32), 2, "gate"}, up{Float(32), 2, "up"};
};

class AddGenerator : public ElementwiseGenerator {
public:
  using ElementwiseGenerator::ElementwiseGenerator;

private:
  void define() override {
    constrain(a, {spec.n, spec.m});
    constrain(b, {spec.n, spec.m});
    y(d, m) = a(d, m) + b(d, m);
    constrain(y.output_buffer(), {spec.n, spec.m});
    built.outputs = {y};
    built.args = {a, b};
  }

  ImageParam a{Float(32), 2, "a"}, b{Float(32), 2, "b"};
};

/// Rows moved between two views whose rows may be strided (innermost
/// stride 1): a GPU glue's projection splits and KV-cache appends, which
/// would otherwise bring the buffers back to the host.
class CopyGenerator : public ElementwiseGenerator {
public:
  using ElementwiseGenerator::ElementwiseGenerator;

private:
  void define() override {
    constrain(x, {spec.n, spec.m});
    y(d, m) = x(d, m);
    constrain(y.output_buffer(), {spec.n, spec.m});
    built.outputs = {y};
    built.args = {x};
  }

  ImageParam x{Float(32), 2, "x"};
};

class EmbeddingGenerator : public ElementwiseGenerator {
public:
  using ElementwiseGenerator::ElementwiseGenerator;

private:
  void define() override {
    constrain(table, {spec.n, spec.vocab});
    constrain(tokens, {spec.m});
    // Out-of-range ids read a clamped row; callers validate ids first.
    Expr id = clamp(tokens(m), 0, i32(spec.vocab - 1));
    y(d, m) = halfBitsToFloat(table(d, id));
    constrain(y.output_buffer(), {spec.n, spec.m});
    built.outputs = {y};
    built.args = {table, tokens};
  }

  ImageParam table{UInt(16), 2, "table"}; // f16 bits [n, vocab]
  ImageParam tokens{Int(32), 1, "tokens"};
};

//===--------------------------------------------------------------------===//
// Attention over one layer's cache: rows 0 .. position + m are valid.
//===--------------------------------------------------------------------===//

class AttentionGenerator : public KernelGenerator {
public:
  using KernelGenerator::KernelGenerator;

private:
  void define() override;
  void scheduleCPU() override;
  void scheduleGPU() override;

  ImageParam q{Float(32), 2, "q"};        // [H*hd, m]
  ImageParam kc{Float(32), 2, "k_cache"}; // [KV*hd, context]
  ImageParam vc{Float(32), 2, "v_cache"};
  Param<int32_t> position{"position"};
  Var t{"t"}, h{"h"}, m{"m"}, d{"d"}, l{"l"}, dd{"dd"};
  Func dotp{"dot"}, lane{"lane"}, score{"score"}, mx{"mx"}, e{"e"},
      sum{"sum"}, weight{"weight"}, acc{"acc"}, y{"y"};
  // CPU: the lanes' sums halved until one is left (laneDot).
  std::vector<Func> laneHalves;
  // GPU decode past the first chunk of rows (splitRows): each chunk's
  // scores, maximum, exponentials, their sum and weighted values (`part`:
  // the head dimension's sums, then the sum, then the maximum), and the
  // chunks combined (`whole`). Their own Funcs: the same rows scored for
  // another consumer.
  Func chunkDot{"chunk_dot"}, chunkScore{"chunk_score"}, chunkMax{"chunk_max"},
      chunkExp{"chunk_exp"}, chunkSum{"chunk_sum"}, chunkAcc{"chunk_acc"}, part{"part"},
      wholeMax{"whole_max"}, wholeSum{"whole_sum"}, wholeAcc{"whole_acc"};
  // GPU: the most cache rows whose scores and exponentials one block keeps
  // (8 bytes a row), and its most threads.
  static constexpr int64_t kMaxOneLaunchRows = 4096, kMaxBlockThreads = 256;
  // GPU decode: cache rows per block of the split schedule.
  static constexpr int64_t kChunkRows = 256;
  // CPU decode: cache rows per task of the split schedule.
  static constexpr int64_t kCpuChunkRows = 64;
  // CPU: cache rows whose values one pass over the head dimension's slices
  // reads (scheduleCPU).
  static constexpr int64_t kValueRunRows = 16;
  // CPU prompts: the most vectors of queries a block scores together.
  static constexpr int64_t kBlockQueryVectors = 4;
  // CPU prompts: the fewest tasks (KV heads x blocks) a larger block may
  // leave a chunk.
  static constexpr int64_t kMinPromptTasks = 8;
  RDom rk, rt, rr, rc, rb, rq;
  Expr longPosition;
  int64_t hd = 0;
  bool laneDot = false, splitRows = false, cpuSplit = false, queryBlocks = false;
  /// CPU prompts (queryBlocks): the tokens of a block, and its queries (a
  /// vector: query j is head j % group of token j / group).
  int64_t blockTokens = 0, blockQueries = 0;
  Var j{"j"}, b{"b"};
  Func queryBlock{"query_block"}, blockDot{"block_dot"}, blockScore{"block_score"},
      blockMax{"block_max"}, blockExp{"block_exp"}, blockSum{"block_sum"},
      blockWeight{"block_weight"}, blockAcc{"block_acc"}, blockLast{"block_last"},
      blockKeys{"block_keys"};
  /// The split schedule, where y's block variable over heads is `head`.
  void scheduleGPUSplitRows(Var head);
  /// CPU prompts: a task per (KV head, block of tokens).
  void scheduleCPUQueryBlocks();
  /// CPU weighted values (an update of acc(d, query, ...) over the cache
  /// rows `row`): `slice` vectors of the head dimension x the `query`
  /// loop's queries at a time, the rows in runs of kValueRunRows that every
  /// slice (and every `queryPass`, where the queries take several) walks in
  /// turn.
  void scheduleValueRuns(Stage values, Var query, RVar row, int64_t slice,
                         std::optional<Var> queryPass = std::nullopt,
                         int64_t runRows = kValueRunRows);
  /// GPU: the one-launch schedule's groups of rows, and whether the
  /// schedule fits (rows, threads, shared memory).
  int rowGroups() const;
  bool oneLaunch() const;
};

void AttentionGenerator::define() {
  const int64_t H = spec.heads, KV = spec.kvHeads, C = spec.context,
                M = spec.m, group = H / KV;
  hd = spec.headDim;
  constrain(q, {H * hd, M});
  constrain(kc, {KV * hd, C});
  constrain(vc, {KV * hd, C});
  Expr kvh = h / i32(group);
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  // On CPUs whose vector holds a whole number of steps of the head
  // dimension, q . k runs along the contiguous head dimension: `lanes`
  // partial sums, then one horizontal sum. (Vectorizing across cache rows
  // instead turns every load of k into a gather: ~100 cycles per row.)
  const int lanes = target.lanes;
  laneDot = lanes > 1 && hd % lanes == 0 && hd > lanes;
  if (laneDot) {
    rk = RDom(0, i32(hd / lanes), "rk");
    Expr d0 = rk * lanes + l;
    // (A block of rows past the cache's last row, computed and never used,
    // reads that row.)
    lane(l, t, h, m) = 0.0f;
    lane(l, t, h, m) = lane(l, t, h, m) +
                       q(h * i32(hd) + d0, m) * kc(kvh * i32(hd) + d0, min(t, i32(C - 1)));
    // The lanes' sums added pairwise, half the vector onto the other half
    // (vector adds and shuffles; strict float keeps a sum over the lanes as
    // written, one scalar add after another).
    Func level = lane;
    for (int width = lanes / 2; width >= 1; width /= 2) {
      Func half("lane_half" + std::to_string(width));
      half(l, t, h, m) = level(l, t, h, m) + level(l + width, t, h, m);
      laneHalves.push_back(half);
      level = half;
    }
    dotp(t, h, m) = level(0, t, h, m);
  } else {
    RDom rd(0, i32(hd), "rd");
    dotp(t, h, m) = 0.0f;
    dotp(t, h, m) = dotp(t, h, m) + q(h * i32(hd) + rd, m) * kc(kvh * i32(hd) + rd, t);
  }
  score(t, h, m) = dotp(t, h, m) * scale;
  // Rows visible to token m: 0 .. last(m), clamped to the cache.
  Expr last = min(position + m, i32(C - 1));
  rt = RDom(0, i32(C), "rt");
  rt.where(rt <= last);
  mx(h, m) = cast<float>(-INFINITY);
  mx(h, m) = max(mx(h, m), score(rt, h, m));
  e(t, h, m) = exp(score(t, h, m) - mx(h, m));
  sum(h, m) = 0.0f;
  sum(h, m) = sum(h, m) + e(rt, h, m);
  acc(d, h, m) = 0.0f;
  // (The CPUs compute each row's weight once, vectorized; GPUs inline it.)
  weight(t, h, m) = e(t, h, m) / sum(h, m);
  acc(d, h, m) = acc(d, h, m) + weight(rt, h, m) * vc(kvh * i32(hd) + d, rt);
  // A generated token on a GPU has a block per head in the schedule above:
  // 20 blocks of a 132-SM GPU for a 2B-4T, each streaming its head's whole
  // cache. Past the first kChunkRows rows it instead spreads the rows over
  // a block per chunk and head (flash-decoding): each chunk's softmax
  // relative to its own maximum, then the chunks rescaled to the largest
  // (exp(max_c - max)) and added (a float sum in another order than the
  // reference's, within the attention kernels' bound). Several tokens keep
  // the one launch (a block per head and token is parallel enough) where
  // it fits; where it does not (a cache past the rows one block keeps),
  // they take the same two launches, a block per (chunk, head, token).
  // (The chunk's block has a thread per head-dimension element and two
  // more: hd + 2 within the block's most threads.)
  // On CPUs a generated token splits its rows the same way, in chunks of
  // kCpuChunkRows: a task per chunk, for every head (scheduleCPU), instead
  // of one per KV head (5 tasks of a 2B-4T on 2 threads left one thread a
  // third of the time idle, and more threads got nothing more to do).
  cpuSplit = target.family == ScheduleFamily::CPU && laneDot && M == 1 && C > kCpuChunkRows;
  // CPU prompts where a vector holds the group's heads of several tokens
  // (2B-4T: 2 tokens on AVX2, 4 on AVX-512): a task per (KV head, block of
  // a few such vectors' tokens), each cache row read once for the block
  // instead of once per token. The block's queries are scored against a
  // few rows at a time: q . k as a sum over the head dimension of a
  // broadcast k element times the queries' vectors (no horizontal sums),
  // the softmax vectorized over the queries. A query's rows past its own
  // last (a later token's) get zero weight, so its max, sums and weighted
  // values are those of its own rows, added in the reference's order
  // (q . k too, along the head dimension).
  //
  // A block holds up to kBlockQueryVectors vectors of queries: each key and
  // value row read from L2 or L3 then serves that many more products. With
  // a single vector (2 tokens of a 2B-4T on AVX2) the weighted values
  // waited on every value row. Fewer vectors where the tasks would be fewer
  // than kMinPromptTasks (a 2B-4T's 8-token chunks: 4 vectors make 5 tasks,
  // which leave threads idle), one where nothing larger divides M.
  if (target.family == ScheduleFamily::CPU && M > 1 && hd % lanes == 0 && lanes % group == 0 &&
      lanes / group >= 2)
    for (int64_t vectors = kBlockQueryVectors; vectors >= 1 && !queryBlocks; vectors /= 2) {
      blockTokens = lanes / group * vectors;
      queryBlocks = M % blockTokens == 0 &&
                    (vectors == 1 || KV * (M / blockTokens) >= kMinPromptTasks);
    }
  if (queryBlocks) {
    const int64_t tb = blockTokens;
    blockQueries = tb * group;
    Var kv("kv");
    Expr token = b * i32(tb) + j / i32(group);
    queryBlock(j, d, kv, b) = q((kv * i32(group) + j % i32(group)) * i32(hd) + d, token);
    rq = RDom(0, i32(hd), "rq");
    blockKeys(d, t, kv, b) = kc(kv * i32(hd) + d, min(t, i32(C - 1)));
    blockDot(j, t, kv, b) = 0.0f;
    blockDot(j, t, kv, b) =
        blockDot(j, t, kv, b) + queryBlock(j, rq, kv, b) * blockKeys(rq, t, kv, b);
    blockScore(j, t, kv, b) = blockDot(j, t, kv, b) * scale;
    // The rows of the block's last token, and each query's own.
    rb = RDom(0, i32(C), "rb");
    rb.where(rb <= min(position + b * i32(tb) + i32(tb - 1), i32(C - 1)));
    // Each query's last row, a vector computed once a task (j / group
    // written into the softmax's expressions split its vectors into pairs
    // of lanes).
    blockLast(j, kv, b) = position + token;
    Expr visible = t <= blockLast(j, kv, b);
    Expr visibleRow = rb <= blockLast(j, kv, b);
    blockMax(j, kv, b) = cast<float>(-INFINITY);
    blockMax(j, kv, b) = max(blockMax(j, kv, b),
                             select(visibleRow, blockScore(j, rb, kv, b), cast<float>(-INFINITY)));
    blockExp(j, t, kv, b) =
        select(visible, exp(blockScore(j, t, kv, b) - blockMax(j, kv, b)), 0.0f);
    blockSum(j, kv, b) = 0.0f;
    blockSum(j, kv, b) = blockSum(j, kv, b) + blockExp(j, rb, kv, b);
    blockWeight(j, t, kv, b) = blockExp(j, t, kv, b) / blockSum(j, kv, b);
    blockAcc(d, j, kv, b) = 0.0f;
    blockAcc(d, j, kv, b) =
        blockAcc(d, j, kv, b) + blockWeight(j, rb, kv, b) * vc(kv * i32(hd) + d, rb);
  }
  splitRows = cpuSplit || (target.family == ScheduleFamily::GPU && C > kChunkRows &&
                           hd + 2 <= kMaxBlockThreads && (M == 1 || !oneLaunch()));
  if (splitRows) {
    const int64_t chunkRows = cpuSplit ? kCpuChunkRows : kChunkRows;
    const int64_t chunks = (C + chunkRows - 1) / chunkRows;
    const int R = i32(chunkRows);
    Var c("c");
    if (cpuSplit) {
      // CPUs score a chunk's rows with the lane-wise scores above (no
      // other consumer scores them there).
      chunkScore(t, h, m) = score(t, h, m);
    } else {
      RDom rd(0, i32(hd), "rd_chunk");
      // The last chunk's rows past the cache are never used (rr's
      // predicate); the clamp keeps Halide's bounds inside the buffers.
      Expr cached = min(t, i32(C - 1));
      chunkDot(t, h, m) = 0.0f;
      chunkDot(t, h, m) =
          chunkDot(t, h, m) + q(h * i32(hd) + rd, m) * kc(kvh * i32(hd) + rd, cached);
      chunkScore(t, h, m) = chunkDot(t, h, m) * scale;
    }
    rr = RDom(0, R, "rr");
    rr.where(c * R + rr <= last);
    Expr row = c * R + rr;
    chunkMax(c, h, m) = cast<float>(-INFINITY);
    chunkMax(c, h, m) = max(chunkMax(c, h, m), chunkScore(row, h, m));
    chunkExp(t, h, m) = exp(chunkScore(t, h, m) - chunkMax(t / R, h, m));
    chunkSum(c, h, m) = 0.0f;
    chunkSum(c, h, m) = chunkSum(c, h, m) + chunkExp(row, h, m);
    chunkAcc(d, c, h, m) = 0.0f;
    chunkAcc(d, c, h, m) = chunkAcc(d, c, h, m) +
                           chunkExp(row, h, m) * vc(kvh * i32(hd) + d, min(row, i32(C - 1)));
    part(d, c, h, m) = select(d < i32(hd), chunkAcc(min(d, i32(hd - 1)), c, h, m),
                              d == i32(hd), chunkSum(c, h, m), chunkMax(c, h, m));
    rc = RDom(0, i32(chunks), "rc");
    rc.where(rc * R <= last);
    Expr chunkMaxOf = part(i32(hd + 1), rc, h, m);
    wholeMax(h, m) = cast<float>(-INFINITY);
    wholeMax(h, m) = max(wholeMax(h, m), chunkMaxOf);
    Expr rescale = exp(chunkMaxOf - wholeMax(h, m));
    wholeSum(h, m) = 0.0f;
    wholeSum(h, m) = wholeSum(h, m) + part(i32(hd), rc, h, m) * rescale;
    wholeAcc(d, h, m) = 0.0f;
    wholeAcc(d, h, m) = wholeAcc(d, h, m) + part(d, rc, h, m) * rescale;
    // (Used beside the one launch, so M = 1: the token's last visible row,
    // position, is past the first chunk.)
    longPosition = position >= R;
    Expr split = wholeAcc(dd % i32(hd), dd / i32(hd), m) / wholeSum(dd / i32(hd), m);
    // Where the one launch fits, it serves the first chunk's positions.
    if (!cpuSplit && oneLaunch())
      y(dd, m) = select(longPosition, split, acc(dd % i32(hd), dd / i32(hd), m));
    else
      y(dd, m) = split;
  } else if (queryBlocks) {
    Expr head = dd / i32(hd);
    y(dd, m) = blockAcc(dd % i32(hd), (m % i32(blockTokens)) * i32(group) + head % i32(group),
                        head / i32(group), m / i32(blockTokens));
  } else {
    y(dd, m) = acc(dd % i32(hd), dd / i32(hd), m);
  }
  constrain(y.output_buffer(), {H * hd, M});
  built.outputs = {y};
  built.args = {q, kc, vc, position};
}

void AttentionGenerator::scheduleCPUQueryBlocks() {
  const int vec = target.lanes;
  const int64_t group = spec.heads / spec.kvHeads;
  const int64_t accumulators = target.vectorRegisters / 2;
  Var hh("hh"), di("di"), kv("kv"), g("g"), mb("mb"), mi("mi"), task("task");
  y.split(dd, hh, di, i32(hd), TailStrategy::RoundUp)
      .split(hh, kv, g, i32(group))
      .split(m, mb, mi, i32(blockTokens))
      .reorder(di, g, mi, kv, mb)
      .fuse(kv, mb, task)
      .parallel(task)
      .vectorize(di, vec);
  // (Each with the block's queries as a constant extent: vectors, unrolled
  // chains and registers, not loops over a computed extent.)
  for (Func f : {queryBlock, blockLast, blockScore, blockMax, blockExp, blockSum, blockWeight,
                 blockAcc})
    f.compute_at(y, task).bound(j, 0, i32(blockQueries));
  queryBlock.vectorize(j, vec);
  // A few cache rows at a time against the block's query vectors: a chain
  // per (row, query vector), each k element broadcast once for the block,
  // the rows' keys first copied side by side (8 interleaved row streams
  // from L2 or L3 held the loop back). The block's sums have constant
  // extents (bound_extent) so that they live in registers.
  const int64_t queryVectors = blockQueries / vec;
  const int rows = static_cast<int>(std::max<int64_t>(1, accumulators / queryVectors));
  Var to("to"), ti("ti");
  blockScore.split(t, to, ti, rows, TailStrategy::GuardWithIf)
      .reorder(j, ti, to)
      .vectorize(j, vec)
      .unroll(j)
      .unroll(ti);
  blockDot.compute_at(blockScore, to)
      .bound(j, 0, i32(blockQueries))
      .bound_extent(t, rows)
      .vectorize(j, vec)
      .unroll(j)
      .unroll(t);
  blockDot.update().reorder(j, t, rq.x).vectorize(j, vec).unroll(j).unroll(t);
  blockKeys.compute_at(blockScore, to).bound_extent(t, rows).vectorize(d, vec);
  // The softmax's rows in order, the block's queries side by side.
  for (Func f : {blockMax, blockSum})
    f.update().reorder(j, rb.x).vectorize(j, vec).unroll(j);
  blockExp.vectorize(j, vec);
  blockWeight.vectorize(j, vec);
  // Weighted values: two vectors of the head dimension for a pass's
  // queries (slice x queries accumulators; 8 queries a pass needed a
  // broadcast weight for each product), the rows in runs whose values stay
  // in L1 across the slices and passes (as scheduleCPU's).
  const int64_t vectors = hd / vec;
  int64_t slice = vectors % 2 == 0 ? 2 : 1;
  int64_t passQueries = std::max<int64_t>(1, accumulators / slice);
  while (blockQueries % passQueries != 0)
    --passQueries;
  Var jo("jo"), ji("ji");
  blockAcc.vectorize(d, vec);
  scheduleValueRuns(blockAcc.update().split(j, jo, ji, i32(passQueries)), ji, rb.x, slice, jo);
}

void AttentionGenerator::scheduleValueRuns(Stage values, Var query, RVar row, int64_t slice,
                                           std::optional<Var> queryPass, int64_t runRows) {
  Var dv("dv"), dl("dl"), dvo("dvo"), dvi("dvi");
  RVar rto("rto"), rti("rti");
  std::vector<VarOrRVar> order = {dl, dvi, query, rti, dvo};
  if (queryPass)
    order.push_back(*queryPass);
  order.push_back(rto);
  values.split(d, dv, dl, target.lanes)
      .split(dv, dvo, dvi, i32(slice))
      .split(row, rto, rti, i32(runRows))
      .reorder(order)
      .vectorize(dl)
      .unroll(dvi)
      .unroll(query);
}

void AttentionGenerator::scheduleCPU() {
  if (queryBlocks) {
    scheduleCPUQueryBlocks();
    return;
  }
  // One task per (KV head, token): the query heads that share a KV head
  // (the group) read each cache row once. With a task per query head each
  // head streamed its KV head's rows on its own: a group's times the cache
  // traffic (4x for a 2B-4T), which made attention 66% of a 2048-token
  // prompt and 53% of a token generated after it. A generated token past
  // the first chunk of rows (cpuSplit) has a task per (KV head, chunk).
  const int vec = target.lanes;
  const int64_t group = spec.heads / spec.kvHeads;
  // Accumulators kept in vector registers, with room for the operands.
  const int64_t accumulators = target.vectorRegisters / 2;
  const bool groupInRegisters = group <= accumulators;
  // cpuSplit: a task holds a chunk's rows for every KV head; it scores
  // one row at a time against every head (a KV head's group at a time) and
  // adds each row's values into every head's sums (in L1) before the next
  // row: the rows read in order, whole.
  const bool allHeads = cpuSplit && groupInRegisters;
  Var hh("hh"), di("di"), kv("kv"), g("g"), task("task"), hk("hk"), hg("hg");
  // The softmax of a task's rows: the whole cache's, or a chunk's.
  Func rowMax = mx, rowExp = e, rowSum = sum, rowAcc = acc;
  RDom rows = rt;
  if (cpuSplit) {
    Var c("c");
    rowMax = chunkMax, rowExp = chunkExp, rowSum = chunkSum, rowAcc = chunkAcc;
    rows = rr;
    // Each chunk's weighted values, sum and maximum (`part`) by its task;
    // then per head the chunks rescaled and added, on the calling thread
    // (chunks x head_dim multiplies and adds a head). A task reads its
    // chunk's rows whole and in order, every KV head of a row before the
    // next row (allHeads below): a cache row holds every head's keys (or
    // values) side by side, kv_dim floats, and one sequential stream is
    // what the hardware prefetchers keep up with. Reading each head's
    // 512 of a 2B-4T row's 2560 bytes down the rows, or a few rows at a
    // time for every head, read half as fast: on one Zen 4 core, summing
    // the caches of 30 layers at depth 1024, 11-12 and 12-14 GB/s against
    // 25-29 in order (software prefetches did not help).
    part.compute_root()
        .split(h, kv, g, i32(group))
        .reorder(d, g, kv, c, m)
        .parallel(c);
    for (Func f : {dotp, score, chunkMax, chunkExp, chunkSum, chunkAcc})
      f.compute_at(part, c);
    y.split(dd, hh, di, i32(hd), TailStrategy::RoundUp).vectorize(di, vec);
    for (Func f : {wholeMax, wholeSum, wholeAcc})
      f.compute_at(y, hh);
    wholeAcc.vectorize(d, vec);
    wholeAcc.update().vectorize(d, vec);
  } else {
    y.split(dd, hh, di, i32(hd), TailStrategy::RoundUp)
        .split(hh, kv, g, i32(group))
        .fuse(kv, m, task)
        .parallel(task);
    for (Func f : {dotp, score, mx, e, sum, weight, acc})
      f.compute_at(y, task);
    weight.vectorize(t, vec, TailStrategy::GuardWithIf);
  }
  if (laneDot) {
    // A few cache rows at a time against every head of the group: rows x
    // group independent chains of multiplies and adds over the head
    // dimension, each k vector loaded once for the group and each q vector
    // once for the rows (one row with allHeads, every KV head in turn).
    const int rows =
        allHeads           ? 1
        : groupInRegisters ? static_cast<int>(std::min<int64_t>(4, accumulators / group))
                           : 4;
    // The block's sums have constant extents (bound_extent: a last block
    // past the visible rows computes them too), so that they live in
    // registers, not in an array indexed by the block's size.
    Var to("to"), ti("ti");
    dotp.split(t, to, ti, rows, TailStrategy::GuardWithIf).unroll(ti);
    Var dotAt = to;
    if (allHeads) {
      dotp.split(h, hk, hg, i32(group));
      dotAt = hk;
    }
    lane.compute_at(dotp, dotAt).bound_extent(t, rows).vectorize(l);
    for (Func half : laneHalves)
      half.compute_at(dotp, dotAt).bound_extent(t, rows).vectorize(l).unroll(t);
    if (groupInRegisters) {
      if (allHeads)
        dotp.reorder(ti, hg, hk, to).unroll(hg);
      else
        dotp.reorder(ti, h, to).unroll(h);
      lane.update().reorder(l, t, h, rk).vectorize(l).unroll(t).unroll(h);
      for (Func half : laneHalves)
        half.reorder(l, t, h).unroll(h);
    } else {
      lane.update().reorder(l, t, rk).vectorize(l).unroll(t);
    }
  } else {
    dotp.update().vectorize(t, vec, TailStrategy::GuardWithIf);
  }
  rowExp.vectorize(t, vec, TailStrategy::GuardWithIf);
  // The group's maxima and sums side by side: independent chains, each
  // head's rows still in order (the reference's sum).
  if (allHeads)
    for (Func f : {rowMax, rowSum})
      f.update().split(h, hk, hg, i32(group)).reorder(hg, rows.x, hk).unroll(hg);
  else if (groupInRegisters)
    for (Func f : {rowMax, rowSum})
      f.update().reorder(h, rows.x).unroll(h);
  // Each cache row updates the head's accumulators: independent vector
  // chains instead of one chain per vector. With the group in registers,
  // each value row is loaded once for the group: a slice of the head
  // dimension at a time (slice x group accumulators), the rows walked once
  // a slice.
  Var dv("dv"), dl("dl");
  if (hd % vec == 0) {
    const int64_t vectors = hd / vec;
    int64_t slice = groupInRegisters ? std::max<int64_t>(1, accumulators / group) : vectors;
    while (vectors % slice != 0)
      --slice;
    // The rows in runs of kValueRunRows: each slice walks a run's rows
    // (a few KiB of this head's values, in L1 after the first slice)
    // instead of all of the cache's rows, which the next slice would read
    // again from L3 or DRAM (8 slices of a head_dim of 128 on AVX2). A
    // generated token at position 2047 of a 2B-4T layer on one Zen 3 core,
    // caches of 30 layers rotated: 1.35 -> 1.07 ms (bit-identical).
    if (allHeads)
      scheduleValueRuns(rowAcc.update().split(h, hk, hg, i32(group)), hg, rows.x, slice, hk, 1);
    else if (groupInRegisters)
      scheduleValueRuns(rowAcc.update(), h, rows.x, slice);
    else
      rowAcc.update().split(d, dv, dl, vec).vectorize(dl).unroll(dv).reorder(dl, dv, rows.x);
  } else {
    rowAcc.update().vectorize(d, vec, TailStrategy::GuardWithIf);
  }
}

int AttentionGenerator::rowGroups() const {
  const int width = static_cast<int>(std::max<int64_t>(hd, target.gpuThreads));
  return std::max(1, static_cast<int>(kMaxBlockThreads) / width);
}

bool AttentionGenerator::oneLaunch() const {
  // The one launch's shared memory, at most (Halide may overlap buffers
  // whose lifetimes do not): the scores and exponentials, the query row,
  // the row groups' sums, the softmax's partials and a scalar.
  const int64_t oneLaunchBytes =
      8 * spec.context + 4 * hd * (1 + rowGroups()) + 2 * 4 * target.gpuThreads + 4;
  return spec.context <= kMaxOneLaunchRows && hd <= kMaxBlockThreads &&
         oneLaunchBytes <= target.gpuSharedBytes;
}

void AttentionGenerator::scheduleGPU() {
  const int threads = target.gpuThreads, headThreads = target.gpuHeadThreads;
  Var di("di");
  const int rowGroups = this->rowGroups();
  if (splitRows && !oneLaunch()) {
    // No one-launch schedule: always the split (two launches).
    Var hh("hh");
    y.split(dd, hh, di, i32(hd)).gpu_blocks(hh, m).gpu_threads(di);
    scheduleGPUSplitRows(hh);
    return;
  }
  if (oneLaunch()) {
    // One launch: a block per (head, token), a thread per head-dimension
    // element of its output: x over the head dimension, y over groups of
    // rows. Inside it, the scores and then the exponentials of all cache
    // rows (the block's threads over rows, kept in shared memory: 8 bytes a
    // row), the softmax's maximum and sum block-wide, and the weighted sum
    // of the values: each thread walks its element's column (neighbouring
    // loads across x) over every `rowGroups`-th row, then the groups'
    // partial sums are added. A generated token has only `heads` blocks
    // (20 for a 2B-4T), so each block keeps up to 256 threads busy on the
    // rows (within OpenCL's work-group; the softmax's reductions use
    // `threads` along x).
    const int rowThreads = static_cast<int>(hd) * rowGroups;
    Var hh("hh"), to("to"), tt("tt"), tx("tx"), ty("ty");
    auto overRows = [&](Stage stage) {
      stage.split(t, to, tt, rowThreads, TailStrategy::GuardWithIf)
          .split(tt, ty, tx, i32(hd))
          .gpu_threads(tx, ty);
    };
    y.split(dd, hh, di, i32(hd)).gpu_blocks(hh, m).gpu_threads(di);
    // The block's query row in shared memory: read from global memory, the
    // row's loads are invariant across the rows' loop, and ptxas kept all
    // head_dim of them in registers (at 128: 165 registers, 372 bytes
    // spilled under the runtime's cap of 64).
    Func queryRow = q.in(dotp);
    queryRow.compute_at(y, hh).gpu_threads(queryRow.args()[0]);
    dotp.compute_at(y, hh);
    overRows(dotp);
    overRows(dotp.update());
    e.compute_at(y, hh);
    overRows(e);
    for (Func f : {mx, sum}) {
      f.compute_at(y, hh);
      scheduleGPUBlockPartials(f, rt, h, threads);
    }
    acc.compute_at(y, hh).gpu_threads(d);
    if (rowGroups > 1) {
      RVar ro("ro"), ri("ri");
      Var group("group");
      Func groupSums = acc.update()
                           .split(rt, ro, ri, rowGroups, TailStrategy::GuardWithIf)
                           .rfactor(ri, group);
      groupSums.compute_at(y, hh).reorder(d, group).gpu_threads(d, group);
      groupSums.update().reorder(d, group).gpu_threads(d, group);
    }
    acc.update().gpu_threads(d);
    if (splitRows)
      scheduleGPUSplitRows(hh);
    return;
  }
  // Head dimensions past the split's block (hd + 2 > 256 threads) where
  // the one launch does not fit: five launches: the scores (a thread per
  // cache row, its dot product inside it), the softmax's maximum (a block
  // per (head, token), block-wide), the exponentials (a thread per row),
  // their sum (as the maximum), and the output (a thread per element, its
  // weighted sum of the values inside it). Each reduction's initial value
  // is computed in its own launch, not one of its own (that made ten
  // launches).
  Var scoreThread = gpuTileAll(score.compute_root(), t, {h, m}, threads);
  dotp.compute_at(score, scoreThread);
  gpuTileAll(e.compute_root(), t, {h, m}, threads);
  // The softmax's maximum and sum over the visible cache rows: block-wide
  // (a float sum in another order than the reference's, within the
  // attention kernels' bound).
  scheduleGPUBlockReduction(mx, rt, {h, m}, threads);
  scheduleGPUBlockReduction(sum, rt, {h, m}, threads);
  Var elementThread = gpuTileAll(y, dd, {m}, headThreads);
  acc.compute_at(y, elementThread);
}

void AttentionGenerator::scheduleGPUSplitRows(Var head) {
  // Decided at each call: from the second chunk of rows on (the position
  // a Param), two launches. The first: a block per (chunk, head), its
  // threads over the chunk's rows for the scores and exponentials (kept
  // in shared memory), the chunk's maximum and sum block-wide, then a
  // thread per head-dimension element for the weighted values (`part`,
  // stored to global memory: hd + 2 floats a chunk and head). The second:
  // a block per head over the visible chunks (at most 16 at 4096 rows):
  // their maximum and rescaled sum by one thread, then a thread per
  // output element.
  const int rows = i32(kChunkRows);
  // Where the one launch serves the first chunk's positions, a
  // specialization keeps y's schedule (a block per head, a thread per
  // element); the other branch never computes the chunks.
  if (oneLaunch())
    y.specialize(longPosition);
  // The combined maximum and sum once a block (a loop over the chunks),
  // the output's sums a thread per element.
  for (Func f : {wholeMax, wholeSum})
    f.compute_at(y, head);
  wholeAcc.compute_at(y, head).gpu_threads(d);
  wholeAcc.update().gpu_threads(d);
  Var c = part.args()[1], pd = part.args()[0], ph = part.args()[2], pm = part.args()[3];
  part.compute_root().gpu_blocks(c, ph, pm).gpu_threads(pd);
  Func queryRow = q.in(chunkDot);
  queryRow.compute_at(part, c).gpu_threads(queryRow.args()[0]);
  // Two rows a thread (128 threads): with a thread a row, ptxas (11.8 and
  // 13) spilled 8 to 20 bytes under the runtime's cap of 64 registers at
  // head_dim 128 (none at caps of 56 or 80: its allocation, not the
  // kernel's needs).
  Var to("to"), tt("tt");
  for (Func f : {chunkScore, chunkExp})
    f.compute_at(part, c).split(t, to, tt, rows / 2, TailStrategy::GuardWithIf).gpu_threads(tt);
  chunkDot.compute_at(chunkScore, tt);
  for (Func f : {chunkMax, chunkSum}) {
    f.compute_at(part, c);
    scheduleGPUBlockPartials(f, rr, f.args()[0], target.gpuThreads);
  }
  // A thread's weighted sum of its element's values in a register.
  chunkAcc.compute_at(part, pd);
}

//===--------------------------------------------------------------------===//
// Matmuls over weight rows: float_matmul, int8_matmul
//===--------------------------------------------------------------------===//

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
class RowMatmulGenerator : public KernelGenerator {
public:
  using KernelGenerator::KernelGenerator;

protected:
  /// Product k of weight row `row` and token m's activations.
  virtual Expr product(Expr k, Expr row) = 0;
  /// y(n, m) from the sum of row n's products.
  virtual Expr output(Expr dot) = 0;

  /// Defines dot and y (set N, K, M and the options first).
  void defineRows();
  void scheduleCPU() override;
  void scheduleGPU() override;

  static constexpr int kRowsPerTask = 64; // CPU: output rows per task
  static constexpr int kRowsPerBlock = 8; // CUDA: warps (rows) per block
  static constexpr int kLoadBytes = 8;    // GPU: bytes of weights per load
  /// The weights' and the activations' inputs.
  virtual ImageParam &weightParam() = 0;
  virtual ImageParam &activationParam() = 0;
  /// GPU threads that share a row's sum: a warp on CUDA, a work-group on
  /// OpenCL; and the weights each of them loads at once.
  int gpuReductionThreads() const {
    return spec.target == KernelTarget::CUDA ? kWarp : target.gpuThreads;
  }
  int gpuWeightsPerLoad() { return kLoadBytes / weightParam().type().bytes(); }

  int64_t N = 0, K = 0, M = 0;
  Expr zero;
  int group = 1;
  int tileRows = 4;
  bool costlyConversion = false;
  Var n{"n"}, m{"m"}, lane{"lane"};
  Func dot{"dot"}, partial{"partial"}, y{"y"};
  // GPUs: each load's and each thread's sums, and CUDA's shuffle tree.
  Func loadSums{"load_sums"}, laneSums{"lane_sums"};
  std::vector<Func> laneTree;
  RDom r, rk, rload;
  int64_t steps = 0;
};

void RowMatmulGenerator::defineRows() {
  Expr row = min(n, i32(N - 1));
  if (target.family == ScheduleFamily::GPU) {
    // GPUs: thread u of a row's warp (work-group) of T threads takes loads
    // ko = 0, 1, ... of V neighbouring weights, k = (ko * T + u) * V + v;
    // each load's products summed in a Func of their own (a register per
    // thread: vectorizable without atomics), the thread's sum over its
    // loads in laneSums, and the threads' sums combined by a shuffle tree
    // (CUDA) or by one thread from local memory (OpenCL). Zero products
    // pad k to whole spans of T x V.
    const int64_t threads = gpuReductionThreads(), perLoad = gpuWeightsPerLoad();
    const int64_t span = threads * perLoad;
    Var ko("ko");
    rload = RDom(0, i32(perLoad), "rload");
    Expr k = (ko * i32(threads) + lane) * i32(perLoad) + rload;
    loadSums(lane, ko, n, m) = zero;
    if (K % span == 0)
      loadSums(lane, ko, n, m) += product(k, row);
    else
      loadSums(lane, ko, n, m) += select(k < i32(K), product(min(k, i32(K - 1)), row), zero);
    rk = RDom(0, i32((K + span - 1) / span), "rk");
    laneSums(lane, n, m) = zero;
    laneSums(lane, n, m) += loadSums(lane, rk, n, m);
    if (spec.target == KernelTarget::CUDA) {
      dot = warpTreeSum(laneSums, lane, n, m, kWarp, laneTree);
    } else {
      RDom rt(0, i32(threads), "rt");
      dot(n, m) = zero;
      dot(n, m) += laneSums(rt, n, m);
    }
    y(n, m) = output(dot(n, m));
    return;
  }
  dot(n, m) = zero;
  const int64_t lanes = target.lanes;
  const int64_t step = lanes * group;
  steps = K / step;
  const int64_t tail = K - steps * step;
  // (product in a lane's group, vector step of k)
  r = RDom(0, group, 0, i32(std::max<int64_t>(steps, 1)), "r");
  if (steps > 0) {
    partial(lane, n, m) = zero;
    partial(lane, n, m) += product(r.y * i32(step) + lane * group + r.x, row);
    RDom rl(0, i32(lanes), "rl");
    dot(n, m) += partial(rl, n, m);
  }
  if (tail > 0) {
    RDom rt(i32(steps * step), i32(tail), "rt");
    dot(n, m) += product(rt, row);
  }
  y(n, m) = output(dot(n, m));
}

void RowMatmulGenerator::scheduleCPU() {
  Var no("no"), ni("ni"), nt("nt"), nr("nr");
  y.split(n, no, ni, kRowsPerTask, TailStrategy::GuardWithIf)
      .split(ni, nt, nr, tileRows, TailStrategy::GuardWithIf)
      .reorder(nr, m, nt, no)
      .parallel(no);
  dot.compute_at(y, nt);
  if (steps == 0)
    return;
  partial.compute_at(y, nt).vectorize(lane);
  Stage update = partial.update();
  if (group > 1)
    update.atomic().vectorize(r.x);
  update.vectorize(lane);
  if (costlyConversion) {
    update.reorder(r.x, lane, n, m, r.y).unroll(n);
    return;
  }
  Var mo("mo"), mi("mi");
  update.split(m, mo, mi, M % 2 == 0 ? 2 : 1)
      .reorder(r.x, lane, n, mi, r.y, mo)
      .unroll(n)
      .unroll(mi);
}

void RowMatmulGenerator::scheduleGPU() {
  // Dense rows whose starts stay aligned (a row of whole 8-byte loads):
  // lets Halide prove that a thread's weights and activations are aligned
  // vector loads. (A caller's row slice of an odd-width matrix would break
  // an alignment promise, which Halide checks: then none is made.)
  for (ImageParam *p : {&weightParam(), &activationParam()}) {
    if (K * p->type().bytes() % kLoadBytes != 0)
      continue;
    p->dim(1).set_stride(i32(K));
    p->set_host_alignment(kLoadBytes);
  }
  // A weight row is read by many threads at once, each a few neighbouring
  // weights, so that a warp's loads are one contiguous span (one thread per
  // row would make neighbouring threads read addresses K elements apart:
  // a transaction per weight). Thread u sums k = (ko * T + u) * V + v
  // (T threads, V weights per load), then the partial sums meet: through
  // warp shuffles on CUDA (one warp per row, kRowsPerBlock rows per block),
  // through local memory on OpenCL (a work-group of gpuThreads per row;
  // Halide 14 has no gpu_lanes for OpenCL). Tokens are the innermost block
  // dimension: the blocks of one row run together and share it in cache.
  Var nb("nb"), nw("nw"), nl("nl");
  if (spec.target == KernelTarget::CUDA) {
    y.split(n, nb, nw, kRowsPerBlock, TailStrategy::GuardWithIf)
        .split(nw, nw, nl, 1)
        .reorder(nl, nw, m, nb)
        .gpu_blocks(m, nb)
        .gpu_threads(nw, nl);
    laneSums.compute_at(y, nw).gpu_lanes(lane);
    laneSums.update().gpu_lanes(lane);
    loadSums.compute_at(laneSums, rk).update().atomic().vectorize(rload);
    scheduleWarpTree(laneTree, y, nw, lane, kWarp);
    return;
  }
  y.reorder(m, n).gpu_blocks(m, n);
  // Each thread's sum in a register (laneSums per thread), stored once in
  // local memory (laneTotals, its wrapper) for the row's thread to add.
  Func laneTotals = laneSums.in();
  laneTotals.compute_at(y, m).gpu_threads(lane);
  laneSums.compute_at(laneTotals, lane);
  // Unrolled: Halide 14's OpenCL back end cannot vectorize the f16 decode.
  loadSums.compute_at(laneSums, rk).update().unroll(rload);
  dot.compute_at(y, m);
}

class FloatMatmulGenerator : public RowMatmulGenerator {
public:
  using RowMatmulGenerator::RowMatmulGenerator;

private:
  using FloatWeights = KernelSpec::FloatWeights;

  void define() override {
    N = spec.n;
    K = spec.k;
    M = spec.m;
    constrain(x, {K, M});
    constrain(w, {K, N});
    // Halide 14 emulates f16 -> f32 with integer operations on x86 and ARM;
    // each task's rows come from the run-time support's micro-kernel instead
    // (F16C: lib/Runtime/F16Matmul.c, AVX-512 targets too; NEON
    // fcvtl: lib/Runtime/F16MatmulNeon.c), as an extern stage.
    externRows = spec.floatWeights == FloatWeights::F16 &&
                 target.f16MatmulKernel != nullptr;
    if (externRows) {
      rows.define_extern(target.f16MatmulKernel, {x, w, Expr(i32(K))}, Float(32), {n, m});
      y(n, m) = rows(n, m);
    } else {
      // A second Func named "y", which Halide names "y$1": the output
      // argument of these kernels has always been `y$1` (`_y__1_buffer` in
      // the header), and a new name would change their bytes.
      y = Func("y");
      zero = 0.0f;
      costlyConversion = spec.floatWeights == FloatWeights::F16;
      defineRows();
    }
    constrain(y.output_buffer(), {N, M});
    built.outputs = {y};
    built.args = {x, w};
    built.strictFloat = false;
  }

  Expr product(Expr k, Expr row) override {
    Expr bits = w(k, row);
    const FloatWeights kind = spec.floatWeights;
    Expr weight = kind == FloatWeights::F32    ? bits
                  : kind == FloatWeights::BF16 // bf16 is the top half of an f32
                      ? reinterpret<float>(cast<uint32_t>(bits) << 16)
                      : halfBitsToFloat(bits);
    return x(k, m) * weight;
  }
  Expr output(Expr dot) override { return dot; }
  ImageParam &weightParam() override { return w; }
  ImageParam &activationParam() override { return x; }

  void scheduleCPU() override {
    if (!externRows) {
      RowMatmulGenerator::scheduleCPU();
      return;
    }
    Var no("no"), ni("ni");
    y.split(n, no, ni, kRowsPerTask, TailStrategy::GuardWithIf).parallel(no);
    rows.compute_at(y, no);
  }

  ImageParam x{Float(32), 2, "x"}; // [k, m]
  // f16 or bf16 bits, or f32 values, [k, n]
  ImageParam w{spec.floatWeights == FloatWeights::F32 ? Float(32) : UInt(16), 2,
               "weights"};
  Func rows{"f16_rows"};
  bool externRows = false;
};

/// The int8 LM head: y[n, m] = (f32(sum_k W[n,k] q[m,k]) / s[m]) * scales[n]
class Int8MatmulGenerator : public RowMatmulGenerator {
public:
  using RowMatmulGenerator::RowMatmulGenerator;

private:
  void define() override {
    N = spec.n;
    K = spec.k;
    M = spec.m;
    constrain(q, {K, M});
    constrain(s, {M});
    constrain(w, {K, N});
    constrain(scales, {N});
    // Each i32 lane sums adjacent pairs of i16 products on x86 (vpmaddwd;
    // VNNI's u8 x i8 does not fit two signed operands) and 4 adjacent
    // products on ARM (sdot with the dot-product extension; 16-byte steps
    // on plain NEON instead of 8). Exact in i32: |product| <= 2^14 and
    // K < 2^17.
    zero = 0;
    const bool arm =
        spec.target == KernelTarget::ARM64 || spec.target == KernelTarget::ARM64DotProd;
    group = arm ? 4 : 2;
    // One token: a row at a time, so that a task reads its rows as one
    // sequential stream (interleaving 4 rows of 2560 bytes left the GEMV at
    // ~70% of the read bandwidth on 1 thread, one row reaches ~82%:
    // build/bench/bitnet-bench-kernels). Integer adds keep up with one
    // accumulator; float matmuls keep 4 rows for their FMA chains.
    if (M == 1)
      tileRows = 1;
    defineRows();
    constrain(y.output_buffer(), {N, M});
    built.outputs = {y};
    built.args = {q, s, w, scales};
    built.strictFloat = true;
  }

  Expr product(Expr k, Expr row) override {
    return cast<int32_t>(cast<int16_t>(w(k, row))) *
           cast<int32_t>(cast<int16_t>(q(k, m)));
  }
  Expr output(Expr dot) override { return (cast<float>(dot) / s(m)) * scales(n); }
  ImageParam &weightParam() override { return w; }
  ImageParam &activationParam() override { return q; }

  ImageParam q{Int(8), 2, "q"};              // [k, m]
  ImageParam s{Float(32), 1, "s"};           // [m] activation scales
  ImageParam w{Int(8), 2, "weights"};        // [k, n]
  ImageParam scales{Float(32), 1, "scales"}; // [n] row scales
};

//===--------------------------------------------------------------------===//
// Registry: the generator of each kind
//===--------------------------------------------------------------------===//

template <typename Generator> Built generateWith(const KernelSpec &spec) {
  return Generator(spec).generate();
}

struct GeneratorEntry {
  KernelKind kind;
  Built (*generate)(const KernelSpec &);
};

const GeneratorEntry kGenerators[] = {
    {KernelKind::BitLinear, generateWith<BitLinearGenerator>},
    {KernelKind::RMSNormQuant, generateWith<RMSNormQuantGenerator>},
    {KernelKind::AddRMSNormQuant, generateWith<RMSNormQuantGenerator>},
    {KernelKind::GLURMSNormQuant, generateWith<RMSNormQuantGenerator>},
    {KernelKind::RMSNorm, generateWith<RMSNormGenerator>},
    {KernelKind::RoPE, generateWith<RoPEGenerator>},
    {KernelKind::RoPEQKV, generateWith<RoPEQKVGenerator>},
    {KernelKind::Attention, generateWith<AttentionGenerator>},
    {KernelKind::GLU, generateWith<GLUGenerator>},
    {KernelKind::Add, generateWith<AddGenerator>},
    {KernelKind::Copy, generateWith<CopyGenerator>},
    {KernelKind::Embedding, generateWith<EmbeddingGenerator>},
    {KernelKind::FloatMatmul, generateWith<FloatMatmulGenerator>},
    {KernelKind::Int8Matmul, generateWith<Int8MatmulGenerator>},
};

Built build(const KernelSpec &spec) {
  for (const GeneratorEntry &entry : kGenerators)
    if (entry.kind == spec.kind) {
      Built built = entry.generate(spec);
      // The glue's passes know a call's outputs by this count (output
      // buffers: a Func of a Tuple writes one per element).
      size_t buffers = 0;
      for (const Func &f : built.outputs)
        buffers += f.outputs();
      if (buffers != size_t(kernelOutputCount(spec.kind)))
        throw std::logic_error(std::string(kernelKindName(spec.kind)) + " kernel has " +
                               std::to_string(buffers) +
                               " outputs, kernelOutputCount says " +
                               std::to_string(kernelOutputCount(spec.kind)));
      return built;
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
          halideTargetString(kt, /*withRuntime=*/false, usesDotProducts(spec)));
      return strict ? target.with_feature(Target::StrictFloat) : target;
    };
    if (spec.target == KernelTarget::ARM64DotProd) {
      // One static library (variants + a dispatcher) that picks the
      // dot-product variant at run time when the CPU has it
      // (halide_can_use_target_features), else plain NEON: the arm64
      // target's kernel (BitLinear's own NEON formulation).
      outputs = {{OutputFileType::static_library, objectPath},
                 {OutputFileType::c_header, headerPath}};
      bool strict = build(spec).strictFloat;
      std::vector<Target> targets = {makeTarget(KernelTarget::ARM64DotProd, strict),
                                     makeTarget(KernelTarget::ARM64, strict)};
      compile_multitarget(
          spec.name, outputs, targets, {"dotprod", "neon"},
          [&](const std::string &fnName, const Target &target) {
            KernelSpec variant = spec;
            if (!target.has_feature(Target::ARMDotProd))
              variant.target = KernelTarget::ARM64;
            Built built = build(variant);
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
  } catch (const std::logic_error &e) {
    return std::string("internal error: ") + e.what();
  }
  return "";
}

namespace {

/// Finds the device-run calls of a lowered host body and the host loops
/// around each.
class LaunchFinder : public Halide::Internal::IRVisitor {
public:
  std::vector<std::string> lines;

private:
  using IRVisitor::visit;
  std::vector<std::string> loops;

  void visit(const Halide::Internal::For *op) override {
    loops.push_back(op->name);
    IRVisitor::visit(op);
    loops.pop_back();
  }
  void visit(const Halide::Internal::Call *op) override {
    IRVisitor::visit(op);
    if (op->name != "halide_cuda_run" && op->name != "halide_opencl_run")
      return;
    // (state, entry name, blocks x y z, threads x y z, dynamic shared
    // memory bytes, ...)
    std::ostringstream line;
    auto at = [&](size_t i) {
      std::ostringstream text;
      text << Halide::Internal::simplify(op->args[i]);
      return text.str();
    };
    std::string name = at(1);
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"')
      name = name.substr(1, name.size() - 2);
    line << "launch " << name << " blocks (" << at(2) << ", " << at(3) << ", "
         << at(4) << ") threads (" << at(5) << ", " << at(6) << ", " << at(7)
         << ") shared " << at(8) << " bytes";
    if (!loops.empty()) {
      line << " in host loop";
      for (size_t i = 0; i < loops.size(); ++i)
        line << (i ? ", " : " ") << loops[i];
    }
    lines.push_back(line.str());
  }
};

} // namespace

std::string describeLaunches(const KernelSpec &spec, std::string &text) {
  std::string why = spec.validate();
  if (!why.empty())
    return why;
  if (!isGPUTarget(spec.target))
    return std::string("--print-launches needs a GPU target, not ") +
           kernelTargetName(spec.target);
  try {
    Built built = build(spec);
    Target target(halideTargetString(spec.target, /*withRuntime=*/false,
                                     usesDotProducts(spec)));
    Module module = Pipeline(built.outputs).compile_to_module(built.args, spec.name, target);
    LaunchFinder finder;
    for (const Halide::Internal::LoweredFunc &f : module.functions())
      f.body.accept(&finder);
    text.clear();
    for (const std::string &line : finder.lines)
      text += line + "\n";
  } catch (const Halide::Error &e) {
    return std::string("Halide error: ") + e.what();
  } catch (const std::logic_error &e) {
    return std::string("internal error: ") + e.what();
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
