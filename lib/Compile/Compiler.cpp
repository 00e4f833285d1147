//===- Compiler.cpp - bitnet-compile as a library -------------------------===//

#include "bitnet/Compile/Compiler.h"
#include "bitnet/Compile/WeightData.h"
#include "bitnet/Import/Importers.h"
#include "bitnet/Support/LLVMInput.h"
#include "bitnet/ModelGen/ModelIR.h"

#include "bitnet/InitAll.h"
#include "bitnet/Pipelines/Pipelines.h"
#include "bitnet/Target/TargetTable.h"
#include "bitnet/Runtime/Tokenizer.h"
#include "bitnet/Tokenizer/Vocabulary.h"

#include "ModelAPIHeader.inc"

#include "bitnet/Dialect/BitNet/BitNet.h"
#include "bitnet/Runtime/ModelAPI.h"
#include "bitnet/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/MD5.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Triple.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cassert>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <optional>
#include <cctype>

using namespace mlir;
using namespace mlir::bitnet;

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

/// The process's peak resident memory so far, for the phase lines.
std::string peakMemory() {
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) != 0)
    return "";
  return llvm::formatv(", peak RSS {0} MiB", usage.ru_maxrss / 1024).str(); // KiB on Linux
}

bool isIdentifier(llvm::StringRef s) {
  if (s.empty() || !(std::isalpha((unsigned char)s[0]) || s[0] == '_'))
    return false;
  return llvm::all_of(s, [](char c) { return std::isalnum((unsigned char)c) || c == '_'; });
}

/// One compiled entry point: its body (tokens -> hidden states) and its
/// head (hidden states -> logits), and the model's shapes.
struct EntryPoint {
  std::string body, logits;
  int64_t tokens = 0, vocab = 0, hidden = 0, layers = 0, context = 0, kvDim = 0;
};

/// An error already reported through MLIR's diagnostics: the driver prints
/// nothing more for it.
llvm::Error alreadyReported() {
  return llvm::make_error<llvm::StringError>("", llvm::inconvertibleErrorCode());
}

llvm::Error compileError(const llvm::Twine &message) {
  return llvm::make_error<llvm::StringError>(message, llvm::inconvertibleErrorCode());
}

/// Public model entry points get the --name prefix (model-level signature:
/// tokens, position, K cache, V cache -> logits, caches).
llvm::Error prefixEntryPoints(ModuleOp module, llvm::StringRef name) {
  bool any = false;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (!func.isPublic() || func.isExternal())
      continue;
    FunctionType type = func.getFunctionType();
    auto tokens = type.getNumInputs() == 4
                      ? dyn_cast<RankedTensorType>(type.getInput(0))
                      : RankedTensorType();
    auto cache = tokens ? dyn_cast<RankedTensorType>(type.getInput(2)) : RankedTensorType();
    auto logits = type.getNumResults() == 3
                      ? dyn_cast<RankedTensorType>(type.getResult(0))
                      : RankedTensorType();
    if (!tokens || !cache || !logits || !tokens.hasStaticShape() ||
        !cache.hasStaticShape() || !logits.hasStaticShape() ||
        cache.getRank() != 3 || logits.getRank() != 2) {
      func.emitError() << "@" << func.getSymName()
                       << " is not a model entry point (tokens, position, K cache, V "
                          "cache) -> (logits, K cache, V cache) with static shapes";
      return alreadyReported();
    }
    std::string symbol = func.getSymName().str();
    if (!llvm::StringRef(symbol).starts_with((name + "_").str()))
      symbol = (name + "_" + symbol).str();
    if (failed(SymbolTable::replaceAllSymbolUses(
            func, StringAttr::get(module.getContext(), symbol), module)))
      return alreadyReported();
    func.setSymName(symbol);
    any = true;
  }
  if (!any) {
    module.emitError() << "no public model entry point to compile";
    return alreadyReported();
  }
  return llvm::Error::success();
}

/// The entry points of a module cut by bitnet-split-logits, largest token
/// count first, and the one-row head.
llvm::Error collectEntryPoints(ModuleOp module, std::vector<EntryPoint> &entries,
                               std::string &lastLogits) {
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func->hasAttr(BitNetDialect::kLastLogitsAttrName))
      lastLogits = func.getSymName().str();
    auto head = func->getAttrOfType<FlatSymbolRefAttr>(BitNetDialect::kLogitsAttrName);
    if (!head)
      continue;
    auto headFunc = module.lookupSymbol<func::FuncOp>(head.getAttr());
    FunctionType type = func.getFunctionType();
    auto tokens = cast<RankedTensorType>(type.getInput(0));
    auto cache = cast<RankedTensorType>(type.getInput(2));
    auto hidden = cast<RankedTensorType>(type.getResult(0));
    auto logits = cast<RankedTensorType>(headFunc.getFunctionType().getResult(0));
    entries.push_back({func.getSymName().str(), head.getValue().str(), tokens.getDimSize(0),
                       logits.getDimSize(1), hidden.getDimSize(1), cache.getDimSize(0),
                       cache.getDimSize(1), cache.getDimSize(2)});
  }
  if (entries.empty() || lastLogits.empty())
    return compileError("bitnet-split-logits left no entry point or one-row head");
  llvm::sort(entries, [](const EntryPoint &a, const EntryPoint &b) {
    return a.tokens > b.tokens;
  });
  for (size_t i = 1; i < entries.size(); ++i)
    if (entries[i].tokens == entries[i - 1].tokens)
      return compileError("two entry points take " + llvm::Twine(entries[i].tokens) +
                     " tokens (@" + entries[i - 1].body + ", @" + entries[i].body + ")");
  // One descriptor and one KV cache serve them all: an entry point of other
  // dimensions would index the state's buffers out of bounds.
  const EntryPoint &first = entries.front();
  for (const EntryPoint &e : entries) {
    const std::pair<const char *, int64_t> dims[] = {
        {"vocab", e.vocab - first.vocab},     {"hidden size", e.hidden - first.hidden},
        {"layers", e.layers - first.layers},  {"KV-cache rows", e.context - first.context},
        {"KV dim", e.kvDim - first.kvDim}};
    for (const auto &[what, difference] : dims)
      if (difference != 0)
        return compileError("the entry points @" + first.body + " and @" + e.body +
                            " differ in their " + what +
                            ": every entry point of a model must share its dimensions and "
                            "KV cache");
  }
  return llvm::Error::success();
}

