//===- KernelOpModels.cpp - Which kernel computes each bitnet op ----------===//
//
// KernelOpInterface's models, one per op with a kernel: the spec at the
// op's shapes and attributes, the operands with the types the kernel reads
// them as, the results. Attached to the ops by registerKernelOpModels (in
// registerAllDialects and in bitnet-outline-kernels' dependent dialects), so
// that the dialect itself knows nothing of kernels.
//
//===----------------------------------------------------------------------===//

#include "bitnet/Transforms/KernelOpModels.h"

#include "bitnet/Dialect/BitNet/BitNet.h"
#include "bitnet/Dialect/BitNet/WeightValues.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::bitnet;
namespace kernels = ::bitnet::kernels;
using kernels::KernelKind;

namespace {

int64_t staticDim(Value v, unsigned i) {
  return cast<RankedTensorType>(v.getType()).getDimSize(i);
}

bool allStatic(Operation *op) {
  auto isStatic = [](Type t) {
    auto shaped = dyn_cast<ShapedType>(t);
    return !shaped || shaped.hasStaticShape();
  };
  return llvm::all_of(op->getOperandTypes(), isStatic) &&
         llvm::all_of(op->getResultTypes(), isStatic);
}

KernelResult f32Result(Value v) { return {cast<RankedTensorType>(v.getType()), "f32"}; }

/// Packed weights as a plain byte constant (buffers carry no encoding).
Value plainPackedWeights(OpBuilder &b, Value weights) {
  ElementsAttr value;
  if (!matchPattern(weights, m_Constant(&value)))
    return {};
  auto type = cast<RankedTensorType>(weights.getType());
  auto plain = RankedTensorType::get(type.getShape(), type.getElementType());
  Location loc = weights.getLoc();
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value))
    return arith::ConstantOp::create(
        b, loc, plain, DenseResourceElementsAttr::get(plain, resource.getRawHandle()));
  if (auto dense = dyn_cast<DenseElementsAttr>(value))
    return arith::ConstantOp::create(b, loc, plain, dense.reshape(plain));
  if (auto external = dyn_cast<ExternalWeightsAttr>(value))
    return arith::ConstantOp::create(b, loc, plain, external.withType(plain));
  return {};
}

/// BitLinear and its fused form on packed ternary or binary weights;
/// `scales` is the scalar gamma, or one scale per segment with `segments`.
FailureOr<KernelCall> bitLinearCall(OpBuilder &b, Operation *op, WeightKind kind, Value input,
                                    Value inputScales, Value weights, Value scales,
                                    ArrayRef<int64_t> segments) {
  auto layout = dyn_cast_or_null<PackedLayoutAttr>(
      cast<RankedTensorType>(weights.getType()).getEncoding());
  if (!layout)
    return failure(); // logical weights: the reference lowering's
  Value bytes = plainPackedWeights(b, weights);
  if (!bytes)
    return failure();
  KernelCall call;
  call.spec.kind = KernelKind::BitLinear;
  call.spec.m = staticDim(input, 0);
  call.spec.n = layout.getRows();
  call.spec.k = layout.getCols();
  call.spec.layout = toReference(layout);
  call.spec.weightKind = toReference(kind);
  call.spec.segments.assign(segments.begin(), segments.end());
  call.operands = {{input, "i8"}, {inputScales, "f32"}, {bytes, "u8"}, {scales, "f32"}};
  call.results = {{cast<RankedTensorType>(op->getResult(0).getType()), "f32"}};
  return call;
}

::bitnet::ref::GluActivation toReference(GluActivation activation) {
  return activation == GluActivation::Silu ? ::bitnet::ref::GluActivation::Silu
                                           : ::bitnet::ref::GluActivation::Relu2;
}

/// The model of op `Op`: `describe` runs when every shape is static.
template <typename Op, typename Describe>
struct Model : KernelOpInterface::ExternalModel<Model<Op, Describe>, Op> {
  FailureOr<KernelCall> describeKernel(Operation *op, OpBuilder &builder) const {
    if (!allStatic(op))
      return failure();
    return Describe()(builder, cast<Op>(op));
  }
};

