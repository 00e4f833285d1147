//===- BitNetToLinalg.cpp - Reference lowering of the bitnet dialect ------===//
//
// Every op becomes linalg.generic ops whose bodies repeat, operation for
// operation, the golden reference in lib/Reference (Reference.h documents the
// order of every float operation). Nothing here is tuned: this is the oracle.
//
//===----------------------------------------------------------------------===//

#include "bitnet/Conversion/Passes.h"
#include "bitnet/Dialect/BitNet/BitNet.h"
#include "bitnet/Dialect/BitNet/WeightValues.h"
#include "bitnet/Reference/Reference.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>
#include <limits>

namespace mlir {
namespace bitnet {
#define GEN_PASS_DEF_CONVERTBITNETTOLINALG
#include "bitnet/Conversion/Passes.h.inc"
} // namespace bitnet
} // namespace mlir

using namespace mlir;
using namespace mlir::bitnet;

namespace {

//===----------------------------------------------------------------------===//
// Building blocks
//===----------------------------------------------------------------------===//

using BodyBuilder = function_ref<void(OpBuilder &, Location, ValueRange)>;

/// Small builder of the handful of shapes of linalg.generic this file needs.
class Lowering {
public:
  Lowering(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  OpFoldResult dimOf(Value tensor, int64_t i) {
    return tensor::getMixedSize(b, loc, tensor, i);
  }
  OpFoldResult fixed(int64_t size) { return b.getIndexAttr(size); }

  Value empty(ArrayRef<OpFoldResult> sizes, Type elementType) {
    return tensor::EmptyOp::create(b, loc, sizes, elementType);
  }
  Value filled(ArrayRef<OpFoldResult> sizes, TypedAttr value) {
    Value init = empty(sizes, value.getType());
    Value scalar = arith::ConstantOp::create(b, loc, value);
    return linalg::FillOp::create(b, loc, scalar, init).getResult(0);
  }

  /// One generic op. `dims` is the number of loop dimensions; `reduced`
  /// lists those that are reductions; each map is given as result dims.
  Value generic(ArrayRef<Value> inputs, ArrayRef<SmallVector<int64_t>> inMaps,
                Value init, ArrayRef<int64_t> outMap, unsigned dims,
                ArrayRef<unsigned> reduced, BodyBuilder body) {
    SmallVector<AffineMap> maps;
    for (const auto &m : inMaps)
      maps.push_back(map(dims, m));
    maps.push_back(map(dims, outMap));
    SmallVector<utils::IteratorType> iterators(dims,
                                               utils::IteratorType::parallel);
    for (unsigned r : reduced)
      iterators[r] = utils::IteratorType::reduction;
    auto op = linalg::GenericOp::create(b, loc, init.getType(), inputs,
                                        ValueRange{init}, maps, iterators, body);
    return op.getResult(0);
  }

  Value cf32(float v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }

  OpBuilder &b;
  Location loc;

private:
  AffineMap map(unsigned dims, ArrayRef<int64_t> results) {
    SmallVector<AffineExpr> exprs;
    for (int64_t r : results)
      exprs.push_back(b.getAffineDimExpr(r));
    return AffineMap::get(dims, 0, exprs, b.getContext());
  }
};

// Scalar helpers used inside generic bodies.
Value constF32(OpBuilder &b, Location loc, float v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}
Value constIndex(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}
Value constI32(OpBuilder &b, Location loc, int32_t v) {
  return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(v));
}
Value toF32(OpBuilder &b, Location loc, Value v) {
  if (v.getType().isF32())
    return v;
  return arith::ExtFOp::create(b, loc, b.getF32Type(), v);
}
Value indexToF32(OpBuilder &b, Location loc, Value index) {
  Value i64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), index);
  return arith::SIToFPOp::create(b, loc, b.getF32Type(), i64);
}
void yield(OpBuilder &b, Location loc, ValueRange values) {
  linalg::YieldOp::create(b, loc, values);
}
/// Element count of a tensor as an f64 value (dynamic dims allowed).
Value elementCountF64(Lowering &l, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  Value count = constIndex(l.b, l.loc, 1);
  for (int64_t i = 0; i < type.getRank(); ++i)
    count = arith::MulIOp::create(
        l.b, l.loc, count,
        getValueOrCreateConstantIndexOp(l.b, l.loc, l.dimOf(tensor, i)));
  Value i64 = arith::IndexCastOp::create(l.b, l.loc, l.b.getI64Type(), count);
  return arith::SIToFPOp::create(l.b, l.loc, l.b.getF64Type(), i64);
}

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

std::optional<std::vector<int8_t>>
asSigned(std::optional<std::vector<uint8_t>> bytes) {
  if (!bytes)
    return std::nullopt;
  return std::vector<int8_t>(bytes->begin(), bytes->end());
}

struct ConstantLowering : OpConversionPattern<ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConstantOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(
        getTypeConverter()->convertType(op.getType()));
    ElementsAttr value = op.getValue();
    TypedAttr converted;
    if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
      // One byte per element already: only the type changes.
      converted = DenseResourceElementsAttr::get(type, resource.getRawHandle());
    } else if (auto external = dyn_cast<ExternalWeightsAttr>(value)) {
      converted = external.withType(type); // produced when the output is written
    } else if (std::optional<std::vector<int8_t>> bytes =
                   cast<RankedTensorType>(op.getType()).getElementType().isInteger(2)
                       ? readLogicalWeights(value)
                       : asSigned(readBytes(value))) {
      converted = DenseElementsAttr::get(
          type, ArrayRef<char>(reinterpret_cast<const char *>(bytes->data()),
                               bytes->size()));
    } else {
      return rewriter.notifyMatchFailure(op, "unreadable constant storage");
    }
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, type, converted);
    return success();
  }
};

