//===- BitNetDialect.cpp - bitnet dialect, attributes, helpers ------------===//

#include "bitnet/Dialect/BitNet/BitNet.h"
#include "bitnet/Dialect/BitNet/WeightValues.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cctype>
#include <cstring>

using namespace mlir;
using namespace mlir::bitnet;

#include "bitnet/Dialect/BitNet/BitNetOpsDialect.cpp.inc"
#include "bitnet/Dialect/BitNet/BitNetEnums.cpp.inc"
#include "bitnet/Dialect/BitNet/BitNetInterfaces.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "bitnet/Dialect/BitNet/BitNetAttrs.cpp.inc"

void BitNetDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "bitnet/Dialect/BitNet/BitNetAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "bitnet/Dialect/BitNet/BitNetOps.cpp.inc"
      >();
}

Operation *BitNetDialect::materializeConstant(OpBuilder &builder,
                                              Attribute value, Type type,
                                              Location loc) {
  auto tensorType = dyn_cast<RankedTensorType>(type);
  auto elements = dyn_cast<ElementsAttr>(value);
  if (tensorType && elements &&
      (tensorType.getElementType().isInteger(2) ||
       isa_and_nonnull<PackedLayoutAttr>(tensorType.getEncoding())))
    return ConstantOp::create(builder, loc, elements);
  return arith::ConstantOp::materialize(builder, value, type, loc);
}

LogicalResult BitNetDialect::verifyOperationAttribute(Operation *op,
                                                    NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  if (name == kLogitsAttrName) {
    auto head = dyn_cast<FlatSymbolRefAttr>(attr.getValue());
    if (!head || !isa<FunctionOpInterface>(op))
      return op->emitError() << "'" << name
                             << "' must be a symbol reference on a function";
    // Later passes change the head's signature (memrefs, out-parameters,
    // a status result): only its being a function is invariant.
    if (!isa_and_nonnull<FunctionOpInterface>(
            SymbolTable::lookupNearestSymbolFrom(op, head.getAttr())))
      return op->emitError() << "'" << name << "' names " << head
                             << ", which is not a function";
    return success();
  }
  if (name == kLastLogitsAttrName) {
    if (!isa<UnitAttr>(attr.getValue()) || !isa<FunctionOpInterface>(op))
      return op->emitError() << "'" << name << "' must be a unit attribute on a function";
    return success();
  }
  if (name == "bitnet.layout") {
    // Checked here, before bitnet-pack-weights folds anything by it.
    auto layout = dyn_cast<PackedLayoutAttr>(attr.getValue());
    if (!layout)
      return op->emitError() << "'" << name << "' must be a #bitnet.packed layout";
    auto emit = [&] { return op->emitOpError() << "'" << name << "': "; };
    if (auto linear = dyn_cast<BitLinearOp>(op))
      return verifyLayoutMatchesWeights(emit, layout, linear.getWeights().getType(),
                                        linear.getKind());
    if (auto fused = dyn_cast<BitLinearFusedOp>(op))
      return verifyLayoutMatchesWeights(emit, layout, fused.getWeights().getType(),
                                        fused.getKind());
    return op->emitOpError() << "'" << name
                             << "' belongs on bitnet.bitlinear or bitnet.bitlinear_fused";
  }
  // The kernel boundary: a call's spec names the kernel it calls; the
  // module's list names each kernel symbol's spec.
  if (name == "bitnet.kernel_spec") {
    auto spec = dyn_cast<KernelSpecAttr>(attr.getValue());
    auto call = dyn_cast<CallKernelOp>(op);
    if (!spec || !call)
      return op->emitError() << "'" << name
                             << "' must be a #bitnet.kernel on a bitnet.call_kernel";
    if (spec.getSpec().name != call.getKernel())
      return op->emitOpError() << "calls @" << call.getKernel() << " but its '" << name
                               << "' is the spec of '" << spec.getSpec().name << "'";
    return success();
  }
  if (name == "bitnet.kernels") {
    auto kernels = dyn_cast<DictionaryAttr>(attr.getValue());
    if (!kernels || !isa<ModuleOp>(op))
      return op->emitError() << "'" << name
                             << "' must be a dictionary of #bitnet.kernel on a module";
    for (NamedAttribute entry : kernels) {
      auto spec = dyn_cast<KernelSpecAttr>(entry.getValue());
      if (!spec)
        return op->emitError() << "'" << name << "': '" << entry.getName().getValue()
                               << "' must map to a #bitnet.kernel";
      if (spec.getSpec().name != entry.getName().getValue())
        return op->emitError() << "'" << name << "': '" << entry.getName().getValue()
                               << "' maps to the spec of '" << spec.getSpec().name << "'";
    }
    return success();
  }
  if (name == "bitnet.weight_data") {
    // bitnet-place-weight-data's record of where each large constant went.
    auto record = dyn_cast<DictionaryAttr>(attr.getValue());
    if (!record || !isa<ModuleOp>(op) || !record.getAs<StringAttr>("symbol") ||
        !record.getAs<IntegerAttr>("bytes") || !record.getAs<ArrayAttr>("tensors"))
      return op->emitError() << "'" << name
                             << "' must be {symbol, bytes, tensors} on a module";
    return success();
  }
  return op->emitError() << "unknown bitnet attribute '" << name << "'";
}

