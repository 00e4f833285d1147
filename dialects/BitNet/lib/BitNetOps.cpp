//===- BitNetOps.cpp - bitnet op verifiers, folders, canonicalizers -------===//

#include "bitnet/Dialect/BitNet/BitNet.h"
#include "bitnet/Dialect/BitNet/WeightValues.h"
#include "bitnet/Reference/Reference.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::bitnet;

#define GET_OP_CLASSES
#include "bitnet/Dialect/BitNet/BitNetOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

static bool dimsCompatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

static std::string dimString(int64_t d) {
  return ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d);
}

static int64_t dim(Value v, unsigned i) {
  return cast<RankedTensorType>(v.getType()).getDimSize(i);
}

/// Checks that `a` dimension `ia` and `b` dimension `ib` can be equal.
static LogicalResult verifySameDim(Operation *op, StringRef what, Value a,
                                   unsigned ia, Value b, unsigned ib) {
  int64_t da = dim(a, ia), db = dim(b, ib);
  if (!dimsCompatible(da, db))
    return op->emitOpError() << what << " mismatch: " << dimString(da)
                             << " vs " << dimString(db);
  return success();
}

/// Checks that packed weights' layout has `kind` and, if `weights` is a
/// constant, that every logical value is legal for `kind`.
static LogicalResult verifyConstantWeights(Operation *op, Value weights,
                                           WeightKind kind) {
  if (auto packed = dyn_cast_or_null<PackedLayoutAttr>(
          cast<RankedTensorType>(weights.getType()).getEncoding())) {
    if (packed.getKind() != kind)
      return op->emitOpError()
             << "weight kind " << stringifyWeightKind(kind)
             << " does not match the packed layout's kind "
             << stringifyWeightKind(packed.getKind());
    return success(); // bitnet.constant verifies packed bytes
  }
  ElementsAttr attr;
  if (!matchPattern(weights, m_Constant(&attr)))
    return success();
  if (allWeightsLegal(attr, kind) == std::optional<bool>(true))
    return success();
  std::optional<std::vector<int8_t>> values = readLogicalWeights(attr);
  if (!values)
    return success();
  int64_t bad = findIllegalWeight(*values, kind);
  if (bad >= 0)
    return op->emitOpError()
           << "constant weights are not " << stringifyWeightKind(kind)
           << ": element " << bad << " is " << int((*values)[bad]);
  return success();
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

/// Dense and dense_resource are the storage forms the verifier can read (and
/// the lowering can convert); anything else (sparse, ...) is rejected.
static LogicalResult verifyStorage(ConstantOp op) {
  ElementsAttr value = op.getValue();
  auto type = cast<RankedTensorType>(op.getType());
  if (isa<DenseIntElementsAttr, ExternalWeightsAttr>(value))
    return success(); // #bitnet.weights: checked when its bytes are produced
  auto resource = dyn_cast<DenseResourceElementsAttr>(value);
  if (!resource)
    return op.emitOpError()
           << "weights must be dense, dense_resource or #bitnet.weights elements";
  AsmResourceBlob *blob = resource.getRawHandle().getBlob();
  if (blob && static_cast<int64_t>(blob->getData().size()) !=
                  type.getNumElements())
    return op.emitOpError()
           << "dense_resource holds " << blob->getData().size()
           << " bytes, expected one per element (" << type.getNumElements()
           << ")";
  return success();
}

LogicalResult ConstantOp::verify() {
  auto type = cast<RankedTensorType>(getType());
  if (!type.hasStaticShape())
    return emitOpError() << "weights must have a static shape";
  if (failed(verifyStorage(*this)))
    return failure();
  if (auto layout = dyn_cast_or_null<PackedLayoutAttr>(type.getEncoding())) {
    // Valid bytes are checked in place; only a bad one is unpacked to name it.
    if (allPackedCodesLegal(getValue(), layout) == std::optional<bool>(true))
      return success();
    std::optional<std::vector<uint8_t>> bytes = readBytes(getValue());
    if (!bytes)
      return success(); // elided resource: nothing to check
    std::vector<int8_t> logical;
    if (!ref::unpackWeights(toReference(layout), bytes->data(),
                            layout.getRows(), layout.getCols(), logical))
      return emitOpError() << "packed bytes hold an invalid "
                           << stringifyPackFormat(layout.getFormat())
                           << " code";
    int64_t bad = findIllegalWeight(logical, layout.getKind());
    if (bad >= 0)
      return emitOpError() << "packed weights are not "
                           << stringifyWeightKind(layout.getKind())
                           << ": element " << bad << " is "
                           << int(logical[bad]);
    return success();
  }
  if (allWeightsLegal(getValue(), WeightKind::Ternary) == std::optional<bool>(true))
    return success();
  std::optional<std::vector<int8_t>> values = readLogicalWeights(getValue());
  if (!values)
    return success(); // elided resource: nothing to check
  int64_t bad = findIllegalWeight(*values, WeightKind::Ternary);
  if (bad >= 0)
    return emitOpError() << "weights must be -1, 0 or +1: element " << bad
                         << " is " << int((*values)[bad]);
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

LogicalResult ConstantOp::inferReturnTypes(
    MLIRContext *, std::optional<Location>, ValueRange,
    DictionaryAttr attributes, OpaqueProperties properties, RegionRange,
    SmallVectorImpl<Type> &inferredReturnTypes) {
  Adaptor adaptor(ValueRange{}, attributes, properties);
  ElementsAttr value = adaptor.getValueAttr();
  if (!value)
    return failure();
  inferredReturnTypes.push_back(value.getType());
  return success();
}

//===----------------------------------------------------------------------===//
// QuantizeWeightsOp
//===----------------------------------------------------------------------===//

LogicalResult QuantizeWeightsOp::verify() {
  for (unsigned i = 0; i < 2; ++i)
    if (failed(verifySameDim(*this, i == 0 ? "row count" : "column count",
                             getWeights(), i, getValues(), i)))
      return failure();
  return success();
}

namespace {
/// quantize_weights(constant) -> bitnet.constant + arith.constant, computed
/// by the golden reference so the compiler and the oracle cannot disagree.
struct FoldConstantQuantizeWeights : OpRewritePattern<QuantizeWeightsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeWeightsOp op,
                                PatternRewriter &rewriter) const override {
    DenseFPElementsAttr weights;
    if (!matchPattern(op.getWeights(), m_Constant(&weights)))
      return rewriter.notifyMatchFailure(op, "weights are not a dense constant");
    auto resultType = cast<RankedTensorType>(op.getValues().getType());
    if (!resultType.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "result shape is dynamic");
    std::vector<float> floats;
    floats.reserve(weights.getNumElements());
    for (const APFloat &v : weights.getValues<APFloat>()) {
      bool lost = false;
      APFloat f = v;
      f.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
      floats.push_back(f.convertToFloat());
    }
    ref::QuantizedWeights q = ref::quantizeWeights(
        floats.data(), floats.size(), toReference(op.getKind()));
    Value values = ConstantOp::create(rewriter, op.getLoc(),
                                      makeLogicalWeightsAttr(resultType, q.values));
    Value scale = arith::ConstantOp::create(
        rewriter, op.getLoc(), rewriter.getF32FloatAttr(q.scale));
    rewriter.replaceOp(op, {values, scale});
    return success();
  }
};
} // namespace

void QuantizeWeightsOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                                    MLIRContext *context) {
  results.add<FoldConstantQuantizeWeights>(context);
}

//===----------------------------------------------------------------------===//
// PackOp
//===----------------------------------------------------------------------===//

LogicalResult mlir::bitnet::verifyLayoutMatchesWeights(
    function_ref<InFlightDiagnostic()> emitError, PackedLayoutAttr layout,
    Type weights, WeightKind kind) {
  if (layout.getKind() != kind)
    return emitError() << "packs " << stringifyWeightKind(kind)
                       << " weights into a layout for "
                       << stringifyWeightKind(layout.getKind());
  auto type = cast<RankedTensorType>(weights);
  if (type.getEncoding())
    return emitError() << "weights are already packed (" << type
                       << "); a layout applies to logical weights";
  if (!dimsCompatible(type.getDimSize(0), layout.getRows()) ||
      !dimsCompatible(type.getDimSize(1), layout.getCols()))
    return emitError() << "weights are " << dimString(type.getDimSize(0)) << "x"
                       << dimString(type.getDimSize(1))
                       << " but the layout is for " << layout.getRows() << "x"
                       << layout.getCols();
  return success();
}

LogicalResult PackOp::verify() {
  auto layout = cast<PackedLayoutAttr>(
      cast<RankedTensorType>(getPacked().getType()).getEncoding());
  if (failed(verifyLayoutMatchesWeights([&] { return emitOpError(); }, layout,
                                        getWeights().getType(), getKind())))
    return failure();
  return verifyConstantWeights(*this, getWeights(), getKind());
}