struct QuantizeWeightsLowering : OpConversionPattern<QuantizeWeightsOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(QuantizeWeightsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Lowering l(rewriter, loc);
    Value w = adaptor.getWeights();
    bool binary = op.getKind() == WeightKind::Binary;
    Type f64 = rewriter.getF64Type();

    // Sums over the whole tensor in f64, row-major (reduction order of the
    // loops that convert-linalg-to-loops emits).
    auto sumAll = [&](bool absolute) {
      Value init = l.filled({}, rewriter.getF64FloatAttr(0.0));
      Value sum = l.generic({w}, {{0, 1}}, init, {}, 2, {0, 1},
                            [&](OpBuilder &b, Location loc, ValueRange args) {
                              Value v = toF32(b, loc, args[0]);
                              if (absolute)
                                v = math::AbsFOp::create(b, loc, v);
                              Value d = arith::ExtFOp::create(b, loc, f64, v);
                              yield(b, loc,
                                    arith::AddFOp::create(b, loc, args[1], d)
                                        .getResult());
                            });
      return tensor::ExtractOp::create(rewriter, loc, sum, ValueRange{})
          .getResult();
    };
    Value count = elementCountF64(l, w);
    auto meanF32 = [&](Value sum) {
      Value mean = arith::DivFOp::create(rewriter, loc, sum, count);
      return arith::TruncFOp::create(rewriter, loc, rewriter.getF32Type(), mean)
          .getResult();
    };
    Value gamma = arith::MaximumFOp::create(rewriter, loc,
                                            meanF32(sumAll(/*absolute=*/true)),
                                            l.cf32(1e-5f));
    Value alpha = binary ? meanF32(sumAll(/*absolute=*/false)) : Value();

    Type i8 = rewriter.getI8Type();
    Value init = l.empty({l.dimOf(w, 0), l.dimOf(w, 1)}, i8);
    Value values = l.generic(
        {w}, {{0, 1}}, init, {0, 1}, 2, {},
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Value v = toF32(b, loc, args[0]);
          Value code;
          if (binary) {
            Value above = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                                v, alpha);
            code = arith::SelectOp::create(
                b, loc, above,
                arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(1)),
                arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(-1)));
          } else {
            Value r = math::RoundEvenOp::create(
                b, loc, arith::DivFOp::create(b, loc, v, gamma));
            r = arith::MaximumFOp::create(b, loc, r, constF32(b, loc, -1.0f));
            r = arith::MinimumFOp::create(b, loc, r, constF32(b, loc, 1.0f));
            code = arith::FPToSIOp::create(b, loc, i8, r);
          }
          yield(b, loc, code);
        });
    rewriter.replaceOp(op, {values, gamma});
    return success();
  }
};

/// Index arithmetic shared by packing and unpacking: where logical element
/// (row, col) of a packed layout lives. Mirrors bitnet/Reference/Packing.h.
struct PackedGeometry {
  PackedLayoutAttr layout;
  int64_t perByte, rowBytes, tileBytes, colTiles, paddedCols;

  explicit PackedGeometry(PackedLayoutAttr layout) : layout(layout) {
    perByte = ref::codesPerByte(toReference(layout).format);
    int64_t tk = layout.getTileCols();
    rowBytes = tk / perByte;
    tileBytes = layout.getTileRows() * rowBytes;
    paddedCols = (layout.getCols() + tk - 1) / tk * tk;
    colTiles = paddedCols / tk;
  }
  bool strided() const { return layout.getFormat() != PackFormat::Base3; }
};

/// Byte index and slot (0 .. perByte-1) of logical element (row, col).
std::pair<Value, Value> locateCode(OpBuilder &b, Location loc,
                                   const PackedGeometry &g, Value row,
                                   Value col) {
  auto c = [&](int64_t v) { return constIndex(b, loc, v); };
  int64_t tn = g.layout.getTileRows(), tk = g.layout.getTileCols();
  Value tileRow = arith::DivUIOp::create(b, loc, row, c(tn));
  Value inRow = arith::RemUIOp::create(b, loc, row, c(tn));
  Value tileCol = arith::DivUIOp::create(b, loc, col, c(tk));
  Value inCol = arith::RemUIOp::create(b, loc, col, c(tk));
  Value byteInRow, slot;
  if (g.strided()) {
    byteInRow = arith::RemUIOp::create(b, loc, inCol, c(g.rowBytes));
    slot = arith::DivUIOp::create(b, loc, inCol, c(g.rowBytes));
  } else {
    byteInRow = arith::DivUIOp::create(b, loc, inCol, c(g.perByte));
    slot = arith::RemUIOp::create(b, loc, inCol, c(g.perByte));
  }
  Value tile = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, tileRow, c(g.colTiles)), tileCol);
  Value byte = arith::MulIOp::create(b, loc, tile, c(g.tileBytes));
  byte = arith::AddIOp::create(
      b, loc, byte, arith::MulIOp::create(b, loc, inRow, c(g.rowBytes)));
  byte = arith::AddIOp::create(b, loc, byte, byteInRow);
  return {byte, slot};
}