//===----------------------------------------------------------------------===//
// Reference bridges
//===----------------------------------------------------------------------===//

ref::WeightKind mlir::bitnet::toReference(WeightKind kind) {
  return kind == WeightKind::Binary ? ref::WeightKind::Binary
                                    : ref::WeightKind::Ternary;
}

static ref::PackFormat toReference(PackFormat format) {
  switch (format) {
  case PackFormat::Offset2:
    return ref::PackFormat::Offset2;
  case PackFormat::Base3:
    return ref::PackFormat::Base3;
  case PackFormat::Bits1:
    return ref::PackFormat::Bits1;
  }
  llvm_unreachable("unknown pack format");
}

ref::PackedLayout mlir::bitnet::toReference(PackedLayoutAttr layout) {
  ref::PackedLayout result;
  result.format = ::toReference(layout.getFormat());
  result.tileN = layout.getTileRows();
  result.tileK = layout.getTileCols();
  return result;
}

std::optional<std::vector<int8_t>>
mlir::bitnet::readLogicalWeights(ElementsAttr attr) {
  std::vector<int8_t> values;
  values.reserve(attr.getNumElements());
  if (auto dense = dyn_cast<DenseIntElementsAttr>(attr)) {
    unsigned width = dense.getElementType().getIntOrFloatBitWidth();
    if (width >= 2 && width <= 8) {
      // Sub-byte and byte integers are stored one byte per element (a splat
      // as one): sign-extend the low `width` bits without an APInt each.
      ArrayRef<char> raw = dense.getRawData();
      const unsigned shift = 8 - width;
      auto decode = [shift](char c) {
        return static_cast<int8_t>(static_cast<int8_t>(static_cast<uint8_t>(c) << shift) >>
                                   shift);
      };
      if (dense.isSplat()) {
        values.assign(static_cast<size_t>(attr.getNumElements()), decode(raw[0]));
        return values;
      }
      values.resize(raw.size());
      for (size_t i = 0; i < raw.size(); ++i)
        values[i] = decode(raw[i]);
      return values;
    }
    for (const APInt &v : dense.getValues<APInt>())
      values.push_back(static_cast<int8_t>(v.getSExtValue()));
    return values;
  }
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    ArrayRef<char> data = blob->getData();
    if (static_cast<int64_t>(data.size()) != attr.getNumElements())
      return std::nullopt;
    for (char c : data)
      values.push_back(static_cast<int8_t>(c));
    return values;
  }
  return std::nullopt;
}