/// The C header: the model API (ModelAPI.h, embedded), the model's
/// dimensions and entry points, and static inline wrappers that bind the
/// API to this model's descriptor.
std::string headerText(llvm::StringRef name, llvm::StringRef target,
                       const std::vector<EntryPoint> &entries,
                       llvm::StringRef lastLogits, bool externalWeights,
                       bool hasTokenizer, bool fat = false) {
  std::string guard = "BITNET_MODEL_" + llvm::StringRef(name).upper() + "_H";
  std::string N = llvm::StringRef(name).upper();
  std::string n = name.str();
  const EntryPoint &e = entries.front();
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "/* Generated by bitnet-compile --target=" << target << " --name=" << name
     << ".\n * Link with the object of the same name and -lm -lpthread -ldl "
        "(the Halide runtime).\n *\n"
     << (externalWeights
             ? " *   if (" + n + "_load_weights(\"" + n + ".weights\") != 0) ...;  (once, first)\n"
             : std::string())
     << " *   " << n << "_state *s = " << n << "_create(0, 0);  (full context, default threads)\n"
     << " *   float logits[" << N << "_VOCAB];\n"
     << " *   " << n << "_forward(s, prompt, count, 0, BITNET_LOGITS_LAST, logits);\n"
     << " *   " << n << "_forward(s, &token, 1, count, BITNET_LOGITS_LAST, logits);\n"
     << " *   " << n << "_destroy(s);\n"
     << " *\n * States are independent: several may run at once from different threads,\n"
     << " * each with its own thread budget. */\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << kModelAPIHeader << "\n"
     << "#define " << N << "_VOCAB " << e.vocab << "\n"
     << "#define " << N << "_HIDDEN " << e.hidden << "\n"
     << "#define " << N << "_LAYERS " << e.layers << "\n"
     << "#define " << N << "_CONTEXT " << e.context << "\n"
     << "#define " << N << "_KV_DIM " << e.kvDim << "\n"
     << "/* Floats in each of the K and V caches: LAYERS * CONTEXT * KV_DIM. */\n"
     << "#define " << N << "_CACHE_FLOATS " << e.layers * e.context * e.kvDim
     << "\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << "/* The model's descriptor (dimensions, entry points, weight slots). */\n"
     << "extern const bitnet_model " << n << "_model;\n\n"
     << (fat ? "/* A fat object: one variant of the model per target, the best this CPU\n"
               " * runs chosen by " + n + "_create (BITNET_VARIANT=<target> forces one, for\n"
               " * tests). Its entry points are the variants' own; use the API below. */\n"
             : std::string());
  if (!fat) {
    os << "/* The compiled entry points: bodies (bitnet_body_fn: M tokens at positions\n"
       << " * pos .. pos + M - 1 -> M x HIDDEN hidden states) and heads\n"
       << " * (bitnet_logits_fn: M x HIDDEN hidden states -> M x VOCAB logits).\n"
       << " * Prefer the API below. */\n";
    for (const EntryPoint &entry : entries)
      os << "int32_t " << entry.body
         << "(const int32_t *tokens, int32_t pos, float *k_cache, float *v_cache,\n"
         << "        float *hidden); /* M = " << entry.tokens << " */\n"
         << "int32_t " << entry.logits << "(const float *hidden, float *logits); /* M = "
         << entry.tokens << " */\n";
    if (llvm::none_of(entries, [&](const EntryPoint &x) { return x.logits == lastLogits; }))
      os << "int32_t " << lastLogits << "(const float *hidden, float *logits); /* M = 1 */\n";
  }
  os << "\ntypedef bitnet_state " << n << "_state;\n\n"
     << "/* Dimensions of the model. */\n"
     << "static inline int32_t " << n << "_vocab(void) { return " << N << "_VOCAB; }\n"
     << "static inline int32_t " << n << "_layers(void) { return " << N << "_LAYERS; }\n"
     << "static inline int32_t " << n << "_max_context(void) { return " << N << "_CONTEXT; }\n\n";
  if (externalWeights)
    os << "/* Compiled with --weights=file: the weights live in the file that\n"
       << " * bitnet-compile wrote beside the object (<object stem>.weights).\n"
       << " * Call once, before " << n << "_create, which returns NULL until then.\n"
       << " * Returns 0; -2 cannot open; -3 not a weights file; -4 another model's;\n"
       << " * -5 truncated; -6 data not matching its checksum (corrupted,\n"
       << " * replaced or extended). */\n"
       << "static inline int32_t " << n << "_load_weights(const char *path) {\n"
       << "  return bitnet_rt2_load_weights(&" << n << "_model, path);\n}\n\n";
  os << "/* bitnet_rt2_create: room for `context` tokens (0: the compiled context);\n"
     << " * forward passes on at most `threads` threads (0: all). NULL when out of memory,\n"
     << " * on a CPU without what the model was compiled for (bitnet_rt2_can_run)"
     << (externalWeights ? ",\n * or before " + n + "_load_weights succeeded" : std::string())
     << ". */\n"
     << "static inline " << n << "_state *" << n << "_create(int32_t context, int32_t threads) {\n"
     << "  return bitnet_rt2_create(&" << n << "_model, context, threads);\n}\n\n"
     << "/* bitnet_rt2_forward: count tokens at pos .. pos + count - 1 in chunks of\n"
     << " * the compiled token counts; `rows` (bitnet_logits_rows) picks the logits\n"
     << " * written: BITNET_LOGITS_LAST 1 x VOCAB, BITNET_LOGITS_ALL count x VOCAB,\n"
     << " * BITNET_LOGITS_NONE none. 0; -1 refused (bad argument, token id or\n"
     << " * position, or a count the token counts cannot chunk; nothing run); -11\n"
     << " * out of memory for the pass's buffers; or a kernel's status. */\n"
     << "static inline int32_t " << n << "_forward(" << n << "_state *s, const int32_t *tokens,\n"
     << "    int32_t count, int32_t pos, int32_t rows, float *logits) {\n"
     << "  return bitnet_rt2_forward(s, tokens, count, pos, rows, logits);\n}\n\n"
     << "/* Forgets every token (the next forward starts at position 0). */\n"
     << "static inline void " << n << "_reset(" << n << "_state *s) { bitnet_rt2_reset(s); }\n"
     << "static inline void " << n << "_destroy(" << n << "_state *s) { bitnet_rt2_destroy(s); }\n\n"
     << "/* Text in and out (bitnet_rt2_tokenize etc.: llama.cpp's conventions,\n"
     << " * BITNET_TOKEN_ERROR and " << n << "_tokenizer_error() when the model has no\n"
     << " * tokenizer). tokenize: the ids of NUL-terminated `text` (BOS first when\n"
     << " * add_bos and the vocabulary asks for it; special tokens in the text stay\n"
     << " * text), or minus the count needed when max_ids is too small. */\n"
     << "#define " << N << "_HAS_TOKENIZER " << (hasTokenizer ? 1 : 0) << "\n"
     << "static inline int32_t " << n << "_tokenize(const char *text, int32_t *ids,\n"
     << "    int32_t max_ids, int32_t add_bos) {\n"
     << "  int32_t bytes = 0;\n"
     << "  while (text && text[bytes] && bytes < INT32_MAX) ++bytes;\n"
     << "  return bitnet_rt2_tokenize(&" << n << "_model, text, bytes, ids, max_ids,\n"
     << "                             add_bos, 0);\n}\n"
     << "/* The bytes of one token (not NUL-terminated), or minus the bytes needed. */\n"
     << "static inline int32_t " << n << "_token_to_piece(int32_t id, char *buf, int32_t len) {\n"
     << "  return bitnet_rt2_token_to_piece(&" << n << "_model, id, buf, len);\n}\n"
     << "/* The text of `n` ids without special tokens (not NUL-terminated). */\n"
     << "static inline int32_t " << n << "_detokenize(const int32_t *ids, int32_t count,\n"
     << "    char *buf, int32_t len) {\n"
     << "  return bitnet_rt2_detokenize(&" << n << "_model, ids, count, buf, len, 1);\n}\n"
     << "static inline int32_t " << n << "_token_bos(void) { return bitnet_rt2_token_bos(&" << n
     << "_model); }\n"
     << "static inline int32_t " << n << "_token_eos(void) { return bitnet_rt2_token_eos(&" << n
     << "_model); }\n"
     << "/* Whether generation ends at `id` (EOS, end of turn). */\n"
     << "static inline int32_t " << n << "_token_is_eog(int32_t id) {\n"
     << "  return bitnet_rt2_token_is_eog(&" << n << "_model, id);\n}\n"
     << "static inline const char *" << n << "_tokenizer_error(void) {\n"
     << "  return bitnet_rt2_tokenizer_error(&" << n << "_model);\n}\n\n"
     << "#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << guard << " */\n";
  return s;
}

/// Bytes of the constant tables that a forward pass only gathers rows from:
/// embedding tables, unless a function returns a float_linear over the same
/// table (a tied f16 LM head, read in full). With an int8 head the head gets
/// its own codes and the table is gathered only.
int64_t gatheredOnlyBytes(ModuleOp module, bool int8Head) {
  llvm::DenseSet<Attribute> tables, readInFull;
  module.walk([&](Operation *op) {
    ElementsAttr attr;
    if (auto emb = dyn_cast<EmbeddingOp>(op)) {
      if (matchPattern(emb.getTable(), m_Constant(&attr)))
        tables.insert(attr);
    } else if (auto fl = dyn_cast<FloatLinearOp>(op)) {
      if (!(fl.isLMHead() && int8Head) && matchPattern(fl.getWeights(), m_Constant(&attr)))
        readInFull.insert(attr);
    }
  });
  int64_t bytes = 0;
  for (Attribute table : tables) {
    auto elements = cast<ElementsAttr>(table);
    if (!readInFull.contains(table))
      bytes += static_cast<int64_t>(elements.getNumElements()) *
               ((elements.getElementType().getIntOrFloatBitWidth() + 7) / 8);
  }
  return bytes;
}

/// A constant struct laid out like a C struct of the model API: each value
/// at its offsetof, so that the descriptor the compiler writes follows
/// ModelAPI.h (the one source of its layout) instead of a copy of it.
struct CStructField {
  size_t offset;
  llvm::Constant *value;
};

llvm::Constant *cStruct(llvm::LLVMContext &ctx, const llvm::DataLayout &layout,
                        llvm::ArrayRef<CStructField> fields, size_t size) {
  std::vector<CStructField> sorted(fields.begin(), fields.end());
  llvm::sort(sorted, [](const CStructField &a, const CStructField &b) {
    return a.offset < b.offset;
  });
  std::vector<llvm::Constant *> values;
  size_t at = 0;
  auto pad = [&](size_t bytes) {
    if (bytes == 0)
      return;
    auto *type = llvm::ArrayType::get(llvm::Type::getInt8Ty(ctx), bytes);
    values.push_back(llvm::ConstantAggregateZero::get(type));
  };
  for (const CStructField &f : sorted) {
    pad(f.offset - at);
    values.push_back(f.value);
    at = f.offset + layout.getTypeAllocSize(f.value->getType());
  }
  pad(size - at);
  return llvm::ConstantStruct::getAnon(ctx, values, /*Packed=*/true);
}

/// Bytes of a model's constants, and of those a generated token reads.
struct WeightFigures {
  int64_t weightBytes = 0, readBytes = 0;
};

/// How the model's weights were read and its LM head stored (ModelAPI.h's
/// BITNET_WEIGHTS_* and BITNET_LM_HEAD_*).
struct ModelKinds {
  int64_t weightKind = BITNET_WEIGHTS_FROM_IR, lmHead = BITNET_LM_HEAD_F16;
  /// BITNET_CPU_* bits the target's code needs (0 for a fat descriptor).
  int64_t cpuFeatures = 0;
};

/// The pointer fields of a descriptor (null where absent).
struct DescriptorLinks {
  llvm::Constant *entries, *lastLogits, *slots, *info, *loaded, *variants;
  llvm::Constant *tokenizer, *tokenizerHandle; // null without a tokenizer
  int64_t tokenizerBytes;
  llvm::Constant *chatTemplate; // null without one
};

/// The chat template as a NUL-terminated string `<name>_chat_template`, or
/// null.
llvm::Constant *addChatTemplate(llvm::Module &module, llvm::StringRef name,
                                llvm::StringRef text) {
  llvm::LLVMContext &ctx = module.getContext();
  if (text.empty())
    return llvm::ConstantPointerNull::get(llvm::PointerType::getUnqual(ctx));
  llvm::Constant *value = llvm::ConstantDataArray::getString(ctx, text);
  return new llvm::GlobalVariable(module, value->getType(), /*isConstant=*/true,
                                  llvm::GlobalValue::PrivateLinkage, value,
                                  (name + "_chat_template").str());
}

/// The tokenizer blob `<name>_tokenizer` and the writable slot
/// `<name>_tokenizer_handle` the model API keeps its parsed form in; both
/// null without a blob.
std::pair<llvm::Constant *, llvm::Constant *>
addTokenizer(llvm::Module &module, llvm::StringRef name, llvm::ArrayRef<uint8_t> blob) {
  llvm::LLVMContext &ctx = module.getContext();
  llvm::PointerType *ptr = llvm::PointerType::getUnqual(ctx);
  if (blob.empty())
    return {llvm::ConstantPointerNull::get(ptr), llvm::ConstantPointerNull::get(ptr)};
  llvm::Constant *bytes = llvm::ConstantDataArray::get(ctx, blob);
  auto *data = new llvm::GlobalVariable(module, bytes->getType(), /*isConstant=*/true,
                                        llvm::GlobalValue::PrivateLinkage, bytes,
                                        (name + "_tokenizer").str());
  data->setAlignment(llvm::Align(8));
  auto *handle = new llvm::GlobalVariable(module, ptr, /*isConstant=*/false,
                                          llvm::GlobalValue::PrivateLinkage,
                                          llvm::ConstantPointerNull::get(ptr),
                                          (name + "_tokenizer_handle").str());
  return {data, handle};
}