struct DescribeBitLinear {
  FailureOr<KernelCall> operator()(OpBuilder &b, BitLinearOp op) const {
    return bitLinearCall(b, op, op.getKind(), op.getInput(), op.getInputScales(),
                         op.getWeights(), op.getWeightScale(), {});
  }
};

struct DescribeBitLinearFused {
  FailureOr<KernelCall> operator()(OpBuilder &b, BitLinearFusedOp op) const {
    return bitLinearCall(b, op, op.getKind(), op.getInput(), op.getInputScales(),
                         op.getWeights(), op.getWeightScales(), op.getSegments());
  }
};

/// A norm kernel's spec over the [m, n] rows of `rows` and its f32
/// operands: the tensors the rows come from, then the norm weight.
template <typename Op>
KernelCall normCall(Op op, KernelKind kind, Value rows, std::initializer_list<Value> inputs) {
  KernelCall call;
  call.spec.kind = kind;
  call.spec.m = staticDim(rows, 0);
  call.spec.n = staticDim(rows, 1);
  call.spec.eps = op.getEpsilon().convertToFloat();
  for (Value input : inputs)
    call.operands.push_back({input, "f32"});
  call.operands.push_back({op.getWeight(), "f32"});
  return call;
}

/// A norm-quantizer's results after any others: codes, scales, code sums.
template <typename Op> void appendQuantizerResults(KernelCall &call, Op op) {
  call.results.push_back({cast<RankedTensorType>(op.getQuantized().getType()), "i8"});
  call.results.push_back({cast<RankedTensorType>(op.getScales().getType()), "f32"});
  call.results.push_back({cast<RankedTensorType>(op.getSums().getType()), "i32"});
}

struct DescribeRMSNormQuantize {
  FailureOr<KernelCall> operator()(OpBuilder &, RMSNormQuantizeOp op) const {
    KernelCall call =
        normCall(op, KernelKind::RMSNormQuant, op.getInput(), {op.getInput()});
    appendQuantizerResults(call, op);
    return call;
  }
};

struct DescribeAddRMSNormQuantize {
  FailureOr<KernelCall> operator()(OpBuilder &, AddRMSNormQuantizeOp op) const {
    KernelCall call = normCall(op, KernelKind::AddRMSNormQuant, op.getLhs(),
                               {op.getLhs(), op.getRhs()});
    call.results = {f32Result(op.getSum())};
    appendQuantizerResults(call, op);
    return call;
  }
};

struct DescribeGLURMSNormQuantize {
  FailureOr<KernelCall> operator()(OpBuilder &, GLURMSNormQuantizeOp op) const {
    KernelCall call = normCall(op, KernelKind::GLURMSNormQuant, op.getGate(),
                               {op.getGate(), op.getUp()});
    call.spec.activation = toReference(op.getActivation());
    appendQuantizerResults(call, op);
    return call;
  }
};

struct DescribeRMSNorm {
  FailureOr<KernelCall> operator()(OpBuilder &, RMSNormOp op) const {
    KernelCall call = normCall(op, KernelKind::RMSNorm, op.getInput(), {op.getInput()});
    call.results = {f32Result(op.getResult())};
    return call;
  }
};

/// A RoPE kernel's spec: `queries` [m, heads * head_dim] and the op's
/// head_dim and theta.
template <typename Op> KernelCall ropeCall(Op op, KernelKind kind, Value queries) {
  KernelCall call;
  call.spec.kind = kind;
  call.spec.m = staticDim(queries, 0);
  call.spec.headDim = op.getHeadDim();
  call.spec.heads = staticDim(queries, 1) / call.spec.headDim;
  call.spec.theta = op.getTheta().convertToFloat();
  return call;
}

