//===- IRReference.cpp - The golden reference of a model's bitnet IR ------===//
//
// An interpreter of the model-level bitnet ops over concrete tensors: each
// op calls the golden reference's function for it (lib/Reference), so the
// oracle's numerics are the reference's own, whatever the compiler did with
// the IR.
//
//===----------------------------------------------------------------------===//

#include "bitnet/Run/IRReference.h"

#include "bitnet/Dialect/BitNet/BitNet.h"
#include "bitnet/Dialect/BitNet/WeightValues.h"
#include "bitnet/Reference/Packing.h"
#include "bitnet/Support/Input.h"
#include "bitnet/Support/LLVMInput.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/SourceMgr.h"

#include <array>
#include <cstring>

namespace bitnet {
namespace run {

namespace {

using namespace mlir;
namespace bn = mlir::bitnet;

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// A value of the entry point during evaluation: one of the element
/// vectors, by `element`. Logical quantized weights are I8 ({-1, 0, 1}).
struct Tensor {
  enum class Element { F32, F16, I8, I32 };
  Element element = Element::F32;
  llvm::SmallVector<int64_t, 3> shape; // empty: a scalar
  std::vector<float> f32;
  std::vector<uint16_t> f16; // IEEE half bits
  std::vector<int8_t> i8;
  std::vector<int32_t> i32;

  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  int64_t dim(int64_t i) const { return shape[static_cast<size_t>(i)]; }
};
using TensorPtr = std::shared_ptr<Tensor>;
using Element = Tensor::Element;

const char *elementName(Element e) {
  switch (e) {
  case Element::F32:
    return "f32";
  case Element::F16:
    return "f16";
  case Element::I8:
    return "i8";
  case Element::I32:
    return "i32";
  }
  return "?";
}

TensorPtr makeTensor(Element element, llvm::ArrayRef<int64_t> shape) {
  auto t = std::make_shared<Tensor>();
  t->element = element;
  t->shape.assign(shape.begin(), shape.end());
  size_t count = 1;
  for (int64_t d : shape)
    count *= static_cast<size_t>(d);
  switch (element) {
  case Element::F32:
    t->f32.resize(count);
    break;
  case Element::F16:
    t->f16.resize(count);
    break;
  case Element::I8:
    t->i8.resize(count);
    break;
  case Element::I32:
    t->i32.resize(count);
    break;
  }
  return t;
}

/// "file:line:col" of an op (its location as MLIR prints it otherwise).
std::string where(Operation *op) {
  std::string text;
  llvm::raw_string_ostream os(text);
  if (auto file = dyn_cast<FileLineColLoc>(op->getLoc()))
    os << file.getFilename().getValue() << ":" << file.getLine() << ":" << file.getColumn();
  else
    op->getLoc().print(os);
  return text;
}

llvm::Error opError(Operation *op, const llvm::Twine &what) {
  return fail(where(op) + ": '" + op->getName().getStringRef() + "' " + what);
}

/// Whether a function has the model entry point signature bitnet-compile
/// takes, and its cache and logits types.
bool isEntryPoint(func::FuncOp func, RankedTensorType &cache, RankedTensorType &logits) {
  if (!func.isPublic() || func.isExternal())
    return false;
  FunctionType type = func.getFunctionType();
  if (type.getNumInputs() != 4 || type.getNumResults() != 3)
    return false;
  cache = dyn_cast<RankedTensorType>(type.getInput(2));
  logits = dyn_cast<RankedTensorType>(type.getResult(0));
  auto tokens = dyn_cast<RankedTensorType>(type.getInput(0));
  return tokens && cache && logits && tokens.hasStaticShape() && cache.hasStaticShape() &&
         logits.hasStaticShape() && tokens.getRank() == 1 &&
         tokens.getElementType().isInteger(32) && type.getInput(1).isInteger(32) &&
         cache.getRank() == 3 && cache.getElementType().isF32() &&
         type.getInput(3) == cache && logits.getRank() == 2 &&
         logits.getElementType().isF32() && type.getResult(1) == cache &&
         type.getResult(2) == cache;
}

class IRGolden final : public GoldenModel {
public:
  IRGolden(ref::HeadFormat head, int threads)
      : context_(MLIRContext::Threading::DISABLED), head_(head), threads_(threads) {
    context_.loadDialect<bn::BitNetDialect, arith::ArithDialect, func::FuncDialect,
                         tensor::TensorDialect>();
  }