struct PackLowering : OpConversionPattern<PackOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(PackOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Lowering l(rewriter, loc);
    auto layout = cast<PackedLayoutAttr>(
        cast<RankedTensorType>(op.getPacked().getType()).getEncoding());
    PackedGeometry g(layout);
    Value w = adaptor.getWeights();
    Type i32 = rewriter.getI32Type();
    int64_t n = layout.getRows(), k = layout.getCols();
    int64_t tn = layout.getTileRows(), tk = layout.getTileCols();
    int64_t padCode = layout.getFormat() == PackFormat::Bits1 ? -1 : 0;
    Value init = l.empty({l.fixed(layout.getStorageBytes())}, rewriter.getI8Type());
    Value packed = l.generic(
        {}, {}, init, {0}, 1, {},
        [&](OpBuilder &b, Location loc, ValueRange) {
          auto c = [&](int64_t v) { return constIndex(b, loc, v); };
          Value byte = linalg::IndexOp::create(b, loc, 0);
          Value tile = arith::DivUIOp::create(b, loc, byte, c(g.tileBytes));
          Value within = arith::RemUIOp::create(b, loc, byte, c(g.tileBytes));
          Value row = arith::AddIOp::create(
              b, loc,
              arith::MulIOp::create(
                  b, loc, arith::DivUIOp::create(b, loc, tile, c(g.colTiles)),
                  c(tn)),
              arith::DivUIOp::create(b, loc, within, c(g.rowBytes)));
          Value colBase = arith::AddIOp::create(
              b, loc,
              arith::MulIOp::create(
                  b, loc, arith::RemUIOp::create(b, loc, tile, c(g.colTiles)),
                  c(tk)),
              g.strided()
                  ? arith::RemUIOp::create(b, loc, within, c(g.rowBytes))
                        .getResult()
                  : arith::MulIOp::create(
                        b, loc,
                        arith::RemUIOp::create(b, loc, within, c(g.rowBytes)),
                        c(g.perByte))
                        .getResult());
          Value rowOk = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                              row, c(n));
          Value safeRow = arith::MinUIOp::create(b, loc, row, c(n - 1));
          Value acc = constI32(b, loc, 0);
          for (int64_t slot = 0; slot < g.perByte; ++slot) {
            Value col = arith::AddIOp::create(
                b, loc, colBase, c(g.strided() ? slot * g.rowBytes : slot));
            Value ok = arith::AndIOp::create(
                b, loc, rowOk,
                arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, col,
                                      c(k)));
            Value safeCol = arith::MinUIOp::create(b, loc, col, c(k - 1));
            Value v = tensor::ExtractOp::create(b, loc, w,
                                                ValueRange{safeRow, safeCol});
            v = arith::ExtSIOp::create(b, loc, i32, v);
            v = arith::SelectOp::create(b, loc, ok, v, constI32(b, loc, padCode));
            Value code = arith::AddIOp::create(b, loc, v, constI32(b, loc, 1));
            switch (layout.getFormat()) {
            case PackFormat::Offset2:
              code = arith::ShLIOp::create(b, loc, code,
                                           constI32(b, loc, 2 * slot));
              acc = arith::OrIOp::create(b, loc, acc, code);
              break;
            case PackFormat::Bits1:
              code = arith::ShRUIOp::create(b, loc, code, constI32(b, loc, 1));
              code = arith::ShLIOp::create(b, loc, code, constI32(b, loc, slot));
              acc = arith::OrIOp::create(b, loc, acc, code);
              break;
            case PackFormat::Base3:
              acc = arith::AddIOp::create(
                  b, loc, arith::MulIOp::create(b, loc, acc, constI32(b, loc, 3)),
                  code);
              break;
            }
          }
          // ceil(v * 256 / 243): ref::encodeBase3Byte (Packing.h) in IR.
          if (layout.getFormat() == PackFormat::Base3)
            acc = arith::DivUIOp::create(
                b, loc,
                arith::AddIOp::create(
                    b, loc,
                    arith::MulIOp::create(b, loc, acc, constI32(b, loc, 256)),
                    constI32(b, loc, 242)),
                constI32(b, loc, 243));
          yield(b, loc,
                arith::TruncIOp::create(b, loc, b.getI8Type(), acc).getResult());
        });
    rewriter.replaceOp(op, packed);
    return success();
  }
};

/// Logical [N, K] i8 weights from packed bytes (inverse of PackLowering).
Value unpackWeights(Lowering &l, Value bytes, PackedLayoutAttr layout) {
  PackedGeometry g(layout);
  Type i32 = l.b.getI32Type();
  Value init = l.empty({l.fixed(layout.getRows()), l.fixed(layout.getCols())},
                       l.b.getI8Type());
  return l.generic(
      {}, {}, init, {0, 1}, 2, {},
      [&](OpBuilder &b, Location loc, ValueRange) {
        Value row = linalg::IndexOp::create(b, loc, 0);
        Value col = linalg::IndexOp::create(b, loc, 1);
        auto [byteIndex, slot] = locateCode(b, loc, g, row, col);
        Value byte = tensor::ExtractOp::create(b, loc, bytes, byteIndex);
        Value v = arith::ExtUIOp::create(b, loc, i32, byte);
        Value slot32 = arith::IndexCastOp::create(b, loc, i32, slot);
        Value value;
        switch (layout.getFormat()) {
        case PackFormat::Offset2: {
          Value shift =
              arith::MulIOp::create(b, loc, slot32, constI32(b, loc, 2));
          Value code = arith::AndIOp::create(
              b, loc, arith::ShRUIOp::create(b, loc, v, shift),
              constI32(b, loc, 3));
          value = arith::SubIOp::create(b, loc, code, constI32(b, loc, 1));
          break;
        }
        case PackFormat::Bits1: {
          Value bit = arith::AndIOp::create(
              b, loc, arith::ShRUIOp::create(b, loc, v, slot32),
              constI32(b, loc, 1));
          value = arith::SubIOp::create(
              b, loc, arith::MulIOp::create(b, loc, bit, constI32(b, loc, 2)),
              constI32(b, loc, 1));
          break;
        }
        case PackFormat::Base3: {
          // trit i = ((uint8_t)(byte * 3^i) * 3) >> 8: ref::base3Trit
          // (Packing.h) in IR.
          Value pow3 = constI32(b, loc, 1);
          for (int64_t i = 0; i < 5; ++i) {
            Value isSlot = arith::CmpIOp::create(
                b, loc, arith::CmpIPredicate::sgt, slot32, constI32(b, loc, i));
            pow3 = arith::SelectOp::create(
                b, loc, isSlot,
                arith::MulIOp::create(b, loc, pow3, constI32(b, loc, 3)), pow3);
          }
          Value shifted = arith::AndIOp::create(
              b, loc, arith::MulIOp::create(b, loc, v, pow3),
              constI32(b, loc, 255));
          Value trit = arith::ShRUIOp::create(
              b, loc, arith::MulIOp::create(b, loc, shifted, constI32(b, loc, 3)),
              constI32(b, loc, 8));
          value = arith::SubIOp::create(b, loc, trit, constI32(b, loc, 1));
          break;
        }
        }
        yield(b, loc,
              arith::TruncIOp::create(b, loc, b.getI8Type(), value).getResult());
      });
}

//===----------------------------------------------------------------------===//
// Activations and linear layers
//===----------------------------------------------------------------------===//