/// Adds the exported `<name>_model`, ModelAPI.h's bitnet_model laid out
/// field by field at each field's offsetof (the header is the one source of
/// the layout).
void emitDescriptor(llvm::Module &module, llvm::StringRef name, const EntryPoint &e,
                    int64_t entryCount, const DescriptorLinks &links,
                    const WeightFigures &figures, const ModelKinds &kinds,
                    int64_t variantCount) {
  llvm::LLVMContext &ctx = module.getContext();
  const llvm::DataLayout &layout = module.getDataLayout();
  auto int64 = [&](int64_t v) { return llvm::ConstantInt::get(llvm::Type::getInt64Ty(ctx), v); };
  llvm::Constant *descriptor = cStruct(
      ctx, layout,
      {{offsetof(bitnet_model, abi_version), int64(BITNET_MODEL_ABI)},
       {offsetof(bitnet_model, vocab), int64(e.vocab)},
       {offsetof(bitnet_model, layers), int64(e.layers)},
       {offsetof(bitnet_model, context), int64(e.context)},
       {offsetof(bitnet_model, kv_dim), int64(e.kvDim)},
       {offsetof(bitnet_model, hidden), int64(e.hidden)},
       {offsetof(bitnet_model, entry_count), int64(entryCount)},
       {offsetof(bitnet_model, entries), links.entries},
       {offsetof(bitnet_model, last_logits), links.lastLogits},
       {offsetof(bitnet_model, weight_slots), links.slots},
       {offsetof(bitnet_model, weights_info), links.info},
       {offsetof(bitnet_model, weights_loaded), links.loaded},
       {offsetof(bitnet_model, weight_bytes), int64(figures.weightBytes)},
       {offsetof(bitnet_model, read_bytes), int64(figures.readBytes)},
       {offsetof(bitnet_model, variant_count), int64(variantCount)},
       {offsetof(bitnet_model, variants), links.variants},
       {offsetof(bitnet_model, tokenizer), links.tokenizer},
       {offsetof(bitnet_model, tokenizer_bytes), int64(links.tokenizerBytes)},
       {offsetof(bitnet_model, tokenizer_handle), links.tokenizerHandle},
       {offsetof(bitnet_model, chat_template), links.chatTemplate},
       {offsetof(bitnet_model, weight_kind), int64(kinds.weightKind)},
       {offsetof(bitnet_model, lm_head), int64(kinds.lmHead)},
       {offsetof(bitnet_model, cpu_features), int64(kinds.cpuFeatures)}},
      sizeof(bitnet_model));
  // Every field of bitnet_model is 8 bytes: a field added to ModelAPI.h and
  // not here fails this count.
  static_assert(sizeof(bitnet_model) == 23 * 8, "set every bitnet_model field above");
  auto *global = new llvm::GlobalVariable(module, descriptor->getType(), /*isConstant=*/true,
                                          llvm::GlobalValue::ExternalLinkage, descriptor,
                                          (name + "_model").str());
  global->setAlignment(llvm::Align(alignof(bitnet_model)));
}

/// Adds the exported descriptor `<name>_model` (ModelAPI.h's bitnet_model)
/// over the entry points and, for file weights, the slot table.
WeightFigures addModelDescriptor(llvm::Module &module, llvm::StringRef name,
                                 const std::vector<EntryPoint> &entries,
                                 llvm::StringRef lastLogits, int64_t gatheredBytes,
                                 int64_t weightDataBytes, llvm::ArrayRef<uint8_t> tokenizer,
                                 llvm::StringRef chatTemplate, const ModelKinds &kinds) {
  llvm::LLVMContext &ctx = module.getContext();
  const llvm::DataLayout &layout = module.getDataLayout();
  llvm::Type *i64 = llvm::Type::getInt64Ty(ctx);
  llvm::PointerType *ptr = llvm::PointerType::getUnqual(ctx);
  auto int64 = [&](int64_t v) { return llvm::ConstantInt::get(i64, v); };
  std::vector<llvm::Constant *> table;
  for (const EntryPoint &e : entries)
    table.push_back(cStruct(ctx, layout,
                            {{offsetof(bitnet_entry, tokens), int64(e.tokens)},
                             {offsetof(bitnet_entry, body), module.getFunction(e.body)},
                             {offsetof(bitnet_entry, logits), module.getFunction(e.logits)}},
                            sizeof(bitnet_entry)));
  auto *tableType = llvm::ArrayType::get(table.front()->getType(), table.size());
  auto *tableGlobal = new llvm::GlobalVariable(
      module, tableType, /*isConstant=*/true, llvm::GlobalValue::PrivateLinkage,
      llvm::ConstantArray::get(tableType, table), (name + "_entries").str());
  tableGlobal->setAlignment(llvm::Align(alignof(bitnet_entry)));
  auto optional = [&](const char *suffix) -> llvm::Constant * {
    llvm::GlobalVariable *g = module.getNamedGlobal((name + suffix).str());
    return g ? static_cast<llvm::Constant *>(g) : llvm::ConstantPointerNull::get(ptr);
  };
  const EntryPoint &e = entries.front();
  // The weight data, and whatever else is large in the glue.
  int64_t weightBytes = weightDataBytes;
  for (const llvm::GlobalVariable &g : module.globals()) {
    uint64_t bytes = layout.getTypeAllocSize(g.getValueType());
    if (bytes >= 1024 && g.hasInitializer())
      weightBytes += static_cast<int64_t>(bytes);
  }
  static_assert(sizeof(bitnet_entry) == 3 * 8, "set every bitnet_entry field above");
  const WeightFigures figures{weightBytes, std::max<int64_t>(weightBytes - gatheredBytes, 0)};
  // Added after the sum above: the tokenizer is no weight.
  auto [tokenizerData, tokenizerHandle] = addTokenizer(module, name, tokenizer);
  emitDescriptor(module, name, e, static_cast<int64_t>(table.size()),
                 {tableGlobal, module.getFunction(lastLogits), optional("_weight_slots"),
                  optional("_weights_info"), optional("_weights_loaded"),
                  llvm::ConstantPointerNull::get(ptr), tokenizerData, tokenizerHandle,
                  static_cast<int64_t>(tokenizer.size()),
                  addChatTemplate(module, name, chatTemplate)},
                 figures, kinds, /*variantCount=*/0);
  return figures;
}

/// One variant of a fat object, as compiled: its descriptor's symbol, the
/// target and the CPU features it needs.
struct FatVariant {
  std::string descriptor, target;
  int64_t cpuFeatures;
};

/// Adds the fat descriptor `<name>_model`: the dimensions and weight figures
/// of the first variant, no entries of its own, and the variants' table
/// (best first).
void addFatDescriptor(llvm::Module &module, llvm::StringRef name, const EntryPoint &e,
                      const WeightFigures &figures, const ModelKinds &kinds,
                      const std::vector<FatVariant> &variants,
                      llvm::ArrayRef<uint8_t> tokenizer, llvm::StringRef chatTemplate) {
  llvm::LLVMContext &ctx = module.getContext();
  const llvm::DataLayout &layout = module.getDataLayout();
  llvm::Type *i64 = llvm::Type::getInt64Ty(ctx);
  llvm::PointerType *ptr = llvm::PointerType::getUnqual(ctx);
  auto int64 = [&](int64_t v) { return llvm::ConstantInt::get(i64, v); };
  std::vector<llvm::Constant *> table;
  for (const FatVariant &v : variants) {
    auto *model = new llvm::GlobalVariable(module, llvm::Type::getInt8Ty(ctx),
                                           /*isConstant=*/true, llvm::GlobalValue::ExternalLinkage,
                                           nullptr, v.descriptor);
    llvm::Constant *target = llvm::ConstantDataArray::getString(ctx, v.target);
    auto *targetName = new llvm::GlobalVariable(module, target->getType(), /*isConstant=*/true,
                                                llvm::GlobalValue::PrivateLinkage, target,
                                                (name + "_variant_name").str());
    table.push_back(cStruct(ctx, layout,
                            {{offsetof(bitnet_model_variant, name), targetName},
                             {offsetof(bitnet_model_variant, cpu_features), int64(v.cpuFeatures)},
                             {offsetof(bitnet_model_variant, model), model}},
                            sizeof(bitnet_model_variant)));
  }
  static_assert(sizeof(bitnet_model_variant) == 3 * 8, "set every variant field above");
  auto *tableType = llvm::ArrayType::get(table.front()->getType(), table.size());
  auto *tableGlobal = new llvm::GlobalVariable(
      module, tableType, /*isConstant=*/true, llvm::GlobalValue::PrivateLinkage,
      llvm::ConstantArray::get(tableType, table), (name + "_variants").str());
  tableGlobal->setAlignment(llvm::Align(alignof(bitnet_model_variant)));
  llvm::Constant *null = llvm::ConstantPointerNull::get(ptr);
  auto [tokenizerData, tokenizerHandle] = addTokenizer(module, name, tokenizer);
  ModelKinds fatKinds = kinds;
  fatKinds.cpuFeatures = 0; // each variant's descriptor says its own
  emitDescriptor(module, name, e, /*entryCount=*/0,
                 {null, null, null, null, null, tableGlobal, tokenizerData, tokenizerHandle,
                  static_cast<int64_t>(tokenizer.size()),
                  addChatTemplate(module, name, chatTemplate)},
                 figures, fatKinds, static_cast<int64_t>(variants.size()));
}

