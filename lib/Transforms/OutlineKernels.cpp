//===- OutlineKernels.cpp - Compute ops -> Halide kernel calls ------------===//

#include "bitnet/Transforms/Passes.h"

#include "bitnet/Dialect/BitNet/BitNet.h"
#include "bitnet/Dialect/BitNet/WeightValues.h"
#include "bitnet/Kernels/KernelSpec.h"
#include "bitnet/Target/TargetTable.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

#include <cctype>

namespace mlir {
namespace bitnet {
#define GEN_PASS_DEF_OUTLINEKERNELS
#include "bitnet/Transforms/Passes.h.inc"
} // namespace bitnet
} // namespace mlir

using namespace mlir;
using namespace mlir::bitnet;
namespace kernels = ::bitnet::kernels;

namespace {

/// One kernel operand: a tensor (passed as a buffer of `bufferType`, or an
/// identity-layout buffer when null) or a scalar, with its Halide type.
struct Operand {
  Value value;
  std::string halideType;
  MemRefType bufferType = {};
};

/// One kernel result: a fresh buffer of `type`'s shape.
struct Result {
  RankedTensorType type;
  std::string halideType;
};

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

/// Kernel symbol: the kind and the hash of the spec without its name, so that
/// equal shapes share one kernel.
std::string kernelName(kernels::KernelSpec &spec, const std::string &prefix) {
  spec.name = "kernel";
  std::string name = prefix + "_" + kernels::kernelKindName(spec.kind) + "_" +
                     spec.hash().substr(0, 12);
  spec.name = name;
  return name;
}

std::string specAttrText(const kernels::KernelSpec &spec) {
  std::string text = spec.canonical();
  for (char &c : text)
    if (c == '\n')
      c = ' ';
  if (!text.empty() && text.back() == ' ')
    text.pop_back();
  return text;
}

class Outliner {
public:
  Outliner(kernels::KernelTarget target, std::string prefix)
      : target(target), prefix(std::move(prefix)) {}

  /// symbol -> spec text of every kernel called so far.
  llvm::StringMap<std::string> specs;

  /// Replaces `op` by a kernel call; returns the call's status.
  Value emit(Operation *op, kernels::KernelSpec spec,
             ArrayRef<Operand> operands, ArrayRef<Result> results) {
    OpBuilder b(op);
    Location loc = op->getLoc();
    spec.target = target;
    std::string name = kernelName(spec, prefix);
    SmallVector<Value> args;
    SmallVector<Attribute> types;
    for (const Operand &o : operands) {
      auto tensorType = dyn_cast<RankedTensorType>(o.value.getType());
      types.push_back(b.getStringAttr(o.halideType));
      if (!tensorType) {
        args.push_back(o.value);
        continue;
      }
      MemRefType bufferType =
          o.bufferType ? o.bufferType
                       : MemRefType::get(tensorType.getShape(),
                                         tensorType.getElementType());
      args.push_back(bufferization::ToBufferOp::create(
          b, loc, bufferType, o.value, b.getUnitAttr()));
    }
    SmallVector<Value> outputs;
    for (const Result &r : results) {
      Value buffer = memref::AllocOp::create(
          b, loc, MemRefType::get(r.type.getShape(), r.type.getElementType()));
      args.push_back(buffer);
      outputs.push_back(buffer);
      types.push_back(b.getStringAttr(r.halideType));
    }
    bool device = target == kernels::KernelTarget::CUDA ||
                  target == kernels::KernelTarget::OpenCL;
    auto call = CallKernelOp::create(b, loc, b.getI32Type(),
                                     FlatSymbolRefAttr::get(b.getContext(), name),
                                     b.getArrayAttr(types),
                                     device ? b.getUnitAttr() : UnitAttr(), args);
    std::string text = specAttrText(spec);
    call->setAttr("bitnet.kernel_spec", b.getStringAttr(text));
    specs[name] = text;
    SmallVector<Value> tensors;
    for (auto [buffer, r] : llvm::zip(outputs, results))
      tensors.push_back(bufferization::ToTensorOp::create(
          b, loc, r.type, buffer, b.getUnitAttr(), b.getUnitAttr()));
    op->replaceAllUsesWith(tensors);
    op->erase();
    return call.getStatus();
  }

private:
  kernels::KernelTarget target;
  std::string prefix;
};

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

struct OutlineKernelsPass
    : mlir::bitnet::impl::OutlineKernelsBase<OutlineKernelsPass> {
  using OutlineKernelsBase::OutlineKernelsBase;

  void runOnOperation() override {
    const ::bitnet::target::TargetDescription *target =
        ::bitnet::target::lookupTarget(targetName);
    if (!target) {
      getOperation().emitError() << "unknown target '" << targetName << "'";
      return signalPassFailure();
    }
    if (kernelPrefix.empty() ||
        !(std::isalpha((unsigned char)kernelPrefix[0]) || kernelPrefix[0] == '_') ||
        !llvm::all_of(kernelPrefix, [](char c) {
          return std::isalnum((unsigned char)c) || c == '_';
        })) {
      getOperation().emitError()
          << "kernel-prefix '" << kernelPrefix << "' is not a C identifier";
      return signalPassFailure();
    }
    if (std::string why = ::bitnet::target::loadTuning(tuning, table); !why.empty()) {
      getOperation().emitError() << why;
      return signalPassFailure();
    }
    this->target = target;
    Outliner outliner(target->kernels, kernelPrefix);
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      SmallVector<Operation *> ops;
      func.walk([&](Operation *op) {
        if (isa<BitNetDialect>(op->getDialect()) && allStatic(op))
          ops.push_back(op);
      });
      SmallVector<Value> statuses;
      for (Operation *op : ops)
        if (Value status = outline(outliner, op))
          statuses.push_back(status);
      if (statuses.empty())
        continue;
      numCalls += statuses.size();
      appendStatusResult(func, statuses);
    }
    // The list of kernels to generate survives lowering as a module attribute.
    if (!outliner.specs.empty()) {
      SmallVector<NamedAttribute> entries;
      Builder b(&getContext());
      for (const auto &entry : outliner.specs)
        entries.emplace_back(b.getStringAttr(entry.getKey()),
                             b.getStringAttr(entry.getValue()));
      getOperation()->setAttr("bitnet.kernels", b.getDictionaryAttr(entries));
    }
  }