struct QuantizeActivationsLowering
    : OpConversionPattern<QuantizeActivationsOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(QuantizeActivationsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Lowering l(rewriter, loc);
    Value x = adaptor.getInput();
    OpFoldResult m = l.dimOf(x, 0), k = l.dimOf(x, 1);
    Value amax = l.generic(
        {x}, {{0, 1}}, l.filled({m}, rewriter.getF32FloatAttr(0.0f)), {0}, 2,
        {1}, [&](OpBuilder &b, Location loc, ValueRange args) {
          Value a = math::AbsFOp::create(b, loc, args[0]);
          yield(b, loc, arith::MaximumFOp::create(b, loc, args[1], a).getResult());
        });
    Value scales = l.generic(
        {amax}, {{0}}, l.empty({m}, rewriter.getF32Type()), {0}, 1, {},
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Value d = arith::MaximumFOp::create(b, loc, args[0],
                                              constF32(b, loc, 1e-5f));
          yield(b, loc,
                arith::DivFOp::create(b, loc, constF32(b, loc, 127.0f), d)
                    .getResult());
        });
    Value q = l.generic(
        {x, scales}, {{0, 1}, {0}}, l.empty({m, k}, rewriter.getI8Type()),
        {0, 1}, 2, {}, [&](OpBuilder &b, Location loc, ValueRange args) {
          Value r = math::RoundEvenOp::create(
              b, loc, arith::MulFOp::create(b, loc, args[0], args[1]));
          r = arith::MaximumFOp::create(b, loc, r, constF32(b, loc, -128.0f));
          r = arith::MinimumFOp::create(b, loc, r, constF32(b, loc, 127.0f));
          yield(b, loc,
                arith::FPToSIOp::create(b, loc, b.getI8Type(), r).getResult());
        });
    rewriter.replaceOp(op, {q, scales});
    return success();
  }
};

/// Lowered as its definition: rms_norm, quantize_activations (both legalized
/// in turn by their own patterns) and the per-token sum of the codes.
struct RMSNormQuantizeLowering : OpConversionPattern<RMSNormQuantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RMSNormQuantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Lowering l(rewriter, loc);
    Value normed = RMSNormOp::create(rewriter, loc, op.getInput().getType(),
                                     adaptor.getInput(), adaptor.getWeight(),
                                     op.getEpsilonAttr());
    auto quantized = QuantizeActivationsOp::create(
        rewriter, loc, op.getQuantized().getType(), op.getScales().getType(),
        normed);
    Value q = quantized.getQuantized();
    Value sums = l.generic(
        {q}, {{0, 1}}, l.filled({l.dimOf(adaptor.getInput(), 0)},
                                rewriter.getI32IntegerAttr(0)),
        {0}, 2, {1}, [&](OpBuilder &b, Location loc, ValueRange args) {
          Value v = arith::ExtSIOp::create(b, loc, b.getI32Type(), args[0]);
          yield(b, loc, arith::AddIOp::create(b, loc, args[1], v).getResult());
        });
    rewriter.replaceOp(op, {q, quantized.getScales(), sums});
    return success();
  }
};

/// rms_norm_quantize of `input` with a joined norm-quantizer's weight,
/// epsilon and result types: the second half of its definition.
template <typename Op>
RMSNormQuantizeOp normQuantizeOf(ConversionPatternRewriter &rewriter, Op op, Value input,
                                 Value weight) {
  return RMSNormQuantizeOp::create(rewriter, op.getLoc(), op.getQuantized().getType(),
                                   op.getScales().getType(), op.getSums().getType(), input,
                                   weight, op.getEpsilonAttr());
}

/// Lowered as its definition: add, then rms_norm_quantize of the sum.
struct AddRMSNormQuantizeLowering : OpConversionPattern<AddRMSNormQuantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(AddRMSNormQuantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value sum = AddOp::create(rewriter, loc, adaptor.getLhs(), adaptor.getRhs());
    auto normed = normQuantizeOf(rewriter, op, sum, adaptor.getWeight());
    rewriter.replaceOp(op, {sum, normed.getQuantized(), normed.getScales(),
                            normed.getSums()});
    return success();
  }
};

/// Lowered as its definition: glu, then rms_norm_quantize of it.
struct GLURMSNormQuantizeLowering : OpConversionPattern<GLURMSNormQuantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GLURMSNormQuantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value glu = GLUOp::create(rewriter, loc, adaptor.getGate().getType(),
                              op.getActivationAttr(), adaptor.getGate(), adaptor.getUp());
    rewriter.replaceOp(op, normQuantizeOf(rewriter, op, glu, adaptor.getWeight()).getResults());
    return success();
  }
};

/// y[m, n] = (f32(sum_k q w) / s[m]) * gamma(n) for logical or packed
/// weights; `gammaOf(b, loc, n)` gives the scale of row n.
Value lowerBitLinear(Lowering &l, Operation *op, Value q, Value s, Value w,
                     function_ref<Value(OpBuilder &, Location, Value)> gammaOf) {
  OpBuilder &rewriter = l.b;
  if (auto layout = dyn_cast_or_null<PackedLayoutAttr>(
          cast<RankedTensorType>(op->getOperand(2).getType()).getEncoding()))
    w = unpackWeights(l, w, layout);
  Type i32 = rewriter.getI32Type();
  OpFoldResult m = l.dimOf(q, 0), n = l.dimOf(w, 0);
  // acc[m, n] = sum_k q[m, k] * w[n, k], exact in i32.
  Value acc = l.generic(
      {q, w}, {{0, 2}, {1, 2}}, l.filled({m, n}, rewriter.getI32IntegerAttr(0)),
      {0, 1}, 3, {2}, [&](OpBuilder &b, Location loc, ValueRange args) {
        Value p = arith::MulIOp::create(
            b, loc, arith::ExtSIOp::create(b, loc, i32, args[0]),
            arith::ExtSIOp::create(b, loc, i32, args[1]));
        yield(b, loc, arith::AddIOp::create(b, loc, args[2], p).getResult());
      });
  return l.generic(
      {acc, s}, {{0, 1}, {0}}, l.empty({m, n}, rewriter.getF32Type()), {0, 1}, 2,
      {}, [&](OpBuilder &b, Location loc, ValueRange args) {
        Value f = arith::SIToFPOp::create(b, loc, b.getF32Type(), args[0]);
        f = arith::DivFOp::create(b, loc, f, args[1]);
        Value row = linalg::IndexOp::create(b, loc, 1);
        yield(b, loc,
              arith::MulFOp::create(b, loc, f, gammaOf(b, loc, row)).getResult());
      });
}

