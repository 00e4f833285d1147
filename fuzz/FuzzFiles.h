//===- FuzzFiles.h - Fuzz inputs as files in a private directory -*- C++ -*-===//
//
// The importers and loaders under test read paths, as the tools do: each
// harness writes its input into files of one private directory per process
// (under $TMPDIR, removed at exit) and hands over their paths.
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_FUZZ_FUZZFILES_H
#define BITNET_FUZZ_FUZZFILES_H

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <unistd.h>

namespace bitnet {
namespace fuzz {

class ScratchDirectory {
public:
  ScratchDirectory() {
    const char *base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/bitnet-fuzz-XXXXXX";
    if (!mkdtemp(pattern.data()))
      std::abort(); // nowhere to write inputs: no fuzzing possible
    dir_ = pattern;
  }
  ~ScratchDirectory() {
    for (const char *name : kNames)
      ::unlink((dir_ + "/" + name).c_str());
    ::rmdir(dir_.c_str());
  }
  const std::string &path() const { return dir_; }

  /// Writes `bytes` to `name` in the directory; returns its path.
  std::string write(const char *name, std::string_view bytes) const {
    std::string file = dir_ + "/" + name;
    FILE *f = std::fopen(file.c_str(), "wb");
    if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size())
      std::abort();
    std::fclose(f);
    return file;
  }
  void remove(const char *name) const { ::unlink((dir_ + "/" + name).c_str()); }

  /// Every name a harness may write (removed at exit).
  static constexpr const char *kNames[] = {"input.gguf", "config.json", "model.safetensors",
                                           "model.safetensors.index.json", "input.weights"};

private:
  std::string dir_;
};

/// Splits `data` at `marker`: the part before it and (if present) after.
inline std::pair<std::string_view, std::string_view> splitAt(std::string_view data,
                                                             std::string_view marker,
                                                             bool &found) {
  size_t at = data.find(marker);
  found = at != std::string_view::npos;
  if (!found)
    return {data, {}};
  return {data.substr(0, at), data.substr(at + marker.size())};
}

} // namespace fuzz
} // namespace bitnet

#endif // BITNET_FUZZ_FUZZFILES_H