  /// BitLinear and its fused form, ternary or binary packed weights; `scales` is
  /// the scalar gamma, or one scale per segment when `segments` is given.
  Value outlineBitLinear(Outliner &outliner, Operation *op, WeightKind kind,
                         Value input, Value inputScales, Value weights,
                         Value scales, ArrayRef<int64_t> segments) {
    auto layout = dyn_cast_or_null<PackedLayoutAttr>(
        cast<RankedTensorType>(weights.getType()).getEncoding());
    if (!layout)
      return {};
    OpBuilder b(op);
    Value bytes = plainPackedWeights(b, weights);
    if (!bytes)
      return {};
    kernels::KernelSpec spec;
    spec.kind = kernels::KernelKind::BitLinear;
    spec.m = staticDim(input, 0);
    spec.n = layout.getRows();
    spec.k = layout.getCols();
    spec.layout = toReference(layout);
    spec.weightKind = toReference(kind);
    spec.segments.assign(segments.begin(), segments.end());
    // Rows per task from the tuning entry that chose this layout's tiles
    // (none when the layout came from elsewhere, e.g. written in the input).
    ::bitnet::target::LayoutRule rule;
    const ::bitnet::target::TuningEntry *entry = nullptr;
    std::string why;
    if (::bitnet::target::chooseLayout(*target, spec.weightKind, spec.n, spec.k, &table,
                                       rule, entry, why) &&
        rule.format == spec.layout.format && rule.tileN == spec.layout.tileN &&
        rule.tileK == spec.layout.tileK)
      spec.rowsPerTask = ::bitnet::target::tunedRowsPerTask(entry, spec.m, rule.tileN);
    return outliner.emit(
        op, spec,
        {{input, "i8"}, {inputScales, "f32"}, {bytes, "u8"}, {scales, "f32"}},
        {{cast<RankedTensorType>(op->getResult(0).getType()), "f32"}});
  }

  ::bitnet::target::TuningTable table;
  const ::bitnet::target::TargetDescription *target = nullptr;