struct BitLinearLowering : OpConversionPattern<BitLinearOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(BitLinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Lowering l(rewriter, op.getLoc());
    Value gamma = adaptor.getWeightScale();
    rewriter.replaceOp(
        op, lowerBitLinear(l, op, adaptor.getInput(), adaptor.getInputScales(),
                           adaptor.getWeights(),
                           [&](OpBuilder &, Location, Value) { return gamma; }));
    return success();
  }
};

struct BitLinearFusedLowering : OpConversionPattern<BitLinearFusedOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(BitLinearFusedOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Lowering l(rewriter, op.getLoc());
    Value gammas = adaptor.getWeightScales();
    ArrayRef<int64_t> segments = op.getSegments();
    auto gammaOf = [&](OpBuilder &b, Location loc, Value row) {
      // Segment index: the number of segment ends at or below `row`.
      Value index = constIndex(b, loc, 0), end = constIndex(b, loc, 0);
      for (int64_t size : segments.drop_back()) {
        end = arith::AddIOp::create(b, loc, end, constIndex(b, loc, size));
        Value past = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge,
                                           row, end);
        index = arith::SelectOp::create(
            b, loc, past, arith::AddIOp::create(b, loc, index, constIndex(b, loc, 1)),
            index);
      }
      return tensor::ExtractOp::create(b, loc, gammas, index).getResult();
    };
    rewriter.replaceOp(
        op, lowerBitLinear(l, op, adaptor.getInput(), adaptor.getInputScales(),
                           adaptor.getWeights(), gammaOf));
    return success();
  }
};

struct Int8LinearLowering : OpConversionPattern<Int8LinearOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(Int8LinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Lowering l(rewriter, op.getLoc());
    Value scales = adaptor.getWeightScales();
    auto scaleOf = [&](OpBuilder &b, Location loc, Value row) {
      return tensor::ExtractOp::create(b, loc, scales, row).getResult();
    };
    rewriter.replaceOp(
        op, lowerBitLinear(l, op, adaptor.getInput(), adaptor.getInputScales(),
                           adaptor.getWeights(), scaleOf));
    return success();
  }
};

struct FloatLinearLowering : OpConversionPattern<FloatLinearOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(FloatLinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Lowering l(rewriter, op.getLoc());
    Value x = adaptor.getInput(), w = adaptor.getWeights();
    Value y = l.generic(
        {x, w}, {{0, 2}, {1, 2}},
        l.filled({l.dimOf(x, 0), l.dimOf(w, 0)}, rewriter.getF32FloatAttr(0.0f)),
        {0, 1}, 3, {2}, [&](OpBuilder &b, Location loc, ValueRange args) {
          Value p = arith::MulFOp::create(b, loc, args[0],
                                          toF32(b, loc, args[1]));
          yield(b, loc, arith::AddFOp::create(b, loc, args[2], p).getResult());
        });
    rewriter.replaceOp(op, y);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// The rest of a block
//===----------------------------------------------------------------------===//

struct RMSNormLowering : OpConversionPattern<RMSNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RMSNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Lowering l(rewriter, loc);
    Value x = adaptor.getInput();
    OpFoldResult m = l.dimOf(x, 0), d = l.dimOf(x, 1);
    // The sum of squares in the reference's order (ref::rmsNorm): partial
    // sum j of 32 adds the squares of d = j, j + 32, ... in turn (loops m,
    // j, r with r = d / 32 innermost; past the row's end it adds 0, which
    // leaves it as it is), then the partials are added in order j.
    const int64_t lanes = ref::kRMSNormPartialSums;
    OpFoldResult rounds;
    if (std::optional<int64_t> width = getConstantIntValue(d))
      rounds = l.fixed((*width + lanes - 1) / lanes);
    else
      rounds = arith::CeilDivUIOp::create(
                   rewriter, loc, getValueOrCreateConstantIndexOp(rewriter, loc, d),
                   constIndex(rewriter, loc, lanes))
                   .getResult();
    Value width = getValueOrCreateConstantIndexOp(rewriter, loc, d);
    // An operand of shape [rounds] gives the r loop its extent.
    Value roundsExtent = l.empty({rounds}, rewriter.getF32Type());
    Value partials = l.generic(
        {roundsExtent}, {{2}},
        l.filled({m, l.fixed(lanes)}, rewriter.getF32FloatAttr(0.0f)), {0, 1}, 3, {2},
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Value row = linalg::IndexOp::create(b, loc, 0);
          Value lane = linalg::IndexOp::create(b, loc, 1);
          Value round = linalg::IndexOp::create(b, loc, 2);
          Value col = arith::AddIOp::create(
              b, loc, arith::MulIOp::create(b, loc, round, constIndex(b, loc, lanes)), lane);
          Value inside =
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, col, width);
          Value safeCol =
              arith::SelectOp::create(b, loc, inside, col, constIndex(b, loc, 0));
          Value v = tensor::ExtractOp::create(b, loc, x, ValueRange{row, safeCol});
          Value sq = arith::MulFOp::create(b, loc, v, v);
          Value term = arith::SelectOp::create(b, loc, inside, sq, constF32(b, loc, 0.0f));
          yield(b, loc, arith::AddFOp::create(b, loc, args[1], term).getResult());
        });
    Value ss = l.generic(
        {partials}, {{0, 1}}, l.filled({m}, rewriter.getF32FloatAttr(0.0f)), {0}, 2,
        {1}, [&](OpBuilder &b, Location loc, ValueRange args) {
          yield(b, loc, arith::AddFOp::create(b, loc, args[1], args[0]).getResult());
        });
    Value widthF32 = indexToF32(rewriter, loc, width);
    Value eps = l.cf32(op.getEpsilon().convertToFloat());
    Value y = l.generic(
        {x, ss, adaptor.getWeight()}, {{0, 1}, {0}, {1}},
        l.empty({m, d}, rewriter.getF32Type()), {0, 1}, 2, {},
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Value mean = arith::DivFOp::create(b, loc, args[1], widthF32);
          Value root = math::SqrtOp::create(
              b, loc, arith::AddFOp::create(b, loc, mean, eps));
          Value inv = arith::DivFOp::create(b, loc, constF32(b, loc, 1.0f), root);
          Value v = arith::MulFOp::create(b, loc, args[0], inv);
          yield(b, loc, arith::MulFOp::create(b, loc, v, args[2]).getResult());
        });
    rewriter.replaceOp(op, y);
    return success();
  }
};