/// The file suffix of an output of `emit` kind, the default output being
/// <name><suffix>.
const char *emitSuffix(EmitKind emit) {
  switch (emit) {
  case EmitKind::BitNet:
  case EmitKind::MLIR:
    return ".mlir";
  case EmitKind::LLVM:
    return ".ll";
  case EmitKind::Assembly:
    return ".s";
  case EmitKind::Object:
    return ".o";
  case EmitKind::Shared:
    return ".so";
  case EmitKind::Header:
    return ".h";
  }
  llvm_unreachable("unknown emit kind");
}

/// The machine that compiles glue for `triple`. x86-64's medium code model
/// puts constants and weight space above 64 KiB in .lrodata / .lbss,
/// addressed with 64-bit offsets: a model's weights may exceed the 2 GiB
/// that 32-bit PC-relative references reach (a full-precision 2B model holds
/// 4.6 GiB). AArch64's small model already reaches 4 GiB.
llvm::Expected<std::unique_ptr<llvm::TargetMachine>> glueTargetMachine(const llvm::Triple &triple) {
  llvm::InitializeAllTargetInfos();
  llvm::InitializeAllTargets();
  llvm::InitializeAllTargetMCs();
  llvm::InitializeAllAsmPrinters();
  std::string error;
  const llvm::Target *llvmTarget = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!llvmTarget)
    return compileError("LLVM has no backend for " + triple.str() + ": " + error);
  std::optional<llvm::CodeModel::Model> codeModel;
  if (triple.getArch() == llvm::Triple::x86_64)
    codeModel = llvm::CodeModel::Medium;
  return std::unique_ptr<llvm::TargetMachine>(llvmTarget->createTargetMachine(
      triple, "generic", "", llvm::TargetOptions(), llvm::Reloc::PIC_, codeModel));
}

/// Writes `text` to `path` atomically (temporary file, then rename).
llvm::Error writeFile(llvm::StringRef path, llvm::StringRef text) {
  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> out = openOutputFile(path, &error);
  if (!out)
    return compileError(error);
  out->os() << text;
  out->os().flush();
  if (out->os().has_error()) {
    out->os().clear_error();
    return compileError("cannot write '" + path + "'");
  }
  out->keep();
  return llvm::Error::success();
}

/// A temporary file removed unless its path is cleared (once renamed).
struct PendingFile {
  std::string path;
  ~PendingFile() {
    if (!path.empty())
      llvm::sys::fs::remove(path);
  }
};

/// Runs `program args` and waits; returns the error text or "".
std::string runProgram(llvm::StringRef program, llvm::ArrayRef<std::string> args) {
  std::vector<llvm::StringRef> argv = {program};
  for (const std::string &a : args)
    argv.push_back(a);
  std::string error;
  int rc = llvm::sys::ExecuteAndWait(program, argv, std::nullopt, {}, 0, 0, &error);
  if (rc != 0)
    return (program + " exited with " + std::to_string(rc) +
            (error.empty() ? "" : ": " + error))
        .str();
  return "";
}


/// Links `inputs` (objects) into one relocatable object with `ld -r` and,
/// for `shared`, a shared library, written to `partial` (a temporary beside
/// the output, which the caller renames into place once all is written).
llvm::Error linkObjects(const llvm::Triple &triple, const std::vector<std::string> &inputs,
                        bool shared, PendingFile &partial) {
  const char *linker = triple.isAArch64() ? "aarch64-linux-gnu-ld" : "ld";
  llvm::ErrorOr<std::string> ld = llvm::sys::findProgramByName(linker);
  if (!ld)
    return compileError(llvm::Twine("the linker '") + linker + "' is not installed");
  std::vector<std::string> args = {"-r"};
  args.insert(args.end(), inputs.begin(), inputs.end());
  args.push_back("-o");
  args.push_back(partial.path);
  std::string linkError = runProgram(*ld, args);
  if (!linkError.empty())
    return compileError("partial link failed: " + linkError);
  if (shared) {
    // The relocatable object linked into a shared library, for runners
    // that load a model at run time (bitnet-run).
    PendingFile library{partial.path + ".so.tmp"};
    // DT_NEEDED for what the model calls (sincosf, expf, pthreads, malloc):
    // a program that links neither libm nor anything else can dlopen it.
    // -Bsymbolic: the library's glue and kernels call its own runtime (the
    // Halide runtime's hooks, the buffer allocator), never another model's
    // that a program exports (-rdynamic) or loaded RTLD_GLOBAL first: bound
    // to that one, a model ran on the other's thread pool hooks and crashed
    // once the other library was unloaded.
    std::string sharedError =
        runProgram(*ld, {"-shared", "-Bsymbolic", partial.path, "-o", library.path,
                         "--as-needed", "-lm", "-lc"});
    if (!sharedError.empty())
      return compileError("shared link failed: " + sharedError);
    llvm::sys::fs::remove(partial.path);
    std::swap(partial.path, library.path);
  }
  return llvm::Error::success();
}

/// The header beside an object: its path with the extension ".h".
std::string headerPathFor(llvm::StringRef objectPath) {
  llvm::SmallString<256> path(objectPath);
  llvm::sys::path::replace_extension(path, "h");
  return std::string(path);
}

/// A text that is equal for two weight-data plans exactly when they place
/// the same values at the same offsets (values printed, without the symbol).
std::string describePlan(const WeightDataPlan &plan) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << plan.bytes << "\n";
  for (const WeightDataPlan::Tensor &t : plan.tensors)
    os << t.offset << " " << t.value << "\n";
  return text;
}

/// One compilation, in phases that each do one job and report an
/// llvm::Error: load the model (a checkpoint format's importer or the IR
/// parser), cut the entry points where the logits start, run the kernel
/// pipeline, emit the glue, generate the kernels (cached), link, write the
/// header. --emit stops after the phase that produces what it asks for.
class CompileSession {
public:
  CompileSession(const CompileOptions &o, llvm::raw_ostream &log)
      : o(o), log(log), context(makeRegistry()),
        diagnostics(sourceMgr, &context, log) {}

  llvm::Error run();

private:
  static DialectRegistry makeRegistry() {
    DialectRegistry registry;
    registerAllDialects(registry);
    registerBuiltinDialectTranslation(registry);
    registerLLVMDialectTranslation(registry);
    return registry;
  }
  /// -o, or <name> with the emit kind's suffix.
  std::string outputPath() const {
    return o.output.empty() ? o.name + emitSuffix(o.emit) : o.output;
  }
  llvm::Error checkOptions();
  llvm::Error loadModel();
  llvm::Error splitEntryPoints();
  llvm::Error runKernelPipeline();
  void printTuning() const;
  llvm::Error checkTokenizer();
  llvm::Error emitGlue();
  llvm::Error writeWeightData();
  llvm::Error generateKernels();
  llvm::Error link();
  llvm::Error writeText(llvm::StringRef text) { return writeFile(outputPath(), text); }
  llvm::Error writeModule() {
    std::string text;
    llvm::raw_string_ostream os(text);
    module->print(os);
    return writeText(text);
  }
  /// Renames the --weights=file temporary (and the weight-data object of
  /// --emit=llvm / asm) into place.
  llvm::Error commitWeights() {
    if (!weightObjectPath.empty()) {
      if (std::error_code ec = llvm::sys::fs::rename(weightObject.path, weightObjectPath))
        return compileError("cannot write '" + weightObjectPath + "': " + ec.message());
      weightObject.path.clear();
    }
    if (!o.externalWeights)
      return llvm::Error::success();
    if (std::error_code ec = llvm::sys::fs::rename(weights.path, weightsPath))
      return compileError("cannot write '" + weightsPath + "': " + ec.message());
    weights.path.clear();
    return llvm::Error::success();
  }
  std::string header() const {
    return headerText(o.name, target->name, entries, lastLogits, o.externalWeights,
                      !tokenizerBlob.empty() && !fatVariant);
  }

  const CompileOptions &o;
  llvm::raw_ostream &log;
  Clock::time_point start = Clock::now();
  const ::bitnet::target::TargetDescription *target = nullptr;
  ::bitnet::target::TuningTable tuning;
  /// The prompt block's tuning entry (nullptr: the default or --tokens).
  const ::bitnet::target::TuningEntry *promptEntry = nullptr;
  int64_t promptBlock = 0; // tokens of the default prompt entry point (0: none)
  /// The serialized tokenizer (empty: none).
  std::vector<uint8_t> tokenizerBlob;
  /// --tokenizer's vocabulary, serialized into tokenizerBlob once the entry
  /// points say the model's vocabulary size (splitEntryPoints).
  std::optional<::bitnet::tokenizer::Vocabulary> tokenizerFile;
  std::string chatTemplate; // the checkpoint's (empty: none)
  /// Whether this session compiles one variant of a fat object: its object
  /// is an intermediate, and its descriptor carries no tokenizer (the fat
  /// descriptor does).
  bool fatVariant = false;
  /// Whether to print the tokenizer line (a fat object's first variant
  /// prints it for the fat descriptor, which carries the tokenizer).
  bool describeTokenizer = true;
  MLIRContext context;
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics;
  OwningOpRef<ModuleOp> module;
  // A checkpoint's tensors, read when the weight data is written.
  ::bitnet::ref::ModelWeights model;
  TensorSources sources;
  std::vector<EntryPoint> entries;
  std::string lastLogits;
  int64_t gatheredBytes = 0;
  // Glue.
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule;
  llvm::SmallVector<char> glue;
  // Where the large constants went (bitnet-place-weight-data), and the
  // object that holds them (or their zero-filled space).
  std::optional<WeightDataPlan> weightData;
  PendingFile weightObject;
  std::string weightObjectPath; // --emit=llvm / asm: kept beside the output
  // --weights=file: written to a temporary file, renamed when all is done.
  PendingFile weights;
  std::string weightsPath;
  // Kernels: objects to link (cached), and the Halide runtime's.
  std::vector<std::string> kernelObjects;
  std::string runtimeObject;
  WeightFigures figures;
  ModelKinds kinds; // --weight-kind of a checkpoint (loadModel), --lm-head
  /// Fat objects: the weight data of variants compiled before, which this
  /// one uses instead of its own where they are the same bytes.
  struct SharedWeightData {
    std::string planText, symbol;
  };
  std::vector<SharedWeightData> shareableWeightData;
  std::string weightPlanText;
  bool sharedWeights = false;