struct DescribeRoPE {
  FailureOr<KernelCall> operator()(OpBuilder &, RoPEOp op) const {
    KernelCall call = ropeCall(op, KernelKind::RoPE, op.getInput());
    call.operands = {{op.getInput(), "f32"}, {op.getPosition(), "i32"}};
    call.results = {f32Result(op.getResult())};
    return call;
  }
};

struct DescribeRoPEQKV {
  FailureOr<KernelCall> operator()(OpBuilder &, RoPEQKVOp op) const {
    KernelCall call = ropeCall(op, KernelKind::RoPEQKV, op.getQuery());
    call.spec.kvHeads = staticDim(op.getKey(), 1) / call.spec.headDim;
    call.operands = {{op.getQuery(), "f32"},
                     {op.getKey(), "f32"},
                     {op.getValue(), "f32"},
                     {op.getPosition(), "i32"}};
    call.results = {f32Result(op.getQueryRotated()), f32Result(op.getKeyRotated()),
                    f32Result(op.getValueRows())};
    return call;
  }
};

struct DescribeAttention {
  FailureOr<KernelCall> operator()(OpBuilder &b, AttentionOp op) const {
    auto cacheType = cast<RankedTensorType>(op.getKeyCache().getType());
    int64_t context = cacheType.getDimSize(1), kvDim = cacheType.getDimSize(2);
    KernelCall call;
    call.spec.kind = KernelKind::Attention;
    call.spec.m = staticDim(op.getQuery(), 0);
    call.spec.heads = op.getNumHeads();
    call.spec.kvHeads = op.getNumKvHeads();
    call.spec.headDim = op.getHeadDim();
    call.spec.context = context;
    // The layer's rows of each cache, passed in place.
    int64_t layer = op.getLayer();
    auto sliceType = RankedTensorType::get({context, kvDim}, b.getF32Type());
    auto slice = [&](Value cache) {
      return tensor::ExtractSliceOp::create(
                 b, op.getLoc(), sliceType, cache,
                 ArrayRef<OpFoldResult>{b.getIndexAttr(layer), b.getIndexAttr(0),
                                        b.getIndexAttr(0)},
                 ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(context),
                                        b.getIndexAttr(kvDim)},
                 ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1),
                                        b.getIndexAttr(1)})
          .getResult();
    };
    auto sliceBuffer = MemRefType::get(
        {context, kvDim}, b.getF32Type(),
        StridedLayoutAttr::get(b.getContext(), layer * context * kvDim, {kvDim, 1}));
    call.operands = {{op.getQuery(), "f32"},
                     {slice(op.getKeyCache()), "f32", sliceBuffer},
                     {slice(op.getValueCache()), "f32", sliceBuffer},
                     {op.getPosition(), "i32"}};
    call.results = {f32Result(op.getResult())};
    return call;
  }
};

struct DescribeGLU {
  FailureOr<KernelCall> operator()(OpBuilder &, GLUOp op) const {
    KernelCall call;
    call.spec.kind = KernelKind::GLU;
    call.spec.m = staticDim(op.getGate(), 0);
    call.spec.n = staticDim(op.getGate(), 1);
    call.spec.activation = toReference(op.getActivation());
    call.operands = {{op.getGate(), "f32"}, {op.getUp(), "f32"}};
    call.results = {f32Result(op.getResult())};
    return call;
  }
};

struct DescribeAdd {
  FailureOr<KernelCall> operator()(OpBuilder &, AddOp op) const {
    KernelCall call;
    call.spec.kind = KernelKind::Add;
    call.spec.m = staticDim(op.getLhs(), 0);
    call.spec.n = staticDim(op.getLhs(), 1);
    call.operands = {{op.getLhs(), "f32"}, {op.getRhs(), "f32"}};
    call.results = {f32Result(op.getResult())};
    return call;
  }
};

