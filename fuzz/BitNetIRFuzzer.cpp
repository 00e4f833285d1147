//===- BitNetIRFuzzer.cpp - libFuzzer harness for bitnet IR ---------------===//
//
// The input is MLIR text using the bitnet dialect (with func, arith and
// tensor). Parsing and verifying must answer with diagnostics or accept,
// never crash, assert or hang; verified IR is also folded (the canonicalizer
// runs the dialect's folders, which must not trust unverified assumptions).
//
//===----------------------------------------------------------------------===//

#include "bitnet/Dialect/BitNet/BitNet.h"
#include "bitnet/Support/Input.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const mlir::DialectRegistry registry = [] {
    mlir::DialectRegistry r;
    r.insert<mlir::bitnet::BitNetDialect, mlir::arith::ArithDialect, mlir::func::FuncDialect,
             mlir::tensor::TensorDialect>();
    return r;
  }();
  // A fresh context per input: nothing one input interns leaks into the next.
  mlir::MLIRContext context(registry, mlir::MLIRContext::Threading::DISABLED);
  context.loadAllAvailableDialects();
  mlir::ScopedDiagnosticHandler quiet(&context, [](mlir::Diagnostic &) { return mlir::success(); });
  // The tools refuse what would overflow the parser's stack before parsing.
  if (!bitnet::checkMlirNesting(std::string_view(reinterpret_cast<const char *>(data), size))
           .empty())
    return 0;
  // The MLIR lexer reads one byte past the text: a NUL must be there, as in
  // the buffers bitnet-compile and bitnet-opt parse.
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          llvm::StringRef(reinterpret_cast<const char *>(data), size), "input"),
      llvm::SMLoc());
  mlir::ParserConfig config(&context, /*verifyAfterParse=*/true);
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::parseSourceFile<mlir::ModuleOp>(sourceMgr, config);
  if (!module)
    return 0;
  // Folding verified IR must keep it valid.
  mlir::RewritePatternSet patterns(&context);
  for (mlir::RegisteredOperationName op : context.getRegisteredOperations())
    op.getCanonicalizationPatterns(patterns, &context);
  (void)mlir::applyPatternsGreedily(module->getOperation(), std::move(patterns));
  if (mlir::failed(mlir::verify(*module)))
    std::abort();
  return 0;
}