  friend class FatCompile;
};

llvm::Error CompileSession::checkOptions() {
  target = ::bitnet::target::lookupTarget(o.target);
  if (!target) {
    std::string known;
    for (const auto &t : ::bitnet::target::allTargets())
      known += std::string(known.empty() ? "" : ", ") + t.name;
    for (const auto &t : ::bitnet::target::allFatTargets())
      known += std::string(", ") + t.name;
    return compileError("unknown target '" + o.target + "' (expected " + known +
                        " or host)");
  }
  kinds.cpuFeatures = ::bitnet::target::cpuFeaturesOf(*target);
  if (!isIdentifier(o.name))
    return compileError("--name '" + o.name + "' is not a C identifier");
  if (o.lmHead != "f16" && o.lmHead != "int8")
    return compileError("--lm-head '" + o.lmHead + "' is not f16 or int8");
  if (std::string why = ::bitnet::target::loadTuning(o.tuning, tuning); !why.empty())
    return compileError("--tuning: " + why);
  // 0 keeps the checkpoint's context. The upper bound is checked here too:
  // the model's check would blame the checkpoint's config for the flag.
  if (o.context < 0 || o.context > ::bitnet::ref::ModelConfig::kMaxExtent)
    return compileError("--context " + llvm::Twine(o.context) + " must be in [0, " +
                        llvm::Twine(::bitnet::ref::ModelConfig::kMaxExtent) +
                        "] (0: the checkpoint's max_position_embeddings)");
  return llvm::Error::success();
}

llvm::Error CompileSession::loadModel() {
  if (const auto *format = ::bitnet::import::findCheckpointFormat(o.input)) {
    // A checkpoint: imported tensor by tensor, then built as model-level IR
    // with one entry point per token count.
    auto phase = Clock::now();
    ::bitnet::import::ImportOptions import;
    import.context = o.context;
    import.lazyTensors = true; // read once, while the weight data is written
    import.tokenizer = o.tokenizer.empty();
    if (o.weightKind == "ternary" || o.weightKind.empty()) {
      import.kind = ::bitnet::ref::WeightKind::Ternary;
      kinds.weightKind = BITNET_WEIGHTS_TERNARY;
    } else if (o.weightKind == "binary") {
      import.kind = ::bitnet::ref::WeightKind::Binary;
      kinds.weightKind = BITNET_WEIGHTS_BINARY;
    } else if (o.weightKind == "float") {
      import.kind = ::bitnet::ref::WeightKind::Float;
      kinds.weightKind = BITNET_WEIGHTS_FLOAT;
    } else {
      return compileError("--weight-kind '" + o.weightKind +
                          "' is not ternary, binary or float");
    }
    llvm::Expected<::bitnet::ref::ModelWeights> weights = format->import(o.input, import);
    if (!weights)
      return weights.takeError();
    for (int64_t m : o.tokenCounts)
      if (m <= 0 || m > weights->config.context)
        return compileError("--tokens value " + llvm::Twine(m) +
                            " must be in [1, context = " +
                            llvm::Twine(weights->config.context) + "]");
    for (size_t i = 0; i < o.tokenCounts.size(); ++i)
      if (llvm::is_contained(llvm::ArrayRef(o.tokenCounts).take_front(i), o.tokenCounts[i]))
        return compileError("--tokens value " + llvm::Twine(o.tokenCounts[i]) +
                            " is given twice");
    if (!o.tokenCounts.empty() && !llvm::is_contained(o.tokenCounts, 1))
      return compileError("--tokens must include 1: generation runs one token at a time "
                          "(without it the model could not generate)");
    std::vector<int64_t> tokenCounts = o.tokenCounts;
    if (tokenCounts.empty()) {
      // Generation, and prompts in blocks that share each weight read.
      tokenCounts = {1};
      int64_t block = target->promptBlock;
      promptEntry = tuning.findPrompt(target->name, weights->config.hidden);
      if (promptEntry)
        block = promptEntry->tokens;
      block = std::min<int64_t>(block, weights->config.context);
      if (block > 1)
        promptBlock = block;
      if (block > 1)
        tokenCounts.push_back(block);
    }
    model = std::move(*weights);
    tokenizerBlob = std::move(model.tokenizer);
    chatTemplate = std::move(model.chatTemplate);
    for (const auto &source : model.sources())
      sources[source->name] = source;
    module = buildModelModule(&context, model, o.name, tokenCounts);
    log << "bitnet-compile: imported " << o.input << " (" << format->name << ", "
        << model.config.layers << " layers, hidden " << model.config.hidden
        << ", vocab " << model.config.vocab << "): "
        << llvm::format("%.2f", secondsSince(phase)) << " s" << peakMemory() << "\n";
  } else {
    // IR fixes these in its functions' types and constants.
    if (!o.tokenCounts.empty() || o.context != 0 || !o.weightKind.empty())
      return compileError(llvm::Twine(!o.tokenCounts.empty() ? "--tokens"
                                      : o.context != 0      ? "--context"
                                                            : "--weight-kind") +
                          " applies to checkpoint input (a Hugging Face directory or a GGUF "
                          "file); " + o.input +
                          " is read as bitnet IR, whose functions fix their token counts, "
                          "KV-cache rows and weights");
    llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> input =
        ::bitnet::openInputBufferOrStdin(o.input, ::bitnet::kMaxStdinModelBytes);
    if (!input)
      return input.takeError();
    llvm::StringRef text = (*input)->getBuffer();
    // What the checkpoint formats did not recognise is read as MLIR text; a
    // file that cannot be that gets the reason, not the parser's echo of
    // its bytes.
    if (llvm::sys::path::extension(o.input).equals_insensitive(".gguf"))
      return ::bitnet::inputError(o.input + ": not a GGUF file (it does not start with the "
                                            "magic 'GGUF')");
    if (size_t zero = text.find('\0'); zero != llvm::StringRef::npos)
      return ::bitnet::inputError(o.input + ": neither a checkpoint (a Hugging Face "
                                            "directory, a GGUF file) nor MLIR text (a zero "
                                            "byte at offset " + llvm::Twine(zero) + ")");
    std::string why = ::bitnet::checkMlirNesting(std::string_view(text.data(), text.size()));
    if (!why.empty())
      return ::bitnet::inputError(o.input + ": " + why);
    sourceMgr.AddNewSourceBuffer(std::move(*input), llvm::SMLoc());
    module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  }
  if (!module)
    return alreadyReported();
  if (o.tokenizer != "none" && !o.tokenizer.empty()) {
    llvm::Expected<::bitnet::tokenizer::Vocabulary> vocab =
        ::bitnet::tokenizer::vocabularyFromTokenizerJson(o.tokenizer);
    if (!vocab)
      return vocab.takeError();
    chatTemplate = vocab->chatTemplate;
    tokenizerFile = std::move(*vocab);
  }
  return prefixEntryPoints(*module, o.name);
}

llvm::Error CompileSession::splitEntryPoints() {
  PassManager pm(&context);
  pm.addPass(createSplitLogits());
  if (o.printPipeline) {
    pm.printAsTextualPipeline(log);
    log << "\n";
  }
  if (failed(pm.run(*module)))
    return alreadyReported();
  if (llvm::Error e = collectEntryPoints(*module, entries, lastLogits))
    return e;
  if (tokenizerFile) {
    if (llvm::Error e =
            ::bitnet::tokenizer::fitVocabularyToModel(*tokenizerFile, entries.front().vocab))
      return compileError(o.tokenizer + ": " + llvm::toString(std::move(e)));
    tokenizerBlob = ::bitnet::tokenizer::serializeVocabulary(*tokenizerFile);
    tokenizerFile.reset();
  }
  // forward() pads a single token to the smallest entry it fills enough of.
  if (entries.back().tokens != 1 && entries.back().tokens <= BITNET_PAD_FRACTION)
    log << "bitnet-compile: warning: no entry point takes one token: each generated token "
        << "runs the smallest (" << entries.back().tokens << " tokens), padded\n";
  else if (entries.back().tokens != 1)
    log << "bitnet-compile: warning: no entry point takes one token (the smallest takes "
        << entries.back().tokens << "): the model cannot generate, and runs only batches "
        << "that chunks of its token counts cover\n";
  return llvm::Error::success();
}

llvm::Error CompileSession::runKernelPipeline() {
  const bool int8Head = o.lmHead == "int8";
  kinds.lmHead = int8Head ? BITNET_LM_HEAD_INT8 : BITNET_LM_HEAD_F16;
  gatheredBytes = gatheredOnlyBytes(*module, int8Head);
  auto phase = Clock::now();
  PassManager pm(&context);
  KernelPipelineOptions pipeline;
  pipeline.target = target->name;
  pipeline.kernelPrefix = o.name;
  pipeline.lmHead = int8Head ? LMHeadFormat::Int8 : LMHeadFormat::F16;
  // The glue's buffers come from the model API's per-state reuse
  // (lib/Runtime/ModelAPI.c), which the object links.
  pipeline.runtimeAllocator = true;
  pipeline.weightData = o.name + "_weight_data";
  pipeline.tuning = o.tuning;
  buildKernelPipeline(pm, pipeline);
  if (o.printPipeline) {
    pm.printAsTextualPipeline(log);
    log << "\n";
  }
  if (failed(pm.run(*module)))
    return alreadyReported();
  if (o.printPipeline)
    printTuning();
  log << "bitnet-compile: passes: " << llvm::format("%.2f", secondsSince(phase)) << " s"
      << peakMemory() << "\n";
  return llvm::Error::success();
}