  Value outline(Outliner &outliner, Operation *op) {
    using kernels::KernelKind;
    kernels::KernelSpec spec;
    auto f32Result = [](Value v) { return Result{cast<RankedTensorType>(v.getType()), "f32"}; };
    if (auto bl = dyn_cast<BitLinearOp>(op))
      return outlineBitLinear(outliner, op, bl.getKind(), bl.getInput(),
                              bl.getInputScales(), bl.getWeights(),
                              bl.getWeightScale(), {});
    if (auto fused = dyn_cast<BitLinearFusedOp>(op))
      return outlineBitLinear(outliner, op, fused.getKind(), fused.getInput(),
                              fused.getInputScales(), fused.getWeights(),
                              fused.getWeightScales(), fused.getSegments());
    if (auto norm = dyn_cast<RMSNormQuantizeOp>(op)) {
      spec.kind = KernelKind::RMSNormQuant;
      spec.m = staticDim(norm.getInput(), 0);
      spec.n = staticDim(norm.getInput(), 1);
      spec.eps = norm.getEpsilon().convertToFloat();
      return outliner.emit(
          op, spec, {{norm.getInput(), "f32"}, {norm.getWeight(), "f32"}},
          {{cast<RankedTensorType>(norm.getQuantized().getType()), "i8"},
           {cast<RankedTensorType>(norm.getScales().getType()), "f32"},
           {cast<RankedTensorType>(norm.getSums().getType()), "i32"}});
    }
    if (auto rope = dyn_cast<RoPEOp>(op)) {
      spec.kind = KernelKind::RoPE;
      spec.m = staticDim(rope.getInput(), 0);
      spec.headDim = rope.getHeadDim();
      spec.heads = staticDim(rope.getInput(), 1) / spec.headDim;
      spec.theta = rope.getTheta().convertToFloat();
      return outliner.emit(op, spec,
                           {{rope.getInput(), "f32"}, {rope.getPosition(), "i32"}},
                           {f32Result(rope.getResult())});
    }
    if (auto attn = dyn_cast<AttentionOp>(op)) {
      auto cacheType = cast<RankedTensorType>(attn.getKeyCache().getType());
      int64_t context = cacheType.getDimSize(1), kvDim = cacheType.getDimSize(2);
      spec.kind = KernelKind::Attention;
      spec.m = staticDim(attn.getQuery(), 0);
      spec.heads = attn.getNumHeads();
      spec.kvHeads = attn.getNumKvHeads();
      spec.headDim = attn.getHeadDim();
      spec.context = context;
      // The layer's rows of each cache, passed in place.
      OpBuilder b(op);
      int64_t layer = attn.getLayer();
      auto sliceType = RankedTensorType::get({context, kvDim}, b.getF32Type());
      auto slice = [&](Value cache) {
        return tensor::ExtractSliceOp::create(
                   b, op->getLoc(), sliceType, cache,
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
          StridedLayoutAttr::get(b.getContext(), layer * context * kvDim,
                                 {kvDim, 1}));
      return outliner.emit(
          op, spec,
          {{attn.getQuery(), "f32"},
           {slice(attn.getKeyCache()), "f32", sliceBuffer},
           {slice(attn.getValueCache()), "f32", sliceBuffer},
           {attn.getPosition(), "i32"}},
          {f32Result(attn.getResult())});
    }
    if (auto glu = dyn_cast<GLUOp>(op)) {
      spec.kind = KernelKind::GLU;
      spec.m = staticDim(glu.getGate(), 0);
      spec.n = staticDim(glu.getGate(), 1);
      spec.activation = glu.getActivation() == GluActivation::Silu
                            ? ::bitnet::ref::GluActivation::Silu
                            : ::bitnet::ref::GluActivation::Relu2;
      return outliner.emit(op, spec, {{glu.getGate(), "f32"}, {glu.getUp(), "f32"}},
                           {f32Result(glu.getResult())});
    }
    if (auto add = dyn_cast<AddOp>(op)) {
      spec.kind = KernelKind::Add;
      spec.m = staticDim(add.getLhs(), 0);
      spec.n = staticDim(add.getLhs(), 1);
      return outliner.emit(op, spec, {{add.getLhs(), "f32"}, {add.getRhs(), "f32"}},
                           {f32Result(add.getResult())});
    }
    if (auto emb = dyn_cast<EmbeddingOp>(op)) {
      auto table = cast<RankedTensorType>(emb.getTable().getType());
      if (!table.getElementType().isF16())
        return {};
      spec.kind = KernelKind::Embedding;
      spec.m = staticDim(emb.getTokens(), 0);
      spec.n = table.getDimSize(1);
      spec.vocab = table.getDimSize(0);
      return outliner.emit(op, spec, {{emb.getTable(), "u16"}, {emb.getTokens(), "i32"}},
                           {f32Result(emb.getResult())});
    }
    if (auto fl = dyn_cast<FloatLinearOp>(op)) {
      auto weights = cast<RankedTensorType>(fl.getWeights().getType());
      Type element = weights.getElementType();
      using FloatWeights = kernels::KernelSpec::FloatWeights;
      spec.kind = KernelKind::FloatMatmul;
      spec.floatWeights = element.isF32()    ? FloatWeights::F32
                          : element.isBF16() ? FloatWeights::BF16
                                             : FloatWeights::F16;
      spec.m = staticDim(fl.getInput(), 0);
      spec.n = weights.getDimSize(0);
      spec.k = weights.getDimSize(1);
      return outliner.emit(
          op, spec, {{fl.getInput(), "f32"}, {fl.getWeights(), element.isF32() ? "f32" : "u16"}},
          {f32Result(fl.getResult())});
    }
    if (auto il = dyn_cast<Int8LinearOp>(op)) {
      spec.kind = KernelKind::Int8Matmul;
      spec.m = staticDim(il.getInput(), 0);
      spec.n = staticDim(il.getWeights(), 0);
      spec.k = staticDim(il.getWeights(), 1);
      return outliner.emit(op, spec,
                           {{il.getInput(), "i8"},
                            {il.getInputScales(), "f32"},
                            {il.getWeights(), "i8"},
                            {il.getWeightScales(), "f32"}},
                           {f32Result(il.getResult())});
    }
    return {};
  }

  /// Ors the statuses at each return and returns the result as a new last
  /// result of the function.
  void appendStatusResult(func::FuncOp func, ArrayRef<Value> statuses) {
    func.walk([&](func::ReturnOp ret) {
      OpBuilder b(ret);
      Value any = statuses.front();
      for (Value s : statuses.drop_front())
        any = arith::OrIOp::create(b, ret.getLoc(), any, s);
      ret.getOperandsMutable().append(any);
    });
    SmallVector<Type> results(func.getResultTypes());
    results.push_back(IntegerType::get(func.getContext(), 32));
    func.setType(FunctionType::get(func.getContext(), func.getArgumentTypes(),
                                   results));
  }
};

} // namespace