struct RoPELowering : OpConversionPattern<RoPEOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RoPEOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Lowering l(rewriter, loc);
    Value x = adaptor.getInput();
    int64_t headDim = op.getHeadDim(), half = headDim / 2;
    Value start = arith::ExtSIOp::create(rewriter, loc, rewriter.getI64Type(),
                                         adaptor.getPosition());
    Value theta = l.cf32(op.getTheta().convertToFloat());
    Value y = l.generic(
        {}, {}, l.empty({l.dimOf(x, 0), l.dimOf(x, 1)}, rewriter.getF32Type()),
        {0, 1}, 2, {}, [&](OpBuilder &b, Location loc, ValueRange) {
          auto c = [&](int64_t v) { return constIndex(b, loc, v); };
          Value m = linalg::IndexOp::create(b, loc, 0);
          Value d = linalg::IndexOp::create(b, loc, 1);
          Value i = arith::RemUIOp::create(b, loc, d, c(headDim));
          Value first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                              i, c(half));
          Value j = arith::RemUIOp::create(b, loc, i, c(half));
          Value partnerCol = arith::SelectOp::create(
              b, loc, first, arith::AddIOp::create(b, loc, d, c(half)),
              arith::SubIOp::create(b, loc, d, c(half)));
          Value self = tensor::ExtractOp::create(b, loc, x, ValueRange{m, d});
          Value partner =
              tensor::ExtractOp::create(b, loc, x, ValueRange{m, partnerCol});
          // invFreq = powf(theta, -(float)(2j) / (float)headDim)
          Value twoJ = arith::MulIOp::create(b, loc, j, c(2));
          Value expo = arith::DivFOp::create(
              b, loc, arith::NegFOp::create(b, loc, indexToF32(b, loc, twoJ)),
              constF32(b, loc, static_cast<float>(headDim)));
          Value invFreq = math::PowFOp::create(b, loc, theta, expo);
          Value pos = arith::AddIOp::create(
              b, loc, start,
              arith::IndexCastOp::create(b, loc, b.getI64Type(), m));
          Value angle = arith::MulFOp::create(
              b, loc, arith::SIToFPOp::create(b, loc, b.getF32Type(), pos),
              invFreq);
          Value cs = math::CosOp::create(b, loc, angle);
          Value sn = math::SinOp::create(b, loc, angle);
          Value selfC = arith::MulFOp::create(b, loc, self, cs);
          Value partnerS = arith::MulFOp::create(b, loc, partner, sn);
          Value out = arith::SelectOp::create(
              b, loc, first, arith::SubFOp::create(b, loc, selfC, partnerS),
              arith::AddFOp::create(b, loc, selfC, partnerS));
          yield(b, loc, out);
        });
    rewriter.replaceOp(op, y);
    return success();
  }
};

/// Lowered as its definition: RoPE of the queries and of the keys; the
/// values pass through.
struct RoPEQKVLowering : OpConversionPattern<RoPEQKVOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RoPEQKVOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto rope = [&](Value input) -> Value {
      return RoPEOp::create(rewriter, op.getLoc(), input, adaptor.getPosition(),
                            op.getHeadDimAttr(), op.getThetaAttr());
    };
    rewriter.replaceOp(op, {rope(adaptor.getQuery()), rope(adaptor.getKey()),
                            adaptor.getValue()});
    return success();
  }
};

struct KVAppendLowering : OpConversionPattern<KVAppendOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(KVAppendOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Lowering l(rewriter, loc);
    Value values = adaptor.getValues();
    Value pos = arith::IndexCastOp::create(rewriter, loc, rewriter.getIndexType(),
                                           adaptor.getPosition());
    SmallVector<OpFoldResult> offsets = {l.fixed(op.getLayer()), pos, l.fixed(0)};
    SmallVector<OpFoldResult> sizes = {l.fixed(1), l.dimOf(values, 0),
                                       l.dimOf(values, 1)};
    SmallVector<OpFoldResult> strides(3, l.fixed(1));
    rewriter.replaceOpWithNewOp<tensor::InsertSliceOp>(
        op, values, adaptor.getCache(), offsets, sizes, strides);
    return success();
  }
};

