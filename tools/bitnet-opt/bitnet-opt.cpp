//===- bitnet-opt.cpp - Runs bitnet passes and pipelines ------------------===//
//
// mlir-opt's driver, with the input read by the project's bounded reader and
// its nesting checked before MLIR's parser (which has no depth bound) sees it.
//
//===----------------------------------------------------------------------===//

#include "bitnet/InitAll.h"
#include "bitnet/Support/LLVMInput.h"
#include "bitnet/Support/ToolVersion.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

static int fail(const llvm::Twine &message) {
  llvm::errs() << "bitnet-opt: error: " << message << "\n";
  return 1;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  mlir::DialectRegistry registry;
  mlir::bitnet::registerAllDialects(registry);
  mlir::bitnet::registerAllPasses();
  bitnet::setToolVersionPrinter("bitnet-opt");
  auto [inputFilename, outputFilename] = mlir::registerAndParseCLIOptions(
      argc, argv, "bitnet-opt: runs bitnet passes and pipelines\n", registry);
  mlir::MlirOptMainConfig config = mlir::MlirOptMainConfig::createFromCLOptions();
  if (config.shouldShowDialects() || config.shouldListPasses())
    return mlir::asMainReturnCode(mlir::MlirOptMain(argc, argv, inputFilename,
                                                    outputFilename, registry));
  llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> input =
      bitnet::openInputBufferOrStdin(inputFilename, bitnet::kMaxStdinModelBytes);
  if (!input)
    return fail(llvm::toString(input.takeError()));
  llvm::StringRef text = (*input)->getBuffer();
  std::string why = bitnet::checkMlirNesting(std::string_view(text.data(), text.size()));
  if (!why.empty())
    return fail(inputFilename + ": " + why);
  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> output = mlir::openOutputFile(outputFilename, &error);
  if (!output)
    return fail(error);
  if (mlir::failed(mlir::MlirOptMain(output->os(), std::move(*input), registry, config)))
    return 1;
  output->keep();
  return 0;
}