bool mlir::bitnet::denseValueBytes(ElementsAttr value, std::vector<uint8_t> *out) {
  uint64_t elementBytes = 0;
  Type element = value.getElementType();
  if (element.isIntOrFloat() && element.getIntOrFloatBitWidth() % 8 == 0)
    elementBytes = element.getIntOrFloatBitWidth() / 8;
  if (elementBytes == 0)
    return false;
  const uint64_t bytes = static_cast<uint64_t>(value.getNumElements()) * elementBytes;
  if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    ArrayRef<char> raw = dense.getRawData();
    if (dense.isSplat() ? raw.size() != elementBytes : raw.size() != bytes)
      return false;
    if (!out)
      return true;
    out->resize(bytes);
    if (!dense.isSplat()) {
      std::memcpy(out->data(), raw.data(), bytes);
      return true;
    }
    for (uint64_t at = 0; at < bytes; at += elementBytes)
      std::memcpy(out->data() + at, raw.data(), elementBytes);
    return true;
  }
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob || blob->getData().size() != bytes)
      return false;
    if (out)
      out->assign(blob->getData().begin(), blob->getData().end());
    return true;
  }
  return false;
}

std::optional<std::vector<uint8_t>> mlir::bitnet::readBytes(ElementsAttr attr) {
  std::vector<int8_t> signedBytes;
  if (auto dense = dyn_cast<DenseIntElementsAttr>(attr)) {
    if (dense.getElementType().getIntOrFloatBitWidth() == 8) {
      ArrayRef<char> raw = dense.getRawData();
      if (dense.isSplat())
        return std::vector<uint8_t>(static_cast<size_t>(attr.getNumElements()),
                                    static_cast<uint8_t>(raw[0]));
      return std::vector<uint8_t>(raw.begin(), raw.end());
    }
    std::vector<uint8_t> bytes;
    bytes.reserve(attr.getNumElements());
    for (const APInt &v : dense.getValues<APInt>())
      bytes.push_back(static_cast<uint8_t>(v.getZExtValue()));
    return bytes;
  }
  std::optional<std::vector<int8_t>> raw = readLogicalWeights(attr);
  if (!raw)
    return std::nullopt;
  return std::vector<uint8_t>(raw->begin(), raw->end());
}

int64_t mlir::bitnet::findIllegalWeight(const std::vector<int8_t> &values,
                                        WeightKind kind) {
  for (size_t i = 0; i < values.size(); ++i) {
    int8_t v = values[i];
    bool legal = kind == WeightKind::Binary ? (v == -1 || v == 1)
                                            : (v >= -1 && v <= 1);
    if (!legal)
      return static_cast<int64_t>(i);
  }
  return -1;
}

std::optional<bool> mlir::bitnet::allWeightsLegal(ElementsAttr attr, WeightKind kind) {
  auto dense = dyn_cast<DenseIntElementsAttr>(attr);
  if (!dense || dense.getElementType().getIntOrFloatBitWidth() != 2)
    return std::nullopt;
  // i2 is stored one byte per element: 0 -> 0, 1 -> +1, 3 -> -1, 2 -> -2.
  for (char c : dense.getRawData()) {
    uint8_t v = static_cast<uint8_t>(c) & 0x3;
    if (v == 2 || (kind == WeightKind::Binary && v == 0))
      return false;
  }
  return true;
}

std::optional<bool> mlir::bitnet::allPackedCodesLegal(ElementsAttr attr,
                                                      PackedLayoutAttr layout) {
  auto dense = dyn_cast<DenseIntElementsAttr>(attr);
  if (!dense || dense.getElementType().getIntOrFloatBitWidth() != 8)
    return std::nullopt;
  if (layout.getFormat() == PackFormat::Bits1)
    return true; // every bit is a binary weight
  if (layout.getFormat() == PackFormat::Base3) {
    bool valid[256];
    for (int b = 0; b < 256; ++b)
      valid[b] = ref::isBase3Byte(static_cast<uint8_t>(b));
    for (char c : dense.getRawData())
      if (!valid[static_cast<uint8_t>(c)])
        return false;
    return true;
  }
  const bool binary = layout.getKind() == WeightKind::Binary;
  for (char c : dense.getRawData()) {
    uint8_t b = static_cast<uint8_t>(c);
    // A 2-bit field is 3 when both its bits are set; binary codes are even.
    if ((b & (b >> 1) & 0x55) != 0 || (binary && (b & 0x55) != 0))
      return false;
  }
  return true;
}