struct AttentionLowering : OpConversionPattern<AttentionOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(AttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Lowering l(rewriter, loc);
    int64_t heads = op.getNumHeads(), kvHeads = op.getNumKvHeads();
    int64_t group = heads / kvHeads, headDim = op.getHeadDim();
    auto cacheType = cast<RankedTensorType>(op.getKeyCache().getType());
    int64_t context = cacheType.getDimSize(1);
    if (ShapedType::isDynamic(context))
      return op.emitOpError()
             << "the reference lowering needs a static context length";
    Type f32 = rewriter.getF32Type();
    Value q = adaptor.getQuery();
    OpFoldResult m = l.dimOf(q, 0);

    // q: [M, H*hd] -> [M, KV, G, hd]; caches: layer slice -> [C, KV, hd].
    auto qType = cast<RankedTensorType>(q.getType());
    auto q4Type = RankedTensorType::get(
        {qType.getDimSize(0), kvHeads, group, headDim}, f32);
    SmallVector<OpFoldResult> q4Sizes = {m, l.fixed(kvHeads), l.fixed(group),
                                         l.fixed(headDim)};
    Value q4 = tensor::ExpandShapeOp::create(
        rewriter, loc, q4Type, q, SmallVector<ReassociationIndices>{{0}, {1, 2, 3}},
        q4Sizes);
    auto layerSlice = [&](Value cache) {
      auto sliceType =
          RankedTensorType::get({context, kvHeads * headDim}, f32);
      Value slice = tensor::ExtractSliceOp::create(
          rewriter, loc, sliceType, cache,
          ArrayRef<OpFoldResult>{l.fixed(op.getLayer()), l.fixed(0), l.fixed(0)},
          ArrayRef<OpFoldResult>{l.fixed(1), l.fixed(context),
                                 l.fixed(kvHeads * headDim)},
          ArrayRef<OpFoldResult>{l.fixed(1), l.fixed(1), l.fixed(1)});
      return tensor::ExpandShapeOp::create(
                 rewriter, loc,
                 RankedTensorType::get({context, kvHeads, headDim}, f32), slice,
                 SmallVector<ReassociationIndices>{{0}, {1, 2}})
          .getResult();
    };
    Value k = layerSlice(adaptor.getKeyCache());
    Value v = layerSlice(adaptor.getValueCache());
    Value start = arith::IndexCastOp::create(rewriter, loc, rewriter.getIndexType(),
                                             adaptor.getPosition());
    // Query m sees cache rows t <= start + m.
    auto visible = [&](OpBuilder &b, Location loc) {
      Value mi = linalg::IndexOp::create(b, loc, 0);
      Value t = linalg::IndexOp::create(b, loc, 3);
      Value last = arith::AddIOp::create(b, loc, start, mi);
      return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, t, last)
          .getResult();
    };

    SmallVector<OpFoldResult> scoreSizes = {m, l.fixed(kvHeads), l.fixed(group),
                                            l.fixed(context)};
    SmallVector<OpFoldResult> rowSizes = {m, l.fixed(kvHeads), l.fixed(group)};
    // Loops (m, kv, g, t, d): dot products of visible rows, scaled.
    float scale = 1.0f / std::sqrt(static_cast<float>(headDim));
    Value dots = l.generic(
        {q4, k}, {{0, 1, 2, 4}, {3, 1, 4}},
        l.filled(scoreSizes, rewriter.getF32FloatAttr(0.0f)), {0, 1, 2, 3}, 5,
        {4}, [&](OpBuilder &b, Location loc, ValueRange args) {
          Value p = arith::MulFOp::create(b, loc, args[0], args[1]);
          yield(b, loc, arith::AddFOp::create(b, loc, args[2], p).getResult());
        });
    Value scores = l.generic(
        {dots}, {{0, 1, 2, 3}}, l.empty(scoreSizes, f32), {0, 1, 2, 3}, 4, {},
        [&](OpBuilder &b, Location loc, ValueRange args) {
          yield(b, loc,
                arith::MulFOp::create(b, loc, args[0], constF32(b, loc, scale))
                    .getResult());
        });
    Value rowMax = l.generic(
        {scores}, {{0, 1, 2, 3}},
        l.filled(rowSizes,
                 rewriter.getF32FloatAttr(-std::numeric_limits<float>::infinity())),
        {0, 1, 2}, 4, {3}, [&](OpBuilder &b, Location loc, ValueRange args) {
          Value mx = arith::MaximumFOp::create(b, loc, args[1], args[0]);
          yield(b, loc,
                arith::SelectOp::create(b, loc, visible(b, loc), mx, args[1])
                    .getResult());
        });
    Value exps = l.generic(
        {scores, rowMax}, {{0, 1, 2, 3}, {0, 1, 2}}, l.empty(scoreSizes, f32),
        {0, 1, 2, 3}, 4, {}, [&](OpBuilder &b, Location loc, ValueRange args) {
          Value e = math::ExpOp::create(
              b, loc, arith::SubFOp::create(b, loc, args[0], args[1]));
          yield(b, loc,
                arith::SelectOp::create(b, loc, visible(b, loc), e,
                                        constF32(b, loc, 0.0f))
                    .getResult());
        });
    Value sums = l.generic(
        {exps}, {{0, 1, 2, 3}}, l.filled(rowSizes, rewriter.getF32FloatAttr(0.0f)),
        {0, 1, 2}, 4, {3}, [&](OpBuilder &b, Location loc, ValueRange args) {
          Value s = arith::AddFOp::create(b, loc, args[1], args[0]);
          yield(b, loc,
                arith::SelectOp::create(b, loc, visible(b, loc), s, args[1])
                    .getResult());
        });
    // Loops (m, kv, g, t, d) with t reduced: out += (e / sum) * v.
    SmallVector<OpFoldResult> outSizes = {m, l.fixed(kvHeads), l.fixed(group),
                                          l.fixed(headDim)};
    Value out4 = l.generic(
        {exps, sums, v}, {{0, 1, 2, 3}, {0, 1, 2}, {3, 1, 4}},
        l.filled(outSizes, rewriter.getF32FloatAttr(0.0f)), {0, 1, 2, 4}, 5,
        {3}, [&](OpBuilder &b, Location loc, ValueRange args) {
          Value p = arith::DivFOp::create(b, loc, args[0], args[1]);
          Value acc = arith::AddFOp::create(
              b, loc, args[3], arith::MulFOp::create(b, loc, p, args[2]));
          yield(b, loc,
                arith::SelectOp::create(b, loc, visible(b, loc), acc, args[3])
                    .getResult());
        });
    Value out = tensor::CollapseShapeOp::create(
        rewriter, loc, out4, SmallVector<ReassociationIndices>{{0}, {1, 2, 3}});
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct GLULowering : OpConversionPattern<GLUOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GLUOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Lowering l(rewriter, op.getLoc());
    Value gate = adaptor.getGate();
    bool silu = op.getActivation() == GluActivation::Silu;
    Value y = l.generic(
        {gate, adaptor.getUp()}, {{0, 1}, {0, 1}},
        l.empty({l.dimOf(gate, 0), l.dimOf(gate, 1)}, rewriter.getF32Type()),
        {0, 1}, 2, {}, [&](OpBuilder &b, Location loc, ValueRange args) {
          Value g = args[0], act;
          if (silu) {
            Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, g));
            act = arith::DivFOp::create(
                b, loc, g,
                arith::AddFOp::create(b, loc, constF32(b, loc, 1.0f), e));
          } else {
            Value pos = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                              g, constF32(b, loc, 0.0f));
            Value r = arith::SelectOp::create(b, loc, pos, g,
                                              constF32(b, loc, 0.0f));
            act = arith::MulFOp::create(b, loc, r, r);
          }
          yield(b, loc, arith::MulFOp::create(b, loc, act, args[1]).getResult());
        });
    rewriter.replaceOp(op, y);
    return success();
  }
};