OpFoldResult PackOp::fold(FoldAdaptor adaptor) {
  auto attr = dyn_cast_or_null<ElementsAttr>(adaptor.getWeights());
  if (!attr)
    return {};
  auto type = cast<RankedTensorType>(getPacked().getType());
  auto layout = cast<PackedLayoutAttr>(type.getEncoding());
  // Checkpoint weights are packed when the output is written, not here.
  if (auto external = dyn_cast<ExternalWeightsAttr>(attr)) {
    // The verifier's conditions, checked again: folding may run first.
    auto logical = dyn_cast<RankedTensorType>(external.getType());
    if (!logical || logical != getWeights().getType() || logical.getRank() != 2 ||
        !logical.getElementType().isInteger(2) || layout.getKind() != getKind() ||
        logical.getDimSize(0) != layout.getRows() ||
        logical.getDimSize(1) != layout.getCols())
      return {};
    return ExternalWeightsAttr::get(type, WeightsTransform::Pack,
                                    ArrayRef<ElementsAttr>{external}, layout);
  }
  std::optional<std::vector<int8_t>> values = readLogicalWeights(attr);
  if (!values || findIllegalWeight(*values, getKind()) >= 0)
    return {};
  // Folding may run before the verifier: never read past the values.
  if (static_cast<int64_t>(values->size()) != layout.getRows() * layout.getCols())
    return {};
  std::vector<uint8_t> bytes =
      ref::packWeights(toReference(layout), values->data(), layout.getRows(),
                       layout.getCols());
  return DenseElementsAttr::get(
      type, ArrayRef<char>(reinterpret_cast<const char *>(bytes.data()),
                           bytes.size()));
}

//===----------------------------------------------------------------------===//
// Activations and BitLinear
//===----------------------------------------------------------------------===//

LogicalResult QuantizeActivationsOp::verify() {
  if (failed(verifySameDim(*this, "token count", getInput(), 0, getQuantized(),
                           0)) ||
      failed(verifySameDim(*this, "feature count", getInput(), 1,
                           getQuantized(), 1)) ||
      failed(verifySameDim(*this, "scale count", getInput(), 0, getScales(),
                           0)))
    return failure();
  return success();
}

/// The checks both norm-quantizers share: the input rows [M, D], the norm
/// weight [D], codes [M, D], scales and code sums [M], a positive epsilon.
static LogicalResult verifyNormQuantize(Operation *op, Value input, Value weight,
                                        Value quantized, Value scales, Value sums,
                                        APFloat epsilon) {
  if (failed(verifySameDim(op, "norm weight size", input, 1, weight, 0)) ||
      failed(verifySameDim(op, "token count", input, 0, quantized, 0)) ||
      failed(verifySameDim(op, "feature count", input, 1, quantized, 1)) ||
      failed(verifySameDim(op, "scale count", input, 0, scales, 0)) ||
      failed(verifySameDim(op, "sum count", input, 0, sums, 0)))
    return failure();
  if (!(epsilon.convertToFloat() > 0.0f))
    return op->emitOpError() << "epsilon must be positive";
  return success();
}

LogicalResult RMSNormQuantizeOp::verify() {
  return verifyNormQuantize(*this, getInput(), getWeight(), getQuantized(), getScales(),
                            getSums(), getEpsilon());
}

LogicalResult GLURMSNormQuantizeOp::verify() {
  return verifyNormQuantize(*this, getGate(), getWeight(), getQuantized(), getScales(),
                            getSums(), getEpsilon());
}