DenseElementsAttr
mlir::bitnet::makeLogicalWeightsAttr(RankedTensorType type,
                                     const std::vector<int8_t> &values) {
  unsigned width = type.getElementType().getIntOrFloatBitWidth();
  if (width >= 2 && width <= 8) {
    // Stored one byte per element holding the two's-complement low bits.
    const uint8_t mask = static_cast<uint8_t>((1u << width) - 1);
    std::vector<char> raw(values.size());
    for (size_t i = 0; i < values.size(); ++i)
      raw[i] = static_cast<char>(static_cast<uint8_t>(values[i]) & mask);
    return DenseElementsAttr::getFromRawBuffer(type, raw);
  }
  SmallVector<APInt> ints;
  ints.reserve(values.size());
  for (int8_t v : values)
    ints.emplace_back(width, static_cast<uint64_t>(static_cast<int64_t>(v)),
                      /*isSigned=*/true, /*implicitTrunc=*/true);
  return DenseElementsAttr::get(type, ints);
}

//===----------------------------------------------------------------------===//
// PackedLayoutAttr
//===----------------------------------------------------------------------===//

LogicalResult
PackedLayoutAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                         PackFormat format, WeightKind kind, int64_t rows,
                         int64_t cols, int64_t tileRows, int64_t tileCols) {
  if (rows <= 0 || cols <= 0)
    return emitError() << "packed layout shape must be positive, got ["
                       << rows << ", " << cols << "]";
  ref::PackedLayout layout;
  layout.format = ::toReference(format);
  layout.tileN = tileRows;
  layout.tileK = tileCols;
  std::string why = ref::validateLayout(layout, toReference(kind));
  if (!why.empty())
    return emitError() << "invalid packed layout: " << why;
  if (ref::packedStorageBytes(layout, rows, cols) < 0)
    return emitError() << "packed layout of shape [" << rows << ", " << cols
                       << "] is too large";
  return success();
}

int64_t PackedLayoutAttr::getStorageBytes() const {
  return ref::packedStorageBytes(toReference(*this), getRows(), getCols());
}

RankedTensorType PackedLayoutAttr::getStorageType() const {
  return RankedTensorType::get({getStorageBytes()},
                               IntegerType::get(getContext(), 8), *this);
}

LogicalResult PackedLayoutAttr::verifyEncoding(
    ArrayRef<int64_t> shape, Type elementType,
    function_ref<InFlightDiagnostic()> emitError) const {
  // MLIR's parser asks before it checks that the element type parsed; it
  // reports that error itself.
  if (!elementType)
    return success();
  if (!elementType.isInteger(8) || shape.size() != 1)
    return emitError() << "#bitnet.packed must encode a 1-D i8 tensor";
  if (shape[0] != getStorageBytes())
    return emitError() << "#bitnet.packed layout needs " << getStorageBytes()
                       << " bytes but the tensor has " << shape[0];
  return success();
}

//===----------------------------------------------------------------------===//
// ExternalWeightsAttr
//===----------------------------------------------------------------------===//

/// Bytes one element occupies: logical sub-byte weights take one each.
static int64_t bytesPerElement(Type element) {
  if (!element.isIntOrFloat())
    return 0;
  return (element.getIntOrFloatBitWidth() + 7) / 8;
}

//===----------------------------------------------------------------------===//
// KernelSpecAttr
//===----------------------------------------------------------------------===//

/// canonical()'s lines as (key, value) pairs.
static SmallVector<std::pair<std::string, std::string>>
specFields(const ::bitnet::kernels::KernelSpec &spec) {
  SmallVector<std::pair<std::string, std::string>> fields;
  SmallVector<StringRef> lines;
  std::string text = spec.canonical();
  StringRef(text).split(lines, '\n', -1, false);
  for (StringRef line : lines) {
    auto [key, value] = line.split('=');
    fields.emplace_back(key.str(), value.str());
  }
  return fields;
}