struct EmbeddingLowering : OpConversionPattern<EmbeddingOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(EmbeddingOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Lowering l(rewriter, op.getLoc());
    Value table = adaptor.getTable(), tokens = adaptor.getTokens();
    OpFoldResult vocab = l.dimOf(table, 0);
    Value y = l.generic(
        {tokens}, {{0}},
        l.empty({l.dimOf(tokens, 0), l.dimOf(table, 1)}, rewriter.getF32Type()),
        {0, 1}, 2, {}, [&](OpBuilder &b, Location loc, ValueRange args) {
          // Out-of-range ids read a clamped row instead of wild memory; the
          // compiled model's API rejects them before they get here.
          Value id = arith::IndexCastOp::create(b, loc, b.getIndexType(), args[0]);
          Value last = arith::SubIOp::create(
              b, loc, getValueOrCreateConstantIndexOp(b, loc, vocab),
              constIndex(b, loc, 1));
          id = arith::MaxSIOp::create(b, loc, id, constIndex(b, loc, 0));
          id = arith::MinSIOp::create(b, loc, id, last);
          Value d = linalg::IndexOp::create(b, loc, 1);
          Value e = tensor::ExtractOp::create(b, loc, table, ValueRange{id, d});
          yield(b, loc, toF32(b, loc, e));
        });
    rewriter.replaceOp(op, y);
    return success();
  }
};

struct AddLowering : OpConversionPattern<AddOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(AddOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Lowering l(rewriter, op.getLoc());
    Value a = adaptor.getLhs();
    Value y = l.generic(
        {a, adaptor.getRhs()}, {{0, 1}, {0, 1}},
        l.empty({l.dimOf(a, 0), l.dimOf(a, 1)}, rewriter.getF32Type()), {0, 1},
        2, {}, [&](OpBuilder &b, Location loc, ValueRange args) {
          yield(b, loc, arith::AddFOp::create(b, loc, args[0], args[1]).getResult());
        });
    rewriter.replaceOp(op, y);
    return success();
  }
};

/// Any other region-free op that carries i2 or packed tensors (tensor.cast,
/// tensor.extract_slice, ...) is rebuilt with the converted types.
struct ConvertOtherOpTypes : ConversionPattern {
  ConvertOtherOpTypes(TypeConverter &converter, MLIRContext *ctx)
      : ConversionPattern(converter, MatchAnyOpTypeTag(), /*benefit=*/1, ctx) {}
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    if (op->getNumRegions() != 0 || isa<BitNetDialect>(op->getDialect()))
      return rewriter.notifyMatchFailure(op, "not a region-free foreign op");
    SmallVector<Type> resultTypes;
    if (failed(getTypeConverter()->convertTypes(op->getResultTypes(),
                                                resultTypes)))
      return rewriter.notifyMatchFailure(op, "result types do not convert");
    OperationState state(op->getLoc(), op->getName(), operands, resultTypes,
                         op->getAttrs(), op->getSuccessors());
    Operation *converted = rewriter.create(state);
    rewriter.replaceOp(op, converted->getResults());
    return success();
  }
};

struct ConvertBitNetToLinalgPass
    : mlir::bitnet::impl::ConvertBitNetToLinalgBase<ConvertBitNetToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    TypeConverter converter;
    populateBitNetToLinalgTypeConversion(converter);

    ConversionTarget target(*ctx);
    target.addIllegalDialect<BitNetDialect>();
    // Kernel calls are already on buffers; convert-bitnet-to-llvm lowers them.
    target.addLegalOp<CallKernelOp>();
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp f) {
      return converter.isSignatureLegal(f.getFunctionType()) &&
             converter.isLegal(&f.getBody());
    });
    target.addDynamicallyLegalOp<func::ReturnOp, func::CallOp>(
        [&](Operation *op) { return converter.isLegal(op); });
    target.markUnknownOpDynamicallyLegal(
        [&](Operation *op) { return converter.isLegal(op); });

    RewritePatternSet patterns(ctx);
    populateBitNetToLinalgPatterns(converter, patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::bitnet::populateBitNetToLinalgTypeConversion(
    TypeConverter &converter) {
  converter.addConversion([](Type type) { return type; });
  converter.addConversion([](RankedTensorType type) -> Type {
    Type element = type.getElementType();
    if (element.isInteger(2))
      element = IntegerType::get(type.getContext(), 8);
    if (isa_and_nonnull<PackedLayoutAttr>(type.getEncoding()) ||
        element != type.getElementType())
      return RankedTensorType::get(type.getShape(), element);
    return type;
  });
}

void mlir::bitnet::populateBitNetToLinalgPatterns(TypeConverter &converter,
                                                  RewritePatternSet &patterns) {
  patterns.add<ConstantLowering, QuantizeWeightsLowering, PackLowering,
               QuantizeActivationsLowering, RMSNormQuantizeLowering,
               AddRMSNormQuantizeLowering, GLURMSNormQuantizeLowering,
               BitLinearLowering, BitLinearFusedLowering,
               FloatLinearLowering, Int8LinearLowering, RMSNormLowering, RoPELowering,
               RoPEQKVLowering, KVAppendLowering, AttentionLowering, GLULowering,
               EmbeddingLowering, AddLowering, ConvertOtherOpTypes>(
      converter, patterns.getContext());
  populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                 converter);
  populateReturnOpTypeConversionPattern(patterns, converter);
  populateCallOpTypeConversionPattern(patterns, converter);
}