LogicalResult AddRMSNormQuantizeOp::verify() {
  return verifyNormQuantize(*this, getLhs(), getWeight(), getQuantized(), getScales(),
                            getSums(), getEpsilon());
}

/// The checks BitLinear and its fused form share: activations, scales,
/// weights [n, k] and result agree; constant weights are legal for `kind`.
static LogicalResult verifyBitLinearOperands(Operation *op, Value input,
                                             Value inputScales, Value weights,
                                             Value result, WeightKind kind,
                                             int64_t n, int64_t k) {
  if (!dimsCompatible(dim(input, 1), k))
    return op->emitOpError() << "input has " << dimString(dim(input, 1))
                             << " features but the weights take "
                             << dimString(k);
  if (!dimsCompatible(dim(result, 1), n))
    return op->emitOpError() << "result has " << dimString(dim(result, 1))
                             << " features but the weights produce "
                             << dimString(n);
  if (failed(verifySameDim(op, "token count", input, 0, result, 0)) ||
      failed(verifySameDim(op, "scale count", input, 0, inputScales, 0)))
    return failure();
  return verifyConstantWeights(op, weights, kind);
}

/// Logical [N, K] of logical or packed weights.
static std::pair<int64_t, int64_t> weightShape(Value weights) {
  auto type = cast<RankedTensorType>(weights.getType());
  if (auto layout = dyn_cast_or_null<PackedLayoutAttr>(type.getEncoding()))
    return {layout.getRows(), layout.getCols()};
  return {type.getDimSize(0), type.getDimSize(1)};
}

std::pair<int64_t, int64_t> BitLinearOp::getWeightShape() {
  return weightShape(getWeights());
}

std::pair<int64_t, int64_t> BitLinearFusedOp::getWeightShape() {
  return weightShape(getWeights());
}

LogicalResult BitLinearFusedOp::verify() {
  auto [n, k] = getWeightShape();
  ArrayRef<int64_t> segments = getSegments();
  if (segments.empty())
    return emitOpError() << "needs at least one segment";
  int64_t total = 0;
  for (int64_t size : segments) {
    if (size <= 0)
      return emitOpError() << "segment sizes must be positive, got " << size;
    total += size;
  }
  if (!ShapedType::isDynamic(n) && total != n)
    return emitOpError() << "segments cover " << total
                         << " rows but the weights have " << n;
  if (!dimsCompatible(dim(getWeightScales(), 0),
                      static_cast<int64_t>(segments.size())))
    return emitOpError() << "has " << segments.size() << " segments but "
                         << dimString(dim(getWeightScales(), 0))
                         << " weight scales";
  return verifyBitLinearOperands(*this, getInput(), getInputScales(),
                                 getWeights(), getResult(), getKind(), n, k);
}

LogicalResult BitLinearOp::verify() {
  auto [n, k] = getWeightShape();
  return verifyBitLinearOperands(*this, getInput(), getInputScales(),
                                 getWeights(), getResult(), getKind(), n, k);
}

LogicalResult FloatLinearOp::verify() {
  if (failed(verifySameDim(*this, "reduction size", getInput(), 1,
                           getWeights(), 1)) ||
      failed(verifySameDim(*this, "output features", getWeights(), 0,
                           getResult(), 1)) ||
      failed(verifySameDim(*this, "token count", getInput(), 0, getResult(),
                           0)))
    return failure();
  return success();
}

bool FloatLinearOp::isLMHead() {
  return llvm::any_of(getResult().getUsers(), [](Operation *user) {
    return user->hasTrait<OpTrait::ReturnLike>();
  });
}