Attribute KernelSpecAttr::parse(AsmParser &parser, Type) {
  ::bitnet::kernels::KernelSpec spec;
  if (parser.parseLess())
    return {};
  do {
    SMLoc at = parser.getCurrentLocation();
    std::string key, value;
    if (parser.parseKeywordOrString(&key) || parser.parseEqual())
      return {};
    int64_t number = 0;
    OptionalParseResult integer = parser.parseOptionalInteger(number);
    if (integer.has_value()) {
      if (failed(*integer))
        return {};
      value = std::to_string(number);
    } else if (parser.parseKeywordOrString(&value)) {
      return {};
    }
    std::string why = ::bitnet::kernels::setSpecField(spec, key, value);
    if (!why.empty()) {
      parser.emitError(at) << why;
      return {};
    }
  } while (succeeded(parser.parseOptionalComma()));
  if (parser.parseGreater())
    return {};
  return parser.getChecked<KernelSpecAttr>(parser.getContext(), spec);
}

void KernelSpecAttr::print(AsmPrinter &printer) const {
  auto bare = [](StringRef v) {
    if (v.empty())
      return false;
    if (llvm::all_of(v, [](char c) { return std::isdigit((unsigned char)c); }))
      return true;
    return (std::isalpha((unsigned char)v[0]) || v[0] == '_') &&
           llvm::all_of(v, [](char c) { return std::isalnum((unsigned char)c) || c == '_'; });
  };
  printer << "<";
  llvm::interleaveComma(specFields(getSpec()), printer, [&](const auto &field) {
    printer << field.first << " = ";
    if (bare(field.second))
      printer << field.second;
    else
      printer << "\"" << field.second << "\"";
  });
  printer << ">";
}

LogicalResult KernelSpecAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                     ::bitnet::kernels::KernelSpec spec) {
  std::string why = spec.validate();
  if (!why.empty())
    return emitError() << "invalid kernel spec: " << why;
  return success();
}

Attribute ExternalWeightsAttr::parse(AsmParser &parser, Type type) {
  auto shaped = dyn_cast_or_null<ShapedType>(type);
  if (!shaped) {
    parser.emitError(parser.getCurrentLocation())
        << "#bitnet.weights needs a tensor type (`: tensor<...>`)";
    return {};
  }
  if (parser.parseLess())
    return {};
  std::string source;
  if (succeeded(parser.parseOptionalString(&source))) {
    if (parser.parseGreater())
      return {};
    return getChecked([&] { return parser.emitError(parser.getNameLoc()); },
                      parser.getContext(), shaped, WeightsTransform::Source, source,
                      ArrayRef<ElementsAttr>(), PackedLayoutAttr());
  }
  StringRef keyword;
  SMLoc at = parser.getCurrentLocation();
  if (parser.parseKeyword(&keyword))
    return {};
  std::optional<WeightsTransform> transform = symbolizeWeightsTransform(keyword);
  if (!transform || *transform == WeightsTransform::Source) {
    parser.emitError(at) << "expected a checkpoint tensor name or concat, pack, "
                            "int8_rows, row_scales; got '"
                         << keyword << "'";
    return {};
  }
  SmallVector<ElementsAttr> operands;
  if (parser.parseCommaSeparatedList(AsmParser::Delimiter::Paren, [&] {
        ElementsAttr operand;
        if (parser.parseAttribute(operand))
          return failure();
        operands.push_back(operand);
        return success();
      }))
    return {};
  PackedLayoutAttr layout;
  if (*transform == WeightsTransform::Pack &&
      (parser.parseComma() || parser.parseAttribute(layout)))
    return {};
  if (parser.parseGreater())
    return {};
  return getChecked([&] { return parser.emitError(parser.getNameLoc()); },
                    parser.getContext(), shaped, *transform, StringRef(), operands,
                    layout);
}

void ExternalWeightsAttr::print(AsmPrinter &printer) const {
  printer << "<";
  if (getTransform() == WeightsTransform::Source) {
    printer.printString(getSource());
  } else {
    printer << stringifyWeightsTransform(getTransform()) << "(";
    llvm::interleaveComma(getOperands(), printer,
                          [&](ElementsAttr operand) { printer.printAttribute(operand); });
    printer << ")";
    if (getLayout())
      printer << ", " << getLayout();
  }
  printer << ">";
}