/// One line per BitLinear kernel and for the prompt block: the schedule
/// parameters used and the tuning entry they came from.
void CompileSession::printTuning() const {
  auto kernelsAttr = (*module)->getAttrOfType<DictionaryAttr>("bitnet.kernels");
  std::vector<std::string> lines;
  for (NamedAttribute kernel : kernelsAttr ? kernelsAttr.getValue()
                                           : llvm::ArrayRef<NamedAttribute>()) {
    auto specAttr = dyn_cast<KernelSpecAttr>(kernel.getValue());
    if (!specAttr || specAttr.getSpec().kind != ::bitnet::kernels::KernelKind::BitLinear)
      continue;
    const ::bitnet::kernels::KernelSpec &spec = specAttr.getSpec();
    ::bitnet::target::LayoutRule rule;
    const ::bitnet::target::TuningEntry *entry = nullptr;
    (void)::bitnet::target::chooseLayout(*target, spec.weightKind, spec.n, spec.k, &tuning,
                                         rule, entry);
    std::string rows = spec.rowsPerTask ? llvm::formatv("{0} row{1} per task",
                                                        spec.rowsPerTask,
                                                        spec.rowsPerTask == 1 ? "" : "s")
                                              .str()
                                        : "default rows per task";
    lines.push_back(llvm::formatv("tuning: bitlinear {0}x{1} {2}, {3} token{4}: tile "
                                  "{5}x{6}, {7}: {8}",
                                  spec.n, spec.k, ::bitnet::ref::weightKindName(spec.weightKind),
                                  spec.m, spec.m == 1 ? "" : "s", spec.layout.tileN,
                                  spec.layout.tileK, rows,
                                  entry ? entry->origin + " (" + entry->shapeClass() + ")"
                                        : std::string("no entry, the target's rules"))
                        .str());
  }
  std::sort(lines.begin(), lines.end());
  for (const std::string &line : lines)
    log << line << "\n";
  if (promptBlock > 0)
    log << "tuning: prompt block of " << promptBlock << " tokens: "
        << (promptEntry ? promptEntry->origin + " (" + promptEntry->shapeClass() + ")"
                        : std::string("no entry, the default"))
        << "\n";
}

/// The tokenizer's size against the model's vocabulary, and a line saying
/// what the object carries.
llvm::Error CompileSession::checkTokenizer() {
  if (tokenizerBlob.empty()) {
    if (describeTokenizer)
      log << "bitnet-compile: no tokenizer"
          << (o.tokenizer == "none" ? " (--tokenizer=none)"
                                    : " in the input (--tokenizer=tokenizer.json adds one)")
          << ": the tokenizer functions will say so\n";
    return llvm::Error::success();
  }
  // Header fields of Tokenizer.h's blob: kind at 12, n_tokens at 40,
  // n_merges at 44.
  uint32_t kind = 0, tokens = 0, merges = 0;
  std::memcpy(&kind, tokenizerBlob.data() + 12, 4);
  std::memcpy(&tokens, tokenizerBlob.data() + 40, 4);
  std::memcpy(&merges, tokenizerBlob.data() + 44, 4);
  // The importers and splitEntryPoints fitted the vocabulary to the model.
  assert(int64_t(tokens) == entries.front().vocab && "tokenizer not fitted to the model");
  // Unused tokens at the end: fitVocabularyToModel's padding (u8 types
  // after the offsets and scores).
  uint32_t padding = 0;
  const uint8_t *types = tokenizerBlob.data() + 72 + 4 * (size_t(tokens) + 1) + 4 * size_t(tokens);
  while (padding < tokens && types[tokens - 1 - padding] == BITNET_TOKEN_UNUSED)
    ++padding;
  if (describeTokenizer)
    log << "bitnet-compile: tokenizer: " << (kind == 2 ? "byte-level BPE" : "SentencePiece BPE")
        << ", " << tokens << " tokens"
        << (padding ? " (the last " + std::to_string(padding) + " unused, padding up to the "
                          "model's vocabulary)"
                    : std::string())
        << ", " << merges << " merges, "
        << llvm::format("%.1f", tokenizerBlob.size() / 1048576.0) << " MiB"
        << (chatTemplate.empty() ? ", no chat template" : ", a chat template")
        << (fatVariant ? " (in the fat descriptor)" : "") << "\n";
  return llvm::Error::success();
}

llvm::Error CompileSession::emitGlue() {
  auto phase = Clock::now();
  llvmModule = translateModuleToLLVMIR(*module, llvmContext, o.name);
  if (!llvmModule)
    return compileError("cannot translate the glue to LLVM IR");
  llvm::Triple triple(target->triple);
  llvm::Expected<std::unique_ptr<llvm::TargetMachine>> machineOrError =
      glueTargetMachine(triple);
  if (!machineOrError)
    return machineOrError.takeError();
  std::unique_ptr<llvm::TargetMachine> machine = std::move(*machineOrError);
  llvmModule->setTargetTriple(triple);
  llvmModule->setDataLayout(machine->createDataLayout());

  double translating = secondsSince(phase);
  if (llvm::Error e = writeWeightData())
    return e;
  phase = Clock::now();
  if (llvm::Error e = checkTokenizer())
    return e;
  figures = addModelDescriptor(*llvmModule, o.name, entries, lastLogits, gatheredBytes,
                               weightData ? static_cast<int64_t>(weightData->bytes) : 0,
                               fatVariant ? std::vector<uint8_t>() : tokenizerBlob,
                               fatVariant ? std::string() : chatTemplate, kinds);
  if (o.emit == EmitKind::LLVM) {
    std::string text;
    llvm::raw_string_ostream os(text);
    llvmModule->print(os, nullptr);
    return writeText(text);
  }
  auto kind = o.emit == EmitKind::Assembly ? llvm::CodeGenFileType::AssemblyFile
                                           : llvm::CodeGenFileType::ObjectFile;
  llvm::raw_svector_ostream os(glue);
  llvm::legacy::PassManager codegen;
  if (machine->addPassesToEmitFile(codegen, os, nullptr, kind))
    return compileError(o.emit == EmitKind::Assembly ? "the target cannot emit assembly"
                                                     : "the target cannot emit objects");
  codegen.run(*llvmModule);
  log << "bitnet-compile: glue: " << llvm::format("%.2f", translating + secondsSince(phase))
      << " s" << peakMemory() << "\n";
  if (o.emit == EmitKind::Assembly)
    return writeText({glue.data(), glue.size()});
  return llvm::Error::success();
}

/// Writes the constants bitnet-place-weight-data took out of the glue, one
/// tensor at a time: into a data object linked beside the glue, or for
/// --weights=file into the weights file (and zero-filled space in the
/// object that its loader fills).
llvm::Error CompileSession::writeWeightData() {
  auto phase = Clock::now();
  llvm::Expected<std::optional<WeightDataPlan>> plan = readWeightDataPlan(*module);
  if (!plan)
    return plan.takeError();
  weightData = std::move(*plan);
  if (!weightData && !o.externalWeights)
    return llvm::Error::success();
  if (!weightData) // a file with nothing in it: every constant was small
    weightData = WeightDataPlan{o.name + "_weight_data", 0, {}};
  // A variant of a fat object whose weight data is another variant's, byte
  // for byte (the same tensors at the same offsets), uses that variant's.
  weightPlanText = describePlan(*weightData);
  for (const SharedWeightData &other : shareableWeightData) {
    if (o.externalWeights || other.planText != weightPlanText)
      continue;
    llvm::GlobalVariable *own = llvmModule->getNamedGlobal(weightData->symbol);
    auto *theirs = new llvm::GlobalVariable(*llvmModule, own->getValueType(),
                                            /*isConstant=*/true,
                                            llvm::GlobalValue::ExternalLinkage, nullptr,
                                            other.symbol);
    theirs->setAlignment(own->getAlign());
    own->replaceAllUsesWith(theirs);
    own->eraseFromParent();
    log << "bitnet-compile: weights: " << weightData->tensors.size() << " tensors, "
        << llvm::format("%.1f", weightData->bytes / 1048576.0) << " MiB, those of "
        << other.symbol << "\n";
    sharedWeights = true;
    return llvm::Error::success();
  }
  // The data object: linked into the output, or beside --emit=llvm / asm
  // output for whoever compiles that.
  const bool inspecting = o.emit == EmitKind::LLVM || o.emit == EmitKind::Assembly;
  const std::string output = outputPath();
  if (output == "-") {
    if (o.externalWeights)
      return compileError("--weights=file writes its file beside the output: give -o a path");
    log << "bitnet-compile: weights: " << weightData->tensors.size() << " tensors, "
        << llvm::format("%.1f", weightData->bytes / 1048576.0)
        << " MiB, not written (the output goes to standard output)\n";
    return llvm::Error::success();
  }
  if (inspecting) {
    llvm::SmallString<256> path(output);
    llvm::sys::path::replace_extension(path, "weight-data.o");
    weightObjectPath = std::string(path);
    weightObject.path = weightObjectPath + ".tmp";
  } else {
    llvm::SmallString<128> path;
    int fd;
    if (llvm::sys::fs::createTemporaryFile("bitnet-weight-data", "o", fd, path))
      return compileError("cannot create a temporary file");
    ::close(fd);
    weightObject.path = std::string(path);
  }
  const bool terminal = &log == &llvm::errs() && llvm::sys::Process::StandardErrIsDisplayed();
  auto progress = [&](uint64_t done, uint64_t total) {
    if (!terminal)
      return;
    log << llvm::format("\rbitnet-compile: weights: %.0f / %.0f MiB", done / 1048576.0,
                        total / 1048576.0);
    log.flush();
  };
  llvm::Triple triple(target->triple);
  std::string destination;
  if (o.externalWeights) {
    llvm::SmallString<256> path(output);
    llvm::sys::path::replace_extension(path, "weights");
    weightsPath = std::string(path);
    weights.path = weightsPath + ".tmp";
    llvm::Expected<WeightsFileSummary> summary =
        writeWeightsFile(weights.path, *weightData, sources, progress);
    if (!summary)
      return summary.takeError();
    addWeightSlots(*llvmModule, o.name, *weightData, *summary);
    if (llvm::Error e = writeWeightDataObject(weightObject.path, triple, *weightData,
                                              /*sources=*/nullptr, progress))
      return e;
    destination = weightsPath;
  } else {
    if (llvm::Error e = writeWeightDataObject(weightObject.path, triple, *weightData,
                                              &sources, progress))
      return e;
    destination = inspecting ? weightObjectPath : "the object";
  }
  if (terminal)
    log << "\r";
  log << "bitnet-compile: weights: " << weightData->tensors.size() << " tensors, "
      << llvm::format("%.1f", weightData->bytes / 1048576.0) << " MiB -> " << destination
      << ", " << llvm::format("%.2f", secondsSince(phase)) << " s" << peakMemory() << "\n";
  return llvm::Error::success();
}