LogicalResult Int8LinearOp::verify() {
  if (failed(verifySameDim(*this, "reduction size", getInput(), 1,
                           getWeights(), 1)) ||
      failed(verifySameDim(*this, "output features", getWeights(), 0,
                           getResult(), 1)) ||
      failed(verifySameDim(*this, "weight scale count", getWeights(), 0,
                           getWeightScales(), 0)) ||
      failed(verifySameDim(*this, "token count", getInput(), 0, getResult(),
                           0)) ||
      failed(verifySameDim(*this, "input scale count", getInput(), 0,
                           getInputScales(), 0)))
    return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// The rest of a block
//===----------------------------------------------------------------------===//

LogicalResult RMSNormOp::verify() {
  if (failed(verifySameDim(*this, "norm weight size", getInput(), 1,
                           getWeight(), 0)))
    return failure();
  if (!(getEpsilon().convertToFloat() > 0.0f))
    return emitOpError() << "epsilon must be positive";
  return success();
}

/// RoPE's checks: an even head_dim, a positive theta, and each rotated
/// input's rows whole heads.
static LogicalResult verifyRoPE(Operation *op, int64_t headDim, APFloat theta,
                                ArrayRef<Value> inputs) {
  if (headDim % 2 != 0)
    return op->emitOpError() << "head_dim must be even, got " << headDim;
  if (!(theta.convertToFloat() > 0.0f))
    return op->emitOpError() << "theta must be positive";
  for (Value input : inputs) {
    int64_t width = dim(input, 1);
    if (!ShapedType::isDynamic(width) && width % headDim != 0)
      return op->emitOpError() << "feature count " << width
                               << " is not a multiple of head_dim " << headDim;
  }
  return success();
}

LogicalResult RoPEOp::verify() {
  return verifyRoPE(*this, getHeadDim(), getTheta(), {getInput()});
}

LogicalResult RoPEQKVOp::verify() {
  if (failed(verifySameDim(*this, "token count", getQuery(), 0, getKey(), 0)))
    return failure();
  return verifyRoPE(*this, getHeadDim(), getTheta(), {getQuery(), getKey()});
}

LogicalResult KVAppendOp::verify() {
  int64_t layers = dim(getCache(), 0);
  if (!ShapedType::isDynamic(layers) &&
      static_cast<int64_t>(getLayer()) >= layers)
    return emitOpError() << "layer " << getLayer() << " is out of range for a "
                         << layers << "-layer cache";
  if (failed(verifySameDim(*this, "kv width", getCache(), 2, getValues(), 1)))
    return failure();
  int64_t context = dim(getCache(), 1), tokens = dim(getValues(), 0);
  if (!ShapedType::isDynamic(context) && !ShapedType::isDynamic(tokens) &&
      tokens > context)
    return emitOpError() << tokens << " new rows do not fit a context of "
                         << context;
  return success();
}

int64_t AttentionOp::getHeadDim() {
  int64_t width = dim(getQuery(), 1);
  return ShapedType::isDynamic(width) ? width : width / getNumHeads();
}

LogicalResult AttentionOp::verify() {
  int64_t heads = getNumHeads(), kvHeads = getNumKvHeads();
  if (heads % kvHeads != 0)
    return emitOpError() << "num_heads " << heads
                         << " is not a multiple of num_kv_heads " << kvHeads;
  if (getKeyCache().getType() != getValueCache().getType())
    return emitOpError() << "key and value caches must have the same type";
  int64_t width = dim(getQuery(), 1), kvWidth = dim(getKeyCache(), 2);
  if (ShapedType::isDynamic(width) || ShapedType::isDynamic(kvWidth))
    return emitOpError() << "query and cache widths must be static";
  if (width % heads != 0)
    return emitOpError() << "query width " << width
                         << " is not a multiple of num_heads " << heads;
  if (kvWidth != kvHeads * (width / heads))
    return emitOpError() << "cache width " << kvWidth << " != num_kv_heads ("
                         << kvHeads << ") x head_dim (" << width / heads << ")";
  int64_t layers = dim(getKeyCache(), 0);
  if (!ShapedType::isDynamic(layers) &&
      static_cast<int64_t>(getLayer()) >= layers)
    return emitOpError() << "layer " << getLayer() << " is out of range for a "
                         << layers << "-layer cache";
  return success();
}

LogicalResult EmbeddingOp::verify() {
  if (failed(verifySameDim(*this, "token count", getTokens(), 0, getResult(),
                           0)) ||
      failed(verifySameDim(*this, "embedding width", getTable(), 1,
                           getResult(), 1)))
    return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// CallKernelOp
//===----------------------------------------------------------------------===//

Type mlir::bitnet::halideArgType(MLIRContext *ctx, StringRef name) {
  using S = IntegerType::SignednessSemantics;
  if (name == "f32")
    return Float32Type::get(ctx);
  for (auto [text, width, signedness] :
       {std::tuple{"i8", 8u, S::Signed}, std::tuple{"u8", 8u, S::Unsigned},
        std::tuple{"i16", 16u, S::Signed}, std::tuple{"u16", 16u, S::Unsigned},
        std::tuple{"i32", 32u, S::Signed}})
    if (name == text)
      return IntegerType::get(ctx, width, signedness);
  return {};
}

/// Whether `type` is one of the Halide element types a call passes.
static bool isHalideArgType(Type type) {
  if (type.isF32())
    return true;
  auto integer = dyn_cast<IntegerType>(type);
  return integer && !integer.isSignless() &&
         (integer.getWidth() == 8 || integer.getWidth() == 16 ||
          (integer.getWidth() == 32 && integer.isSigned()));
}

LogicalResult mlir::bitnet::orIntoStatusResult(FunctionOpInterface func,
                                               ArrayRef<Value> statuses) {
  if (statuses.empty())
    return success();
  ArrayRef<Type> results = func.getResultTypes();
  auto isStatus = [](Type t) { return t.isSignlessInteger(32); };
  Operation *ret = nullptr;
  for (Block &block : func.getFunctionBody())
    if (block.mightHaveTerminator() && block.getTerminator()->hasTrait<OpTrait::ReturnLike>()) {
      if (ret)
        return func.emitError() << "expected one return";
      ret = block.getTerminator();
    }
  if (!ret || llvm::count_if(results, isStatus) != 1)
    return func.emitError() << "expected one return and one i32 status result";
  unsigned index = llvm::find_if(results, isStatus) - results.begin();
  OpBuilder b(ret);
  Value status = ret->getOperand(index);
  for (Value s : statuses)
    status = arith::OrIOp::create(b, ret->getLoc(), status, s);
  ret->setOperand(index, status);
  return success();
}

bool CallKernelOp::writesArg(unsigned index) {
  auto spec = (*this)->getAttrOfType<KernelSpecAttr>("bitnet.kernel_spec");
  return !spec || index + ::bitnet::kernels::kernelOutputCount(spec.getSpec().kind) >=
                      getArgs().size();
}

LogicalResult CallKernelOp::verify() {
  ArrayAttr types = getArgTypes();
  if (types.size() != getArgs().size())
    return emitOpError() << "has " << getArgs().size() << " operands but "
                         << types.size() << " arg_types";
  for (auto [i, arg, typeAttr] : llvm::enumerate(getArgs(), types)) {
    Type halide = cast<TypeAttr>(typeAttr).getValue();
    if (!isHalideArgType(halide))
      return emitOpError() << "arg_types[" << i << "] " << halide
                           << " is not one of si8, ui8, si16, ui16, si32, f32";
    Type element = arg.getType();
    if (auto memref = dyn_cast<MemRefType>(element)) {
      SmallVector<int64_t> strides;
      int64_t offset;
      if (failed(memref.getStridesAndOffset(strides, offset)) ||
          llvm::any_of(strides, ShapedType::isDynamic))
        return emitOpError() << "operand #" << i << " must have static strides";
      element = memref.getElementType();
      // f16 and bf16 tables travel as their bits.
      if ((element.isF16() || element.isBF16()) && halide.isUnsignedInteger(16))
        continue;
    }
    // The MLIR values are signless; the kernel reads them with a sign.
    bool same = halide.isF32() ? element.isF32()
                               : element.isSignlessInteger(halide.getIntOrFloatBitWidth());
    if (!same)
      return emitOpError() << "operand #" << i << " of element type "
                           << element << " cannot be passed as " << halide;
  }
  return success();
}

void CallKernelOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  for (OpOperand &operand : getArgsMutable()) {
    if (!isa<MemRefType>(operand.get().getType()))
      continue;
    effects.emplace_back(MemoryEffects::Read::get(), &operand,
                         SideEffects::DefaultResource::get());
    effects.emplace_back(MemoryEffects::Write::get(), &operand,
                         SideEffects::DefaultResource::get());
  }
}