  llvm::Error load(const bitnet_model &m, llvm::StringRef path);
  void reset() override {
    std::fill(kCache_->f32.begin(), kCache_->f32.end(), 0.0f);
    std::fill(vCache_->f32.begin(), vCache_->f32.end(), 0.0f);
  }
  llvm::Error forward(const int32_t *tokens, int64_t M, int64_t pos, float *logits) override;
  void scaleNorms(double factor) override { normScale_ = factor; }

private:
  using Env = llvm::DenseMap<Value, TensorPtr>;
  llvm::Error evaluate(Operation *op, Env &env);
  llvm::Expected<TensorPtr> constant(Operation *op, Attribute value, Type type);
  TensorPtr lookup(Value v, const Env &env) const {
    auto it = env.find(v);
    if (it != env.end())
      return it->second;
    auto c = constants_.find(v);
    return c != constants_.end() ? c->second : nullptr;
  }
  /// The norm weights as a forward pass uses them (scaled by scaleNorms).
  std::vector<float> normWeights(const Tensor &w) const {
    std::vector<float> out(w.f32);
    if (normScale_ != 1)
      for (float &v : out)
        v = static_cast<float>(v * normScale_);
    return out;
  }

  MLIRContext context_;
  llvm::SourceMgr sourceMgr_;
  OwningOpRef<ModuleOp> module_;
  func::FuncOp entry_;
  /// The entry point's ops that its results depend on (what the compiler
  /// keeps); the rest, an unused constant say, is never evaluated.
  llvm::DenseSet<Operation *> live_;
  Env constants_;
  /// Int8 LM heads, quantized once from their f16 tables.
  llvm::DenseMap<const Tensor *, ref::RowQuantizedWeights> int8Heads_;
  TensorPtr kCache_, vCache_;
  int64_t vocab_ = 0, rows_ = 0;
  ref::HeadFormat head_;
  int threads_;
  double normScale_ = 1;
};

llvm::Error IRGolden::load(const bitnet_model &m, llvm::StringRef path) {
  llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      openInputBuffer(path.str(), kAnySize, /*nullTerminated=*/true);
  if (!buffer)
    return buffer.takeError();
  llvm::StringRef text = (*buffer)->getBuffer();
  std::string why = checkMlirNesting(std::string_view(text.data(), text.size()));
  if (!why.empty())
    return fail(path + ": " + why);
  sourceMgr_.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
  std::string diagnostics;
  {
    llvm::raw_string_ostream os(diagnostics);
    SourceMgrDiagnosticHandler handler(sourceMgr_, &context_, os);
    module_ = parseSourceFile<ModuleOp>(sourceMgr_, &context_);
  }
  if (!module_)
    return fail(path + ": not bitnet IR that parses and verifies:\n" +
                llvm::StringRef(diagnostics).rtrim());

  RankedTensorType cache, logits;
  for (auto func : module_->getOps<func::FuncOp>())
    if (isEntryPoint(func, cache, logits)) {
      entry_ = func;
      break;
    }
  if (!entry_)
    return fail(path + ": no model entry point (tokens, position, K cache, V cache) -> "
                       "(logits, K cache, V cache) with static shapes");
  const int64_t layers = cache.getDimSize(0), rows = cache.getDimSize(1),
                kvDim = cache.getDimSize(2), vocab = logits.getDimSize(1);
  if (layers != m.layers || rows != m.context || kvDim != m.kv_dim || vocab != m.vocab)
    return fail(path + " (bitnet IR: " + llvm::Twine(layers) + " layers, context " +
                llvm::Twine(rows) + ", kv dim " + llvm::Twine(kvDim) + ", vocab " +
                llvm::Twine(vocab) + ") is not the IR the model was compiled from (" +
                llvm::Twine(m.layers) + " layers, context " + llvm::Twine(m.context) +
                ", kv dim " + llvm::Twine(m.kv_dim) + ", vocab " + llvm::Twine(m.vocab) + ")");
  vocab_ = vocab;
  rows_ = rows;
  kCache_ = makeTensor(Element::F32, {layers, rows, kvDim});
  vCache_ = makeTensor(Element::F32, {layers, rows, kvDim});

  for (Operation &op : llvm::reverse(entry_.getBody().front()))
    if (isa<func::ReturnOp>(op) || llvm::any_of(op.getUsers(), [&](Operation *user) {
          return live_.contains(user);
        }))
      live_.insert(&op);
  // Everything computed from constants alone (the weights, their
  // quantization) once.
  for (Operation &op : entry_.getBody().front()) {
    if (isa<func::ReturnOp>(op) || op.getNumRegions() != 0 || !live_.contains(&op))
      continue;
    bool fromConstants = llvm::all_of(op.getOperands(), [&](Value v) {
      return constants_.count(v) != 0;
    });
    if (fromConstants)
      if (llvm::Error error = evaluate(&op, constants_))
        return error;
  }
  return llvm::Error::success();
}

llvm::Error IRGolden::forward(const int32_t *tokens, int64_t M, int64_t pos, float *logits) {
  if (M <= 0 || pos < 0 || pos > rows_ - M)
    return fail("the golden reference of the IR refused " + llvm::Twine(M) +
                " tokens at position " + llvm::Twine(pos) + " (context " + llvm::Twine(rows_) +
                ")");
  Env env;
  Block &body = entry_.getBody().front();
  TensorPtr ids = makeTensor(Element::I32, {M});
  std::memcpy(ids->i32.data(), tokens, static_cast<size_t>(M) * sizeof(int32_t));
  TensorPtr position = makeTensor(Element::I32, {});
  position->i32[0] = static_cast<int32_t>(pos);
  env[body.getArgument(0)] = ids;
  env[body.getArgument(1)] = position;
  env[body.getArgument(2)] = kCache_;
  env[body.getArgument(3)] = vCache_;
  for (Operation &op : body) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      TensorPtr result = lookup(ret.getOperand(0), env);
      TensorPtr k = lookup(ret.getOperand(1), env), v = lookup(ret.getOperand(2), env);
      if (!result || !k || !v)
        return opError(&op, "returns a value that was not evaluated");
      if (result->element != Element::F32 || result->rank() != 2 || result->dim(0) != M ||
          result->dim(1) != vocab_)
        return opError(&op, "returns logits that are not f32 [tokens, vocab]");
      std::memcpy(logits, result->f32.data(), result->f32.size() * sizeof(float));
      if (k->shape != kCache_->shape || v->shape != vCache_->shape)
        return opError(&op, "returns caches of another shape than it takes");
      kCache_ = k;
      vCache_ = v;
      return llvm::Error::success();
    }
    if (!live_.contains(&op) ||
        (llvm::all_of(op.getResults(), [&](Value r) { return constants_.count(r) != 0; }) &&
         op.getNumResults() != 0))
      continue;
    if (llvm::Error error = evaluate(&op, env))
      return error;
  }
  return opError(entry_, "has no return");
}

llvm::Expected<TensorPtr> IRGolden::constant(Operation *op, Attribute value, Type type) {
  if (auto f = dyn_cast<FloatAttr>(value)) {
    if (!f.getType().isF32())
      return opError(op, "is a float scalar other than f32");
    TensorPtr t = makeTensor(Element::F32, {});
    t->f32[0] = static_cast<float>(f.getValueAsDouble());
    return t;
  }
  if (auto i = dyn_cast<IntegerAttr>(value)) {
    if (!i.getType().isInteger(32))
      return opError(op, "is an integer scalar other than i32");
    TensorPtr t = makeTensor(Element::I32, {});
    t->i32[0] = static_cast<int32_t>(i.getInt());
    return t;
  }
  auto elements = dyn_cast<ElementsAttr>(value);
  auto tensorType = dyn_cast<RankedTensorType>(type);
  if (!elements || !tensorType || !tensorType.hasStaticShape())
    return opError(op, "is not a scalar or a tensor of static shape");
  Type element = tensorType.getElementType();
  if (element.isInteger(2)) {
    std::optional<std::vector<int8_t>> values = bn::readLogicalWeights(elements);
    if (!values)
      return opError(op, "holds weights whose values cannot be read (an elided resource?)");
    TensorPtr t = makeTensor(Element::I8, tensorType.getShape());
    t->i8 = std::move(*values);
    return t;
  }
  std::vector<uint8_t> bytes;
  if (!bn::denseValueBytes(elements, &bytes))
    return opError(op, "holds values that cannot be read (an elided resource?)");
  TensorPtr t;
  if (element.isF32()) {
    t = makeTensor(Element::F32, tensorType.getShape());
    std::memcpy(t->f32.data(), bytes.data(), bytes.size());
  } else if (element.isF16()) {
    t = makeTensor(Element::F16, tensorType.getShape());
    std::memcpy(t->f16.data(), bytes.data(), bytes.size());
  } else if (element.isBF16()) {
    // Exact in f32: every op reads bf16 weights as their f32 values.
    t = makeTensor(Element::F32, tensorType.getShape());
    for (size_t i = 0; i < t->f32.size(); ++i) {
      uint16_t bits;
      std::memcpy(&bits, bytes.data() + 2 * i, 2);
      t->f32[i] = ref::bf16ToFloat(bits);
    }
  } else if (element.isInteger(8)) {
    t = makeTensor(Element::I8, tensorType.getShape());
    std::memcpy(t->i8.data(), bytes.data(), bytes.size());
  } else if (element.isInteger(32)) {
    t = makeTensor(Element::I32, tensorType.getShape());
    std::memcpy(t->i32.data(), bytes.data(), bytes.size());
  } else {
    return opError(op, "holds elements of a type the reference does not read");
  }
  return t;
}

llvm::Error IRGolden::evaluate(Operation *op, Env &env) {
  // Operands, checked against what each op reads.
  llvm::SmallVector<TensorPtr, 4> in;
  for (Value v : op->getOperands()) {
    TensorPtr t = lookup(v, env);
    if (!t)
      return opError(op, "reads a value that was not evaluated");
    in.push_back(std::move(t));
  }
  auto expect = [&](size_t i, Element element, int64_t rank) -> llvm::Error {
    const Tensor &t = *in[i];
    if (t.element != element || t.rank() != rank)
      return opError(op, "operand " + llvm::Twine(i) + " is " + elementName(t.element) +
                             " of rank " + llvm::Twine(t.rank()) + ", not " +
                             elementName(element) + " of rank " + llvm::Twine(rank));
    return llvm::Error::success();
  };
  auto expectDim = [&](bool holds, const llvm::Twine &what) -> llvm::Error {
    return holds ? llvm::Error::success() : opError(op, what);
  };
  auto set = [&](unsigned result, TensorPtr t) { env[op->getResult(result)] = std::move(t); };
  const int threads = threads_;

  // [M, D] f32 through RMSNorm (weights scaled as scaleNorms says), then
  // the activation quantizer: codes, scales and per-token code sums, the
  // op's results from `first` on.
  auto normQuantize = [&](const Tensor &x, const Tensor &w, float eps, unsigned first) {
    const int64_t M = x.dim(0), D = x.dim(1);
    std::vector<float> normed(x.f32.size());
    std::vector<float> weights = normWeights(w);
    ref::rmsNorm(x.f32.data(), weights.data(), M, D, eps, normed.data());
    TensorPtr q = makeTensor(Element::I8, {M, D}), s = makeTensor(Element::F32, {M});
    TensorPtr sums = makeTensor(Element::I32, {M});
    ref::quantizeActivations(normed.data(), M, D, q->i8.data(), s->f32.data());
    for (int64_t m = 0; m < M; ++m) {
      int32_t sum = 0;
      for (int64_t d = 0; d < D; ++d)
        sum += q->i8[static_cast<size_t>(m * D + d)];
      sums->i32[static_cast<size_t>(m)] = sum;
    }
    set(first, q);
    set(first + 1, s);
    set(first + 2, sums);
  };
  auto checkNorm = [&](size_t x, size_t w) -> llvm::Error {
    if (llvm::Error e = expect(x, Element::F32, 2))
      return e;
    if (llvm::Error e = expect(w, Element::F32, 1))
      return e;
    return expectDim(in[w]->dim(0) == in[x]->dim(1), "norm weights do not match the input");
  };
  auto checkCodes = [&](size_t q, size_t s) -> llvm::Error {
    if (llvm::Error e = expect(q, Element::I8, 2))
      return e;
    if (llvm::Error e = expect(s, Element::F32, 1))
      return e;
    return expectDim(in[s]->dim(0) == in[q]->dim(0), "has a scale count other than its tokens");
  };
  // A linear layer's operands: codes q [M, K] and their scales [M], i8
  // weights [N, K], weight scales of rank `scaleRank`; its (M, N, K).
  auto checkLinear = [&](int64_t scaleRank) -> llvm::Expected<std::array<int64_t, 3>> {
    if (llvm::Error e = checkCodes(0, 1))
      return std::move(e);
    if (llvm::Error e = expect(2, Element::I8, 2))
      return std::move(e);
    if (llvm::Error e = expect(3, Element::F32, scaleRank))
      return std::move(e);
    const int64_t M = in[0]->dim(0), K = in[0]->dim(1), N = in[2]->dim(0);
    if (in[2]->dim(1) != K)
      return opError(op, "weights of " + llvm::Twine(in[2]->dim(1)) +
                             " columns for an input of " + llvm::Twine(K));
    return std::array<int64_t, 3>{M, N, K};
  };
  auto positionOf = [&](size_t i) -> llvm::Expected<int64_t> {
    if (llvm::Error e = expect(i, Element::I32, 0))
      return std::move(e);
    return static_cast<int64_t>(in[i]->i32[0]);
  };
  auto gluOf = [](bn::GluActivation a) {
    return a == bn::GluActivation::Silu ? ref::GluActivation::Silu : ref::GluActivation::Relu2;
  };
  auto rotate = [&](const Tensor &x, int64_t pos, int64_t headDim, float theta)
      -> llvm::Expected<TensorPtr> {
    if (x.element != Element::F32 || x.rank() != 2 || x.dim(1) % headDim != 0)
      return opError(op, "rotates rows that are not f32 heads of " + llvm::Twine(headDim));
    auto y = std::make_shared<Tensor>(x);
    ref::rope(y->f32.data(), x.dim(0), x.dim(1) / headDim, headDim, pos, theta);
    return y;
  };

  return llvm::TypeSwitch<Operation *, llvm::Error>(op)
      .Case([&](arith::ConstantOp c) -> llvm::Error {
        llvm::Expected<TensorPtr> t = constant(op, c.getValue(), c.getType());
        if (!t)
          return t.takeError();
        set(0, *t);
        return llvm::Error::success();
      })
      .Case([&](bn::ConstantOp c) -> llvm::Error {
        auto type = cast<RankedTensorType>(c.getType());
        auto layout = dyn_cast_or_null<bn::PackedLayoutAttr>(type.getEncoding());
        if (!layout) {
          llvm::Expected<TensorPtr> t = constant(op, c.getValue(), type);
          if (!t)
            return t.takeError();
          set(0, *t);
          return llvm::Error::success();
        }
        std::optional<std::vector<uint8_t>> bytes = bn::readBytes(c.getValue());
        TensorPtr t = makeTensor(Element::I8, {layout.getRows(), layout.getCols()});
        if (!bytes || static_cast<int64_t>(bytes->size()) != layout.getStorageBytes() ||
            !ref::unpackWeights(bn::toReference(layout), bytes->data(),
                                          layout.getRows(), layout.getCols(), t->i8))
          return opError(op, "holds packed weights that cannot be read or decoded");
        set(0, t);
        return llvm::Error::success();
      })
      .Case([&](bn::QuantizeWeightsOp q) -> llvm::Error {
        const Tensor &w = *in[0];
        if (w.rank() != 2 || (w.element != Element::F32 && w.element != Element::F16))
          return opError(op, "quantizes weights that are not an f32, f16 or bf16 matrix");
        std::vector<float> floats = w.f32;
        if (w.element == Element::F16) {
          floats.resize(w.f16.size());
          for (size_t i = 0; i < floats.size(); ++i)
            floats[i] = ref::halfToFloat(w.f16[i]);
        }
        ref::QuantizedWeights quantized =
            ref::quantizeWeights(floats.data(), floats.size(), bn::toReference(q.getKind()));
        TensorPtr values = makeTensor(Element::I8, w.shape);
        values->i8 = std::move(quantized.values);
        TensorPtr scale = makeTensor(Element::F32, {});
        scale->f32[0] = quantized.scale;
        set(0, values);
        set(1, scale);
        return llvm::Error::success();
      })
      .Case([&](bn::PackOp) -> llvm::Error {
        // A layout of the same logical values.
        if (llvm::Error e = expect(0, Element::I8, 2))
          return e;
        set(0, in[0]);
        return llvm::Error::success();
      })
      .Case([&](bn::QuantizeActivationsOp) -> llvm::Error {
        if (llvm::Error e = expect(0, Element::F32, 2))
          return e;
        const int64_t M = in[0]->dim(0), K = in[0]->dim(1);
        TensorPtr q = makeTensor(Element::I8, {M, K}), s = makeTensor(Element::F32, {M});
        ref::quantizeActivations(in[0]->f32.data(), M, K, q->i8.data(), s->f32.data());
        set(0, q);
        set(1, s);
        return llvm::Error::success();
      })
      .Case([&](bn::RMSNormOp n) -> llvm::Error {
        if (llvm::Error e = checkNorm(0, 1))
          return e;
        TensorPtr y = makeTensor(Element::F32, in[0]->shape);
        std::vector<float> weights = normWeights(*in[1]);
        ref::rmsNorm(in[0]->f32.data(), weights.data(), in[0]->dim(0), in[0]->dim(1),
                     n.getEpsilon().convertToFloat(), y->f32.data());
        set(0, y);
        return llvm::Error::success();
      })
      .Case([&](bn::RMSNormQuantizeOp n) -> llvm::Error {
        if (llvm::Error e = checkNorm(0, 1))
          return e;
        normQuantize(*in[0], *in[1], n.getEpsilon().convertToFloat(), 0);
        return llvm::Error::success();
      })
      .Case([&](bn::AddRMSNormQuantizeOp n) -> llvm::Error {
        if (llvm::Error e = checkNorm(0, 2))
          return e;
        if (in[1]->shape != in[0]->shape || in[1]->element != Element::F32)
          return opError(op, "adds matrices of different shapes");
        TensorPtr sum = makeTensor(Element::F32, in[0]->shape);
        ref::add(in[0]->f32.data(), in[1]->f32.data(),
                 static_cast<int64_t>(sum->f32.size()), sum->f32.data());
        set(0, sum);
        normQuantize(*sum, *in[2], n.getEpsilon().convertToFloat(), 1);
        return llvm::Error::success();
      })
      .Case([&](bn::GLURMSNormQuantizeOp n) -> llvm::Error {
        if (llvm::Error e = checkNorm(0, 2))
          return e;
        if (in[1]->shape != in[0]->shape || in[1]->element != Element::F32)
          return opError(op, "gates matrices of different shapes");
        Tensor mlp;
        mlp.shape = in[0]->shape;
        mlp.f32.resize(in[0]->f32.size());
        ref::glu(in[0]->f32.data(), in[1]->f32.data(), static_cast<int64_t>(mlp.f32.size()),
                 gluOf(n.getActivation()), mlp.f32.data());
        normQuantize(mlp, *in[2], n.getEpsilon().convertToFloat(), 0);
        return llvm::Error::success();
      })
      .Case([&](bn::BitLinearOp) -> llvm::Error {
        llvm::Expected<std::array<int64_t, 3>> shape = checkLinear(0);
        if (!shape)
          return shape.takeError();
        const auto [M, N, K] = *shape;
        TensorPtr y = makeTensor(Element::F32, {M, N});
        ref::bitLinear(in[0]->i8.data(), in[1]->f32.data(), in[2]->i8.data(), in[3]->f32[0], M,
                       N, K, y->f32.data(), threads);
        set(0, y);
        return llvm::Error::success();
      })
      .Case([&](bn::BitLinearFusedOp f) -> llvm::Error {
        llvm::Expected<std::array<int64_t, 3>> shape = checkLinear(1);
        if (!shape)
          return shape.takeError();
        const auto [M, N, K] = *shape;
        llvm::ArrayRef<int64_t> segments = f.getSegments();
        int64_t total = 0;
        for (int64_t rows : segments)
          total += rows;
        if (total != N || in[3]->dim(0) != static_cast<int64_t>(segments.size()))
          return opError(op, "has segments that do not cover its weights' rows");
        // Each segment is a BitLinear of its own rows and scale.
        TensorPtr y = makeTensor(Element::F32, {M, N});
        std::vector<float> part;
        int64_t first = 0;
        for (size_t i = 0; i < segments.size(); ++i) {
          const int64_t rows = segments[i];
          part.resize(static_cast<size_t>(M * rows));
          ref::bitLinear(in[0]->i8.data(), in[1]->f32.data(),
                         in[2]->i8.data() + static_cast<size_t>(first * K), in[3]->f32[i], M,
                         rows, K, part.data(), threads);
          for (int64_t m = 0; m < M; ++m)
            std::memcpy(&y->f32[static_cast<size_t>(m * N + first)],
                        &part[static_cast<size_t>(m * rows)], sizeof(float) * rows);
          first += rows;
        }
        set(0, y);
        return llvm::Error::success();
      })
      .Case([&](bn::FloatLinearOp f) -> llvm::Error {
        if (llvm::Error e = expect(0, Element::F32, 2))
          return e;
        const Tensor &w = *in[1];
        const int64_t M = in[0]->dim(0), K = in[0]->dim(1);
        if (w.rank() != 2 || w.dim(1) != K)
          return opError(op, "weights do not match the input's columns");
        const int64_t N = w.dim(0);
        TensorPtr y = makeTensor(Element::F32, {M, N});
        if (head_ == ref::HeadFormat::Int8 && f.isLMHead()) {
          // What --lm-head=int8 compiles: the f16 rows quantized once, the
          // input per token.
          if (w.element != Element::F16)
            return opError(op, "is the LM head of an --lm-head=int8 model but its weights "
                               "are not f16");
          auto [head, fresh] = int8Heads_.try_emplace(&w);
          if (fresh)
            head->second = ref::quantizeRowsF16(w.f16.data(), N, K);
          std::vector<int8_t> codes(in[0]->f32.size());
          std::vector<float> scales(static_cast<size_t>(M));
          ref::quantizeActivations(in[0]->f32.data(), M, K, codes.data(), scales.data());
          ref::int8Linear(codes.data(), scales.data(), head->second.values.data(),
                          head->second.scales.data(), M, N, K, y->f32.data(), threads);
        } else if (w.element == Element::F16) {
          ref::floatLinearF16(in[0]->f32.data(), w.f16.data(), M, N, K, y->f32.data(), threads);
        } else if (w.element == Element::F32) {
          ref::floatLinear(in[0]->f32.data(), w.f32.data(), M, N, K, y->f32.data(), threads);
        } else {
          return opError(op, "weights are not f16, bf16 or f32");
        }
        set(0, y);
        return llvm::Error::success();
      })
      .Case([&](bn::Int8LinearOp) -> llvm::Error {
        llvm::Expected<std::array<int64_t, 3>> shape = checkLinear(1);
        if (!shape)
          return shape.takeError();
        const auto [M, N, K] = *shape;
        if (in[3]->dim(0) != N)
          return opError(op, "has a scale count other than its weights' rows");
        TensorPtr y = makeTensor(Element::F32, {M, N});
        ref::int8Linear(in[0]->i8.data(), in[1]->f32.data(), in[2]->i8.data(),
                        in[3]->f32.data(), M, N, K, y->f32.data(), threads);
        set(0, y);
        return llvm::Error::success();
      })
      .Case([&](bn::RoPEOp r) -> llvm::Error {
        llvm::Expected<int64_t> pos = positionOf(1);
        if (!pos)
          return pos.takeError();
        llvm::Expected<TensorPtr> y =
            rotate(*in[0], *pos, r.getHeadDim(), r.getTheta().convertToFloat());
        if (!y)
          return y.takeError();
        set(0, *y);
        return llvm::Error::success();
      })
      .Case([&](bn::RoPEQKVOp r) -> llvm::Error {
        llvm::Expected<int64_t> pos = positionOf(3);
        if (!pos)
          return pos.takeError();
        const float theta = r.getTheta().convertToFloat();
        llvm::Expected<TensorPtr> q = rotate(*in[0], *pos, r.getHeadDim(), theta);
        if (!q)
          return q.takeError();
        llvm::Expected<TensorPtr> k = rotate(*in[1], *pos, r.getHeadDim(), theta);
        if (!k)
          return k.takeError();
        set(0, *q);
        set(1, *k);
        set(2, in[2]);
        return llvm::Error::success();
      })
      .Case([&](bn::KVAppendOp a) -> llvm::Error {
        if (llvm::Error e = expect(0, Element::F32, 3))
          return e;
        if (llvm::Error e = expect(1, Element::F32, 2))
          return e;
        llvm::Expected<int64_t> pos = positionOf(2);
        if (!pos)
          return pos.takeError();
        const Tensor &cache = *in[0];
        const int64_t layer = static_cast<int64_t>(a.getLayer());
        const int64_t rows = cache.dim(1), kv = cache.dim(2), M = in[1]->dim(0);
        if (layer >= cache.dim(0) || in[1]->dim(1) != kv || *pos < 0 || *pos > rows - M)
          return opError(op, "writes outside its cache (layer " + llvm::Twine(layer) +
                                 ", rows " + llvm::Twine(*pos) + " to " +
                                 llvm::Twine(*pos + M - 1) + ")");
        // A cache read by nothing else is updated where it is.
        TensorPtr out = op->getOperand(0).hasOneUse() && !constants_.count(op->getOperand(0))
                            ? in[0]
                            : std::make_shared<Tensor>(cache);
        std::memcpy(&out->f32[static_cast<size_t>((layer * rows + *pos) * kv)],
                    in[1]->f32.data(), sizeof(float) * static_cast<size_t>(M * kv));
        set(0, out);
        return llvm::Error::success();
      })
      .Case([&](bn::AttentionOp a) -> llvm::Error {
        if (llvm::Error e = expect(0, Element::F32, 2))
          return e;
        if (llvm::Error e = expect(1, Element::F32, 3))
          return e;
        if (llvm::Error e = expect(2, Element::F32, 3))
          return e;
        llvm::Expected<int64_t> pos = positionOf(3);
        if (!pos)
          return pos.takeError();
        const Tensor &q = *in[0], &kc = *in[1], &vc = *in[2];
        const int64_t M = q.dim(0), heads = static_cast<int64_t>(a.getNumHeads()),
                      kvHeads = static_cast<int64_t>(a.getNumKvHeads());
        const int64_t layer = static_cast<int64_t>(a.getLayer());
        const int64_t rows = kc.dim(1), kv = kc.dim(2);
        if (q.dim(1) % heads != 0 || heads % kvHeads != 0 || kc.shape != vc.shape)
          return opError(op, "has heads that do not divide its query or caches");
        const int64_t headDim = q.dim(1) / heads;
        if (kvHeads * headDim != kv || layer >= kc.dim(0) || *pos < 0 || *pos > rows - M)
          return opError(op, "reads outside its caches");
        TensorPtr y = makeTensor(Element::F32, q.shape);
        const size_t offset = static_cast<size_t>(layer * rows * kv);
        ref::attention(q.f32.data(), kc.f32.data() + offset, vc.f32.data() + offset, M, heads,
                       kvHeads, headDim, *pos, y->f32.data());
        set(0, y);
        return llvm::Error::success();
      })
      .Case([&](bn::GLUOp g) -> llvm::Error {
        if (llvm::Error e = expect(0, Element::F32, 2))
          return e;
        if (in[1]->shape != in[0]->shape || in[1]->element != Element::F32)
          return opError(op, "gates matrices of different shapes");
        TensorPtr y = makeTensor(Element::F32, in[0]->shape);
        ref::glu(in[0]->f32.data(), in[1]->f32.data(), static_cast<int64_t>(y->f32.size()),
                 gluOf(g.getActivation()), y->f32.data());
        set(0, y);
        return llvm::Error::success();
      })
      .Case([&](bn::EmbeddingOp) -> llvm::Error {
        if (llvm::Error e = expect(1, Element::I32, 1))
          return e;
        const Tensor &table = *in[0], &ids = *in[1];
        if (table.rank() != 2 || (table.element != Element::F16 && table.element != Element::F32))
          return opError(op, "reads a table that is not an f16, bf16 or f32 matrix");
        const int64_t vocab = table.dim(0), D = table.dim(1), M = ids.dim(0);
        TensorPtr y = makeTensor(Element::F32, {M, D});
        for (int64_t m = 0; m < M; ++m) {
          const int32_t id = ids.i32[static_cast<size_t>(m)];
          if (id < 0 || id >= vocab)
            return opError(op, "reads token id " + llvm::Twine(id) + ", outside [0, " +
                                   llvm::Twine(vocab) + ")");
        }
        if (table.element == Element::F16)
          ref::embedding(table.f16.data(), vocab, D, ids.i32.data(), M, y->f32.data());
        else
          for (int64_t m = 0; m < M; ++m)
            std::memcpy(&y->f32[static_cast<size_t>(m * D)],
                        &table.f32[static_cast<size_t>(ids.i32[static_cast<size_t>(m)] * D)],
                        sizeof(float) * static_cast<size_t>(D));
        set(0, y);
        return llvm::Error::success();
      })
      .Case([&](bn::AddOp) -> llvm::Error {
        if (llvm::Error e = expect(0, Element::F32, 2))
          return e;
        if (in[1]->shape != in[0]->shape || in[1]->element != Element::F32)
          return opError(op, "adds matrices of different shapes");
        TensorPtr y = makeTensor(Element::F32, in[0]->shape);
        ref::add(in[0]->f32.data(), in[1]->f32.data(), static_cast<int64_t>(y->f32.size()),
                 y->f32.data());
        set(0, y);
        return llvm::Error::success();
      })
      .Case([&](tensor::FromElementsOp) -> llvm::Error {
        // A fused BitLinear's weight scales, gathered from scalars.
        auto type = cast<RankedTensorType>(op->getResult(0).getType());
        if (type.getRank() != 1 || !type.getElementType().isF32() ||
            type.getDimSize(0) != static_cast<int64_t>(in.size()))
          return opError(op, "is not a vector of f32 scalars");
        TensorPtr y = makeTensor(Element::F32, {type.getDimSize(0)});
        for (size_t i = 0; i < in.size(); ++i) {
          if (llvm::Error e = expect(i, Element::F32, 0))
            return e;
          y->f32[i] = in[i]->f32[0];
        }
        set(0, y);
        return llvm::Error::success();
      })
      .Case([&](tensor::ExtractSliceOp slice) -> llvm::Error {
        // The columns of one projection out of a fused BitLinear's result.
        // A dimension the static slice covers whole is taken whole (the
        // tokens, whose count is the call's, not the entry point's).
        const Tensor &x = *in[0];
        auto sourceType = cast<RankedTensorType>(slice.getSourceType());
        llvm::ArrayRef<int64_t> offsets = slice.getStaticOffsets(),
                                sizes = slice.getStaticSizes(),
                                strides = slice.getStaticStrides();
        if (x.rank() != 2 || slice.getType().getRank() != 2 ||
            x.element != Element::F32 || !sourceType.hasStaticShape() ||
            llvm::any_of(llvm::concat<const int64_t>(offsets, sizes, strides),
                         ShapedType::isDynamic) ||
            llvm::any_of(strides, [](int64_t s) { return s != 1; }))
          return opError(op, "is not a static, unit-stride slice of an f32 matrix");
        int64_t first[2], count[2];
        for (int d = 0; d < 2; ++d) {
          const bool whole = offsets[d] == 0 && sizes[d] == sourceType.getDimSize(d);
          first[d] = whole ? 0 : offsets[d];
          count[d] = whole ? x.dim(d) : sizes[d];
          if (first[d] + count[d] > x.dim(d))
            return opError(op, "slices past its source");
        }
        TensorPtr y = makeTensor(Element::F32, {count[0], count[1]});
        for (int64_t r = 0; r < count[0]; ++r)
          std::memcpy(&y->f32[static_cast<size_t>(r * count[1])],
                      &x.f32[static_cast<size_t>((first[0] + r) * x.dim(1) + first[1])],
                      sizeof(float) * static_cast<size_t>(count[1]));
        set(0, y);
        return llvm::Error::success();
      })
      .Default([&](Operation *) -> llvm::Error {
        return opError(op, "is not an op the golden reference evaluates (the model-level "
                           "bitnet ops, arith.constant, tensor.extract_slice, "
                           "tensor.from_elements and func.return)");
      });
}

} // namespace

llvm::Expected<std::unique_ptr<GoldenModel>>
loadIRGolden(const bitnet_model &model, llvm::StringRef path, ref::HeadFormat head,
             int threads) {
  auto golden = std::make_unique<IRGolden>(head, threads);
  if (llvm::Error error = golden->load(model, path))
    return std::move(error);
  return std::unique_ptr<GoldenModel>(std::move(golden));
}

} // namespace run
} // namespace bitnet