/// Whether a cached kernel (or runtime) object can be linked: a truncated
/// or damaged entry parses as no object file, and is removed so that it is
/// generated again instead of failing every later link.
static bool usableCacheEntry(const std::string &path, llvm::raw_ostream &log) {
  if (!llvm::sys::fs::exists(path))
    return false;
  llvm::Expected<llvm::object::OwningBinary<llvm::object::ObjectFile>> object =
      llvm::object::ObjectFile::createObjectFile(path);
  if (object)
    return true;
  log << "bitnet-compile: kernel cache: " << path << " is damaged ("
      << llvm::toString(object.takeError()) << "): generating it again\n";
  llvm::sys::fs::remove(path);
  return false;
}

llvm::Error CompileSession::generateKernels() {
  auto phase = Clock::now();
  std::string cache = o.kernelCache;
  if (cache.empty()) {
    llvm::SmallString<128> dir;
    llvm::sys::path::cache_directory(dir);
    llvm::sys::path::append(dir, "bitnet-compile");
    cache = std::string(dir);
  }
  // Kernels are cached per spec hash under the identity of the generator
  // that wrote them: a rebuilt bitnet-kernelgen (new schedules) never reuses
  // another's objects.
  llvm::ErrorOr<llvm::MD5::MD5Result> generator = llvm::sys::fs::md5_contents(o.kernelgen);
  if (!generator)
    return compileError("cannot run bitnet-kernelgen '" + o.kernelgen +
                        "': " + generator.getError().message());
  llvm::SmallString<256> keyed(cache);
  llvm::sys::path::append(keyed, "kernelgen-" +
                                     std::string(generator->digest().str()).substr(0, 16));
  cache = std::string(keyed);
  if (std::error_code ec = llvm::sys::fs::create_directories(cache))
    return compileError("cannot create the kernel cache '" + cache + "': " + ec.message());
  struct Job {
    std::string object;
    std::vector<std::string> args;
  };
  std::vector<Job> jobs;
  auto kernels = (*module)->getAttrOfType<DictionaryAttr>("bitnet.kernels");
  if (kernels)
    for (NamedAttribute entry : kernels) {
      Job job;
      job.object = cache + "/" + entry.getName().str() +
                   ::bitnet::kernels::kernelObjectSuffixFor(target->kernels);
      // The spec's canonical key=value lines are bitnet-kernelgen's arguments.
      llvm::SmallVector<llvm::StringRef> fields;
      std::string canonical = cast<KernelSpecAttr>(entry.getValue()).getSpec().canonical();
      llvm::StringRef(canonical).split(fields, '\n', -1, false);
      for (llvm::StringRef f : fields)
        job.args.push_back(f.str());
      job.args.push_back("-o");
      job.args.push_back(cache);
      kernelObjects.push_back(job.object);
      if (!usableCacheEntry(job.object, log))
        jobs.push_back(job);
    }
  runtimeObject = cache + "/halide_runtime_" +
                  ::bitnet::kernels::kernelTargetName(target->kernels) + ".o";
  if (!usableCacheEntry(runtimeObject, log))
    jobs.push_back({runtimeObject,
                    {"--runtime",
                     std::string("target=") +
                         ::bitnet::kernels::kernelTargetName(target->kernels),
                     "-o", cache}});
  size_t next = 0, done = 0;
  std::vector<std::pair<llvm::sys::ProcessInfo, size_t>> running;
  while (done < jobs.size()) {
    while (running.size() < std::max(1u, o.jobs) && next < jobs.size()) {
      std::vector<llvm::StringRef> argv = {o.kernelgen};
      for (const std::string &a : jobs[next].args)
        argv.push_back(a);
      std::string spawnError;
      llvm::sys::ProcessInfo pi =
          llvm::sys::ExecuteNoWait(o.kernelgen, argv, std::nullopt, {}, 0, &spawnError);
      if (pi.Pid == llvm::sys::ProcessInfo::InvalidPid) {
        for (auto &[other, i] : running)
          llvm::sys::Wait(other, std::nullopt);
        return compileError("cannot run bitnet-kernelgen '" + o.kernelgen +
                            "': " + spawnError);
      }
      running.push_back({pi, next++});
    }
    auto [pi, index] = running.front();
    running.erase(running.begin());
    std::string waitError;
    llvm::sys::ProcessInfo result = llvm::sys::Wait(pi, std::nullopt, &waitError);
    if (result.ReturnCode != 0) {
      for (auto &[other, i] : running)
        llvm::sys::Wait(other, std::nullopt);
      return compileError("bitnet-kernelgen failed for " +
                          llvm::sys::path::filename(jobs[index].object) + " (exit " +
                          llvm::Twine(result.ReturnCode) + ")");
    }
    ++done;
  }
  log << "bitnet-compile: kernels: " << kernelObjects.size() << " and the Halide runtime ("
      << jobs.size()
      << " generated, " << (kernelObjects.size() + 1 - jobs.size()) << " cache hits), "
      << llvm::format("%.2f", secondsSince(phase)) << " s" << peakMemory() << "\n";
  return llvm::Error::success();
}

llvm::Error CompileSession::link() {
  auto phase = Clock::now();
  // One relocatable object: glue + kernels + runtime, linked with ld -r into
  // a temporary file that replaces the output only when complete.
  const bool shared = o.emit == EmitKind::Shared;
  std::string objectPath = outputPath();
  llvm::SmallString<128> gluePath;
  int fd;
  if (llvm::sys::fs::createTemporaryFile("bitnet-glue", "o", fd, gluePath))
    return compileError("cannot create a temporary file");
  PendingFile glueFile{std::string(gluePath)};
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os.write(glue.data(), glue.size());
  }
  llvm::Triple triple(target->triple);
  PendingFile partial{objectPath + ".tmp"};
  std::vector<std::string> inputs = {std::string(gluePath)};
  if (!weightObject.path.empty())
    inputs.push_back(weightObject.path);
  inputs.insert(inputs.end(), kernelObjects.begin(), kernelObjects.end());
  // Run-time support built for the target's architecture: the model API,
  // and for multi-variant ARM kernels the dot-product check, linked ahead of
  // the Halide runtime so that its (weak) definition is the one kept.
  const char *arch = triple.isAArch64() ? "aarch64" : "x86_64";
  std::vector<const char *> support = {"model_api.o", "tokenizer.o"};
  if (target->kernels == ::bitnet::kernels::KernelTarget::ARM64DotProd)
    support.push_back("cpu_features.o");
  // Every CPU target's f16 matmul (F16Matmul.c, F16MatmulNeon.c).
  if (target->kernels != ::bitnet::kernels::KernelTarget::CUDA &&
      target->kernels != ::bitnet::kernels::KernelTarget::OpenCL)
    support.push_back("f16_matmul.o");
  if (target->kernels == ::bitnet::kernels::KernelTarget::X86AVXVNNI)
    support.push_back("ternary_dot_avxvnni.o");
  for (const char *file : support) {
    llvm::SmallString<256> path(o.runtimeDir);
    llvm::sys::path::append(path, arch, file);
    if (!llvm::sys::fs::exists(path))
      return compileError("the " + llvm::Twine(arch) + " run-time support '" + path +
                          "' is missing (build target bitnet-runtime-" + arch + ")");
    inputs.push_back(std::string(path));
  }
  inputs.push_back(runtimeObject);
  if (llvm::Error e = linkObjects(triple, inputs, shared, partial))
    return e;
  if (llvm::Error e = commitWeights())
    return e;
  if (std::error_code ec = llvm::sys::fs::rename(partial.path, objectPath)) {
    if (o.externalWeights)
      llvm::sys::fs::remove(weightsPath);
    return compileError("cannot write '" + objectPath + "': " + ec.message());
  }
  partial.path.clear();
  std::string headerPath = headerPathFor(objectPath);
  if (llvm::Error e = writeFile(headerPath, header()))
    return e;
  log << "bitnet-compile: link: " << llvm::format("%.2f", secondsSince(phase)) << " s"
      << peakMemory() << "\n";
  if (fatVariant)
    // Its object is an intermediate in a temporary directory.
    log << "bitnet-compile: variant " << target->name << " compiled in "
        << llvm::format("%.2f", secondsSince(start)) << " s\n";
  else
    log << "bitnet-compile: wrote " << objectPath << " and " << headerPath
        << (o.externalWeights ? " and " + weightsPath : std::string()) << " in "
        << llvm::format("%.2f", secondsSince(start)) << " s\n";
  return llvm::Error::success();
}

llvm::Error CompileSession::run() {
  if (llvm::Error e = checkOptions())
    return e;
  if (llvm::Error e = loadModel())
    return e;
  if (o.emit == EmitKind::BitNet)
    return writeModule();
  if (llvm::Error e = splitEntryPoints())
    return e;
  if (o.emit == EmitKind::Header)
    return writeText(header());
  if (llvm::Error e = runKernelPipeline())
    return e;
  if (o.emit == EmitKind::MLIR)
    return writeModule();
  if (llvm::Error e = emitGlue())
    return e;
  if (o.emit == EmitKind::LLVM || o.emit == EmitKind::Assembly)
    return commitWeights();
  if (llvm::Error e = generateKernels())
    return e;
  return link();
}