struct DescribeEmbedding {
  FailureOr<KernelCall> operator()(OpBuilder &, EmbeddingOp op) const {
    auto table = cast<RankedTensorType>(op.getTable().getType());
    if (!table.getElementType().isF16())
      return failure();
    KernelCall call;
    call.spec.kind = KernelKind::Embedding;
    call.spec.m = staticDim(op.getTokens(), 0);
    call.spec.n = table.getDimSize(1);
    call.spec.vocab = table.getDimSize(0);
    call.operands = {{op.getTable(), "u16"}, {op.getTokens(), "i32"}};
    call.results = {f32Result(op.getResult())};
    return call;
  }
};

struct DescribeFloatLinear {
  FailureOr<KernelCall> operator()(OpBuilder &, FloatLinearOp op) const {
    auto weights = cast<RankedTensorType>(op.getWeights().getType());
    Type element = weights.getElementType();
    using FloatWeights = kernels::KernelSpec::FloatWeights;
    KernelCall call;
    call.spec.kind = KernelKind::FloatMatmul;
    call.spec.floatWeights = element.isF32()    ? FloatWeights::F32
                             : element.isBF16() ? FloatWeights::BF16
                                                : FloatWeights::F16;
    call.spec.m = staticDim(op.getInput(), 0);
    call.spec.n = weights.getDimSize(0);
    call.spec.k = weights.getDimSize(1);
    call.operands = {{op.getInput(), "f32"},
                     {op.getWeights(), element.isF32() ? "f32" : "u16"}};
    call.results = {f32Result(op.getResult())};
    return call;
  }
};

struct DescribeInt8Linear {
  FailureOr<KernelCall> operator()(OpBuilder &, Int8LinearOp op) const {
    KernelCall call;
    call.spec.kind = KernelKind::Int8Matmul;
    call.spec.m = staticDim(op.getInput(), 0);
    call.spec.n = staticDim(op.getWeights(), 0);
    call.spec.k = staticDim(op.getWeights(), 1);
    call.operands = {{op.getInput(), "i8"},
                     {op.getInputScales(), "f32"},
                     {op.getWeights(), "i8"},
                     {op.getWeightScales(), "f32"}};
    call.results = {f32Result(op.getResult())};
    return call;
  }
};

} // namespace

void mlir::bitnet::registerKernelOpModels(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, BitNetDialect *) {
    BitLinearOp::attachInterface<Model<BitLinearOp, DescribeBitLinear>>(*ctx);
    BitLinearFusedOp::attachInterface<Model<BitLinearFusedOp, DescribeBitLinearFused>>(*ctx);
    RMSNormQuantizeOp::attachInterface<Model<RMSNormQuantizeOp, DescribeRMSNormQuantize>>(
        *ctx);
    AddRMSNormQuantizeOp::attachInterface<
        Model<AddRMSNormQuantizeOp, DescribeAddRMSNormQuantize>>(*ctx);
    GLURMSNormQuantizeOp::attachInterface<
        Model<GLURMSNormQuantizeOp, DescribeGLURMSNormQuantize>>(*ctx);
    RMSNormOp::attachInterface<Model<RMSNormOp, DescribeRMSNorm>>(*ctx);
    RoPEOp::attachInterface<Model<RoPEOp, DescribeRoPE>>(*ctx);
    RoPEQKVOp::attachInterface<Model<RoPEQKVOp, DescribeRoPEQKV>>(*ctx);
    AttentionOp::attachInterface<Model<AttentionOp, DescribeAttention>>(*ctx);
    GLUOp::attachInterface<Model<GLUOp, DescribeGLU>>(*ctx);
    AddOp::attachInterface<Model<AddOp, DescribeAdd>>(*ctx);
    EmbeddingOp::attachInterface<Model<EmbeddingOp, DescribeEmbedding>>(*ctx);
    FloatLinearOp::attachInterface<Model<FloatLinearOp, DescribeFloatLinear>>(*ctx);
    Int8LinearOp::attachInterface<Model<Int8LinearOp, DescribeInt8Linear>>(*ctx);
  });
}
