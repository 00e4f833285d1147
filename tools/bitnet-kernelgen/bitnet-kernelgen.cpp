//===- bitnet-kernelgen.cpp - Writes one shape-specialised kernel ---------===//
//
// Linked only to Halide (never to MLIR: Halide 14 carries its own LLVM).
// Outputs are written to a temporary directory beside the destination and
// renamed into place only when every file is complete.
//
//===----------------------------------------------------------------------===//

#include "bitnet/Kernels/KernelGen.h"
#include "bitnet/Kernels/KernelSpec.h"
#include "bitnet/Support/Input.h"

#include <cstdio>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <filesystem>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using namespace bitnet::kernels;

namespace {

const char *kUsage = R"(usage:
  bitnet-kernelgen [--spec=FILE.json] [key=value ...] -o DIR
      writes DIR/<name>.o and DIR/<name>.h for one kernel (arm64-dotprod:
      DIR/<name>.a, the dotprod and NEON variants with a run-time dispatch)
  bitnet-kernelgen --runtime target=TARGET -o DIR
      writes DIR/halide_runtime_<target>.o (one per final link)
  bitnet-kernelgen --print-spec [--spec=FILE.json] [key=value ...]
      prints the canonical spec and its hash, writes nothing
  bitnet-kernelgen --print-launches [--spec=FILE.json] [key=value ...]
      GPU targets: prints each kernel launch (grid and block dimensions, and
      any host loop that repeats it), writes nothing

spec keys (JSON files use the same keys; "tile" may be [rows, cols]):
  kind          bitlinear | rmsnorm_quant | add_rmsnorm_quant |
                glu_rmsnorm_quant | rmsnorm | rope | rope_qkv | attention |
                glu | add | copy | embedding | float_matmul | int8_matmul
  target        x86-64-avx2 | x86-64-avxvnni | x86-64-avx512 | arm64 | arm64-dotprod | cuda | opencl
  name          C symbol of the kernel
  m n k         tokens (m = 1: decode GEMV), outputs / features, inputs
  vocab         embedding rows
  heads kv_heads head_dim context theta     attention, rope and rope_qkv
  eps           the norms' epsilon (default 1e-5)
  activation    relu2 | silu (glu, glu_rmsnorm_quant)
  weight_kind   ternary | binary (bitlinear)
  format        offset2 | base3 | bits1 (bitlinear packed layout)
  weights       f16 | bf16 | f32 (float_matmul weights; default f16)
  tile          <rows>x<cols> of the packed layout, e.g. 4x128
  segments      bitlinear over stacked projections: rows per segment, e.g.
                2560,640,640; the kernel then takes a buffer of one weight
                scale per segment instead of the scalar gamma
  rows_per_task output rows per parallel task (0 = default)
Output is deterministic: the same spec gives the same bytes.
)";

bool isDirectory(const std::string &path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

/// A scratch directory inside `dir`, removed with its files unless committed.
class StagingDir {
public:
  explicit StagingDir(const std::string &dir) : dir_(dir) {
    std::string pattern = dir + "/.kernelgen-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()))
      path_ = buf.data();
  }
  ~StagingDir() {
    if (path_.empty())
      return;
    // Whatever a failed generation left behind goes too.
    if (DIR *d = opendir(path_.c_str())) {
      while (struct dirent *e = readdir(d))
        if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
          std::remove((path_ + "/" + e->d_name).c_str());
      closedir(d);
    }
    rmdir(path_.c_str());
  }
  bool ok() const { return !path_.empty(); }
  std::string file(const std::string &name) {
    files_.push_back(name);
    return path_ + "/" + name;
  }
  /// Renames every staged file into the destination directory; "" or why
  /// not.
  std::string commit() {
    for (const std::string &f : files_) {
      std::string from = path_ + "/" + f, to = dir_ + "/" + f;
      if (std::rename(from.c_str(), to.c_str()) != 0)
        return "cannot move " + f + " into " + dir_ + ": " + std::strerror(errno);
    }
    files_.clear();
    return "";
  }

private:
  std::string dir_, path_;
  std::vector<std::string> files_;
};

int fail(const std::string &message) {
  std::fprintf(stderr, "bitnet-kernelgen: error: %s\n", message.c_str());
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  KernelSpec spec;
  std::string outDir, specFile;
  bool runtime = false, printSpec = false, printLaunches = false;
  std::vector<std::string> pairs;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "-o") {
      if (i + 1 >= argc)
        return fail("-o needs a directory");
      outDir = argv[++i];
    } else if (arg.rfind("--spec=", 0) == 0) {
      specFile = arg.substr(7);
    } else if (arg == "--runtime") {
      runtime = true;
    } else if (arg == "--print-spec") {
      printSpec = true;
    } else if (arg == "--print-launches") {
      printLaunches = true;
    } else if (arg.find('=') != std::string::npos && arg[0] != '-') {
      pairs.push_back(arg);
    } else {
      return fail("unknown argument '" + arg + "' (see --help)");
    }
  }
  if (!specFile.empty()) {
    std::string text;
    std::string why = bitnet::readRegularFile(specFile, bitnet::kMaxTextInputBytes, text);
    if (!why.empty())
      return fail(why);
    why = parseSpecJSON(spec, text);
    if (!why.empty())
      return fail(specFile + ": " + why);
  }
  for (const std::string &p : pairs) {
    size_t eq = p.find('=');
    std::string why = setSpecField(spec, p.substr(0, eq), p.substr(eq + 1));
    if (!why.empty())
      return fail(why);
  }
  if (printSpec) {
    std::string why = spec.validate();
    if (!why.empty())
      return fail("invalid spec: " + why);
    std::printf("%shash=%s\n", spec.canonical().c_str(), spec.hash().c_str());
    return 0;
  }
  if (printLaunches) {
    std::string text;
    std::string why = describeLaunches(spec, text);
    if (!why.empty())
      return fail(why);
    std::fputs(text.c_str(), stdout);
    return 0;
  }
  if (outDir.empty())
    return fail("no output directory (-o DIR)");
  if (!runtime) {
    std::string why = spec.validate();
    if (!why.empty())
      return fail("invalid spec: " + why);
  }
  bool madeOutDir = false;
  if (!isDirectory(outDir)) {
    std::error_code ec;
    if (std::filesystem::exists(outDir, ec))
      return fail("-o '" + outDir + "' is not a directory");
    if (!std::filesystem::create_directories(outDir, ec) || ec)
      return fail("cannot create the output directory '" + outDir + "': " +
                  (ec ? ec.message() : std::string("unknown error")));
    madeOutDir = true;
  }
  // A failure leaves no directory this run made (remove() takes only an
  // empty one).
  auto failed = [&](const std::string &why) {
    std::error_code ec;
    if (madeOutDir)
      std::filesystem::remove(outDir, ec);
    return fail(why);
  };

  std::string error;
  {
    StagingDir staging(outDir);
    if (!staging.ok())
      return failed("cannot create a temporary directory in '" + outDir +
                    "': " + std::strerror(errno));
    if (runtime) {
      std::string object = std::string("halide_runtime_") +
                           kernelTargetName(spec.target) + ".o";
      error = generateRuntime(spec.target, staging.file(object));
    } else {
      error = generateKernel(
          spec, staging.file(spec.name + kernelObjectSuffixFor(spec.target)),
          staging.file(spec.name + ".h"));
    }
    if (error.empty())
      error = staging.commit();
  } // the staging directory is gone here
  if (!error.empty())
    return failed(error);
  return 0;
}