LogicalResult ExternalWeightsAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                          ShapedType type, WeightsTransform transform,
                                          StringRef source, ArrayRef<ElementsAttr> operands,
                                          PackedLayoutAttr layout) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape() || bytesPerElement(tensor.getElementType()) == 0)
    return emitError() << "#bitnet.weights needs a static tensor of integers or floats, got "
                       << type;
  if ((transform == WeightsTransform::Source) == source.empty())
    return emitError() << "#bitnet.weights: a checkpoint tensor has a name and nothing "
                          "derived has one";
  if (!layout != (transform != WeightsTransform::Pack))
    return emitError() << "#bitnet.weights: only pack takes a layout";
  if (transform == WeightsTransform::Source)
    return operands.empty() ? success()
                            : emitError() << "#bitnet.weights: a checkpoint tensor has no operands";
  if (operands.empty() || (transform != WeightsTransform::Concat && operands.size() != 1))
    return emitError() << "#bitnet.weights: " << stringifyWeightsTransform(transform)
                       << " takes " << (transform == WeightsTransform::Concat ? "operands" : "one operand");
  for (ElementsAttr operand : operands) {
    auto t = dyn_cast<RankedTensorType>(operand.getShapedType());
    if (!t || t.getRank() != 2 || !t.hasStaticShape())
      return emitError() << "#bitnet.weights: " << stringifyWeightsTransform(transform)
                         << " operands must be static matrices, got " << operand.getShapedType();
  }
  auto operandType = cast<RankedTensorType>(operands.front().getShapedType());
  const int64_t rows = operandType.getDimSize(0), cols = operandType.getDimSize(1);
  auto expect = [&](ArrayRef<int64_t> shape, bool elementOk, StringRef what) -> LogicalResult {
    if (tensor.getShape() == shape && elementOk)
      return success();
    return emitError() << "#bitnet.weights: " << stringifyWeightsTransform(transform)
                       << " of " << operandType << " is " << what << ", not " << type;
  };
  switch (transform) {
  case WeightsTransform::Source:
    break;
  case WeightsTransform::Concat: {
    int64_t total = 0;
    for (ElementsAttr operand : operands) {
      auto t = cast<RankedTensorType>(operand.getShapedType());
      if (t.getDimSize(1) != cols ||
          bytesPerElement(t.getElementType()) != bytesPerElement(tensor.getElementType()))
        return emitError() << "#bitnet.weights: concat operands need " << cols
                           << " columns of the result's element size, got " << t;
      total += t.getDimSize(0);
    }
    return expect({total, cols}, true, "the stacked rows");
  }
  case WeightsTransform::Pack:
    if (!operandType.getElementType().isInteger(2) || layout.getRows() != rows ||
        layout.getCols() != cols)
      return emitError() << "#bitnet.weights: pack takes logical weights of the layout's shape ["
                         << layout.getRows() << ", " << layout.getCols() << "] (i2), got "
                         << operandType;
    return expect({layout.getStorageBytes()}, tensor.getElementType().isInteger(8),
                  "the layout's bytes (i8)");
  case WeightsTransform::Int8Rows:
  case WeightsTransform::RowScales:
    if (!operandType.getElementType().isF16())
      return emitError() << "#bitnet.weights: " << stringifyWeightsTransform(transform)
                         << " quantizes an f16 table, got " << operandType;
    if (transform == WeightsTransform::Int8Rows)
      return expect({rows, cols}, tensor.getElementType().isInteger(8), "int8 codes");
    return expect({rows}, tensor.getElementType().isF32(), "one f32 scale per row");
  }
  return success();
}

ExternalWeightsAttr ExternalWeightsAttr::withType(ShapedType type) const {
  return get(getContext(), type, getTransform(), getSource(), getOperands(), getLayout());
}

int64_t ExternalWeightsAttr::getStorageBytes() const {
  return getType().getNumElements() * bytesPerElement(getType().getElementType());
}

void ExternalWeightsAttr::walkSources(function_ref<void(ExternalWeightsAttr)> fn) const {
  if (getTransform() == WeightsTransform::Source)
    return fn(*this);
  for (ElementsAttr operand : getOperands())
    if (auto external = dyn_cast<ExternalWeightsAttr>(operand))
      external.walkSources(fn);
}
