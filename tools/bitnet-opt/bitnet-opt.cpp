//===- bitnet-opt.cpp - Runs bitnet passes and pipelines ------------------===//

#include "bitnet/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::bitnet::registerAllDialects(registry);
  mlir::bitnet::registerAllPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "bitnet-opt: runs bitnet passes and pipelines\n", registry));
}
