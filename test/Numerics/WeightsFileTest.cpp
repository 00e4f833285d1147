//===- WeightsFileTest.cpp - A compiled model with --weights=file ---------===//
//
// kernels_b158 compiled twice by bitnet-compile (x86-64-avx2): weights
// embedded (kernels_b158.o) and in a file (file_b158.o + file_b158.weights).
// Loading the file gives exactly the logits of the embedded object; every
// bad file is refused with its status and leaves the model unloaded.
// argv[1]: the weights file; argv[2]: a scratch directory.
//
//===----------------------------------------------------------------------===//

#include "../Common/Checks.h"
#include "file_b158.h"
#include "kernels_b158.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <sys/stat.h>

namespace {
bitnet::test::Checks checks;

void expect(bool ok, const std::string &what) { checks.expect(ok, what); }

std::vector<char> readAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

std::string writeScratch(const std::string &dir, const char *name,
                         const std::vector<char> &bytes) {
  std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary).write(bytes.data(), bytes.size());
  return path;
}

template <typename State, typename Create, typename Forward, typename Destroy>
std::vector<float> run(Create create, Forward forward, Destroy destroy,
                       int vocab) {
  const int32_t tokens[] = {1, 2, 3, 4, 5, 6, 7, 8};
  State *s = create(0, 0);
  std::vector<float> logits(8 * vocab);
  if (!s || forward(s, tokens, 3, 0, BITNET_LOGITS_ALL, logits.data()) != 0)
    return {};
  for (int i = 3; i < 8; ++i)
    if (forward(s, &tokens[i], 1, i, BITNET_LOGITS_LAST, &logits[i * vocab]) != 0)
      return {};
  destroy(s);
  return logits;
}
} // namespace

int main(int argc, char **argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <file_b158.weights> <scratch dir>\n", argv[0]);
    return 2;
  }
  const std::string weights = argv[1], dir = argv[2];
  std::vector<char> good = readAll(weights);
  expect(good.size() == file_b158_model.weights_info[2], "the file has the recorded size");
  expect(file_b158_model.weights_info[1] > 0, "some tensors are in the file");

  expect(file_b158_create(0, 0) == nullptr, "no state before the weights are loaded");
  expect(file_b158_load_weights((dir + "/missing.weights").c_str()) == -2,
         "a missing file: -2");
  std::vector<char> notWeights(good.begin(), good.end());
  notWeights[0] = 'X';
  expect(file_b158_load_weights(writeScratch(dir, "magic.weights", notWeights).c_str()) == -3,
         "a file without the magic: -3");
  std::vector<char> other(good.begin(), good.end());
  other[8] ^= 1; // fingerprint
  expect(file_b158_load_weights(writeScratch(dir, "other.weights", other).c_str()) == -4,
         "another model's weights: -4");
  std::vector<char> truncated(good.begin(), good.end() - 100);
  expect(file_b158_load_weights(writeScratch(dir, "short.weights", truncated).c_str()) == -5,
         "a truncated file: -5");
  // Regression (weights-file-data-unchecked): only the header was checked,
  // so corrupted, zeroed, substituted or extended data loaded silently.
  const uint64_t dataStart = 64;
  for (uint64_t at : {dataStart, dataStart + (good.size() - dataStart) / 2,
                      uint64_t(good.size() - 1)}) {
    std::vector<char> flipped(good.begin(), good.end());
    flipped[at] ^= 0x10;
    expect(file_b158_load_weights(writeScratch(dir, "flipped.weights", flipped).c_str()) == -6,
           "one flipped data bit (byte " + std::to_string(at) + "): -6");
  }
  std::vector<char> zeroed(good.begin(), good.end());
  std::fill(zeroed.begin() + dataStart, zeroed.end(), 0);
  expect(file_b158_load_weights(writeScratch(dir, "zeroed.weights", zeroed).c_str()) == -6,
         "all-zero data under the right header: -6");
  std::vector<char> swapped(good.begin(), good.end());
  std::reverse(swapped.begin() + dataStart, swapped.end());
  expect(file_b158_load_weights(writeScratch(dir, "swapped.weights", swapped).c_str()) == -6,
         "other data of the same size under the right header: -6");
  std::vector<char> appended(good.begin(), good.end());
  appended.insert(appended.end(), 64, 'x');
  expect(file_b158_load_weights(writeScratch(dir, "appended.weights", appended).c_str()) == -6,
         "bytes appended to the right file: -6");
  std::vector<char> empty;
  expect(file_b158_load_weights(writeScratch(dir, "empty.weights", empty).c_str()) == -3,
         "an empty file: -3");
  expect(*file_b158_model.weights_loaded == 0 && file_b158_create(0, 0) == nullptr,
         "refused files leave the model unloaded");

  expect(file_b158_load_weights(weights.c_str()) == 0, "the right file loads");
  std::vector<float> fromFile =
      run<file_b158_state>(file_b158_create, file_b158_forward, file_b158_destroy,
                           FILE_B158_VOCAB);
  std::vector<float> embedded =
      run<kernels_b158_state>(kernels_b158_create, kernels_b158_forward,
                              kernels_b158_destroy, KERNELS_B158_VOCAB);
  expect(!fromFile.empty() && fromFile == embedded,
         "logits from the weights file equal those of the embedded weights");

  // Regression: a reload that failed its checksum after overwriting the
  // slots left the model marked loaded over bytes nobody checked.
  std::vector<char> flipped(good.begin(), good.end());
  flipped[good.size() / 2] ^= 0x10;
  expect(file_b158_load_weights(writeScratch(dir, "reload.weights", flipped).c_str()) == -6,
         "a corrupted reload: -6");
  expect(*file_b158_model.weights_loaded == 0 && file_b158_create(0, 0) == nullptr,
         "a failed reload leaves the model unloaded");
  expect(file_b158_load_weights(weights.c_str()) == 0, "the right file loads again");
  expect(run<file_b158_state>(file_b158_create, file_b158_forward, file_b158_destroy,
                              FILE_B158_VOCAB) == embedded,
         "and gives the embedded weights' logits again");
  // Not a regular file: refused at once instead of waiting for a writer.
  const std::string fifo = dir + "/fifo.weights";
  std::remove(fifo.c_str());
  expect(mkfifo(fifo.c_str(), 0600) == 0 && file_b158_load_weights(fifo.c_str()) == -2,
         "a FIFO: -2, without blocking");
  expect(file_b158_load_weights(dir.c_str()) == -2, "a directory: -2");
  // A NULL path is a file that cannot be opened (it said "embedded").
  expect(file_b158_load_weights(nullptr) == -2, "a NULL path: -2");
  return checks.finish();
}