/// bitnet-compile --target=<fat target>: the model compiled once per
/// variant, each by a CompileSession with the variant's target and the
/// symbol prefix <name>_<suffix> into a temporary directory, then one
/// object of them all with the fat descriptor <name>_model that picks a
/// variant at create time, and the header.
class FatCompile {
public:
  FatCompile(const CompileOptions &o, const ::bitnet::target::FatTarget &fat,
             llvm::raw_ostream &log)
      : o(o), fat(fat), log(log) {}

  llvm::Error run() {
    if (o.emit != EmitKind::Object && o.emit != EmitKind::Shared)
      return compileError(llvm::Twine("--target=") + fat.name +
                          " writes an object or a shared library (--emit=obj or shared); "
                          "inspect one of its targets instead");
    if (o.externalWeights)
      return compileError(llvm::Twine("--weights=file is not supported for --target=") +
                          fat.name + " yet: compile one object per target");
    if (!isIdentifier(o.name))
      return compileError("--name '" + o.name + "' is not a C identifier");
    if (o.output == "-")
      return compileError(llvm::Twine("--target=") + fat.name + " needs -o a file");
    llvm::SmallString<128> dir;
    if (std::error_code ec = llvm::sys::fs::createUniqueDirectory("bitnet-fat", dir))
      return compileError("cannot create a temporary directory: " + ec.message());
    workDir = std::string(dir);
    std::vector<FatVariant> variants;
    std::vector<std::string> objects;
    std::vector<EntryPoint> entries;
    WeightFigures figures;
    ModelKinds kinds;
    std::vector<uint8_t> tokenizer;
    std::string chatTemplate;
    std::vector<CompileSession::SharedWeightData> written;
    for (const auto &v : fat.variants) {
      CompileOptions vo = o;
      vo.target = v.target;
      vo.name = o.name + "_" + v.suffix;
      vo.emit = EmitKind::Object;
      vo.output = workDir + "/" + v.suffix + ".o";
      // One set of entry points for all variants (the header describes
      // them once): the first variant's, whose prompt block may come from
      // the tuning table.
      if (vo.tokenCounts.empty() && ::bitnet::import::findCheckpointFormat(o.input))
        for (const EntryPoint &e : entries)
          vo.tokenCounts.push_back(e.tokens);
      log << "bitnet-compile: variant " << v.target << " (" << vo.name << ")\n";
      CompileSession session(vo, log);
      session.shareableWeightData = written;
      session.fatVariant = true;
      session.describeTokenizer = entries.empty();
      if (llvm::Error e = session.run())
        return e;
      if (!session.sharedWeights && session.weightData)
        written.push_back({session.weightPlanText, session.weightData->symbol});
      if (entries.empty()) {
        entries = session.entries;
        figures = session.figures;
        kinds = session.kinds;
        tokenizer = session.tokenizerBlob;
        chatTemplate = session.chatTemplate;
      }
      variants.push_back({vo.name + "_model", v.target, v.cpuFeatures});
      objects.push_back(vo.output);
    }
    // The descriptor, compiled for the architecture of the variants.
    const auto *first = ::bitnet::target::lookupTarget(fat.variants.front().target);
    llvm::Triple triple(first->triple);
    llvm::Expected<std::unique_ptr<llvm::TargetMachine>> machine = glueTargetMachine(triple);
    if (!machine)
      return machine.takeError();
    llvm::LLVMContext context;
    llvm::Module module(o.name, context);
    module.setTargetTriple(triple);
    module.setDataLayout((*machine)->createDataLayout());
    addFatDescriptor(module, o.name, entries.front(), figures, kinds, variants, tokenizer,
                     chatTemplate);
    llvm::SmallVector<char> bytes;
    llvm::raw_svector_ostream os(bytes);
    llvm::legacy::PassManager codegen;
    if ((*machine)->addPassesToEmitFile(codegen, os, nullptr, llvm::CodeGenFileType::ObjectFile))
      return compileError("the target cannot emit objects");
    codegen.run(module);
    std::string descriptorPath = workDir + "/descriptor.o";
    if (llvm::Error e = writeFile(descriptorPath, {bytes.data(), bytes.size()}))
      return e;
    // The last variant runs wherever any does: linked first, its copies of
    // the weak run-time support (Halide runtime, model API) are the ones kept.
    // On ARM the dot-product check goes before them all: Halide's own
    // default, which it replaces, assumes every feature on Linux.
    std::vector<std::string> inputs;
    if (triple.isAArch64()) {
      llvm::SmallString<256> check(o.runtimeDir);
      llvm::sys::path::append(check, "aarch64", "cpu_features.o");
      inputs.push_back(std::string(check));
    }
    inputs.insert(inputs.end(), objects.rbegin(), objects.rend());
    inputs.push_back(descriptorPath);
    return link(triple, inputs, entries, variants.size(), !tokenizer.empty());
  }

  ~FatCompile() {
    if (!workDir.empty())
      llvm::sys::fs::remove_directories(workDir);
  }

private:
  llvm::Error link(const llvm::Triple &triple, const std::vector<std::string> &inputs,
                   const std::vector<EntryPoint> &entries, size_t variantCount,
                   bool hasTokenizer) {
    const bool shared = o.emit == EmitKind::Shared;
    std::string objectPath = o.output.empty() ? o.name + emitSuffix(o.emit) : o.output;
    PendingFile partial{objectPath + ".tmp"};
    if (llvm::Error e = linkObjects(triple, inputs, shared, partial))
      return e;
    if (std::error_code ec = llvm::sys::fs::rename(partial.path, objectPath))
      return compileError("cannot write '" + objectPath + "': " + ec.message());
    partial.path.clear();
    std::string headerPath = headerPathFor(objectPath);
    if (llvm::Error e = writeFile(headerPath, headerText(o.name, fat.name, entries, "",
                                                         /*externalWeights=*/false,
                                                         hasTokenizer, /*fat=*/true)))
      return e;
    uint64_t size = 0;
    llvm::sys::fs::file_size(objectPath, size);
    log << "bitnet-compile: wrote " << objectPath << " (" << variantCount << " variants, "
        << llvm::format("%.1f", size / 1048576.0) << " MiB) and " << headerPath << "\n";
    return llvm::Error::success();
  }

  const CompileOptions &o;
  const ::bitnet::target::FatTarget &fat;
  llvm::raw_ostream &log;
  std::string workDir;
};

} // namespace

namespace {

/// The files a compile writes, by role: the output (or "-"), its header, a
/// --weights=file file, the weight data of --emit=llvm / asm.
std::vector<std::pair<const char *, std::string>> plannedOutputs(const CompileOptions &o) {
  const std::string output = o.output.empty() ? o.name + emitSuffix(o.emit) : o.output;
  std::vector<std::pair<const char *, std::string>> files = {{"the output", output}};
  if (output == "-")
    return files;
  auto beside = [&](const char *extension) {
    llvm::SmallString<256> path(output);
    llvm::sys::path::replace_extension(path, extension);
    return std::string(path);
  };
  if (o.emit == EmitKind::Object || o.emit == EmitKind::Shared) {
    files.push_back({"its header", headerPathFor(output)});
    if (o.externalWeights)
      files.push_back({"its weights file", beside("weights")});
  }
  if (o.emit == EmitKind::LLVM || o.emit == EmitKind::Assembly) {
    files.push_back({"its weight-data object", beside("weight-data.o")});
    if (o.externalWeights)
      files.push_back({"its weights file", beside("weights")});
  }
  return files;
}

/// Refuses, before any work, outputs that cannot be written or would
/// destroy something: an object to standard output, a file that is the
/// input, two outputs at one path (-o w.h: the object and its header), a
/// directory that does not exist, an output path that is a directory.
llvm::Error checkOutputPaths(const CompileOptions &o) {
  auto files = plannedOutputs(o);
  if (files.front().second == "-") {
    if (o.emit == EmitKind::Object || o.emit == EmitKind::Shared)
      return compileError("-o -: an object or shared library does not go to standard "
                          "output; give -o a file");
    return llvm::Error::success();
  }
  auto absolute = [](const std::string &path) {
    llvm::SmallString<256> full(path);
    llvm::sys::fs::make_absolute(full);
    llvm::sys::path::remove_dots(full, /*remove_dot_dot=*/true);
    return std::string(full);
  };
  const bool inputIsFile = o.input != "-";
  for (size_t i = 0; i < files.size(); ++i) {
    const auto &[role, path] = files[i];
    bool same = false;
    if (inputIsFile && (llvm::sys::fs::equivalent(o.input, path, same) || !same))
      same = absolute(o.input) == absolute(path);
    if (same)
      return compileError(llvm::Twine(role) + " '" + path + "' is the input " + o.input +
                          ": give -o another path");
    for (size_t j = 0; j < i; ++j)
      if (absolute(files[j].second) == absolute(path))
        return compileError(llvm::Twine(files[j].first) + " and " + role + " would both be '" +
                            path + "': give -o a path whose extension is not ." +
                            llvm::sys::path::extension(path).drop_front());
    llvm::StringRef parent = llvm::sys::path::parent_path(path);
    if (!parent.empty() && !llvm::sys::fs::is_directory(parent))
      return compileError("cannot write '" + path + "': '" + parent + "' is not a directory");
    // Found only after the output was written, it would leave that behind.
    if (llvm::sys::fs::is_directory(path))
      return compileError("cannot write " + llvm::Twine(role) + " '" + path +
                          "': it is a directory");
  }
  return llvm::Error::success();
}

} // namespace

int mlir::bitnet::compileModel(const CompileOptions &options, llvm::raw_ostream &log) {
  int status = 0;
  llvm::Error result = checkOutputPaths(options);
  if (!result) {
    if (const auto *fat = ::bitnet::target::lookupFatTarget(options.target)) {
      FatCompile compile(options, *fat, log);
      result = compile.run();
    } else {
      CompileSession session(options, log);
      result = session.run();
    }
  }
  llvm::handleAllErrors(std::move(result), [&](const llvm::ErrorInfoBase &error) {
    status = 1;
    if (!error.message().empty())
      log << "bitnet-compile: error: " << error.message() << "\n";
  });
  return status;
}
