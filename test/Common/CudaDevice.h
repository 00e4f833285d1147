//===- CudaDevice.h - Whether a CUDA device can run tests -------*- C++ -*-===//
#ifndef BITNET_TEST_COMMON_CUDADEVICE_H
#define BITNET_TEST_COMMON_CUDADEVICE_H

#include <cstdio>
#include <dlfcn.h>
#include <string>

namespace bitnet {
namespace test {

/// Empty when the CUDA driver reports a usable device, else why not. Tests
/// that need one exit 77 (ctest's "skipped") with this reason.
inline std::string cudaUnavailable() {
  void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib)
    return "no CUDA driver (libcuda.so.1 not found)";
  using InitFn = int (*)(unsigned);
  using CountFn = int (*)(int *);
  auto init = reinterpret_cast<InitFn>(dlsym(lib, "cuInit"));
  auto count = reinterpret_cast<CountFn>(dlsym(lib, "cuDeviceGetCount"));
  int devices = 0;
  if (!init || !count || init(0) != 0 || count(&devices) != 0 || devices == 0)
    return "the CUDA driver reports no usable device";
  return "";
}

/// Prints "SKIP: <why>" and returns true when no CUDA device can run the
/// caller (which then exits 77), else false.
inline bool skipWithoutCuda() {
  std::string why = cudaUnavailable();
  if (why.empty())
    return false;
  std::printf("SKIP: %s\n", why.c_str());
  return true;
}

} // namespace test
} // namespace bitnet

#endif // BITNET_TEST_COMMON_CUDADEVICE_H
