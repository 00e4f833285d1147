//===- WeightsFileFuzzer.cpp - libFuzzer harness for the weights loader ---===//
//
// The input is a weights file (bitnet-compile --weights=file) for a small
// model described here: three slots of odd sizes and the fingerprint of
// their expected bytes. bitnet_rt2_load_weights must refuse the file with a
// status or load exactly the expected bytes, never crash or read out of
// bounds. With BITNET_FUZZ_WRITE_SEED=<path> set, the harness writes the
// model's valid file there and exits (the seed of fuzz/corpus/weights-file).
//
//===----------------------------------------------------------------------===//

#include "FuzzFiles.h"

#include "bitnet/Runtime/ModelAPI.h"
#include "bitnet/Runtime/WeightsChecksum.h"

#include <cstring>
#include <vector>

// The Halide runtime entry points the model API calls; loading weights runs
// none of them.
extern "C" {
typedef int (*halide_task_t)(void *, int, uint8_t *);
typedef int (*halide_do_par_for_t)(void *, halide_task_t, int, int, uint8_t *);
halide_do_par_for_t halide_set_custom_do_par_for(halide_do_par_for_t) { return nullptr; }
typedef void (*halide_error_handler_t)(void *, const char *);
halide_error_handler_t halide_set_error_handler(halide_error_handler_t) { return nullptr; }
int halide_default_do_par_for(void *, halide_task_t, int, int, uint8_t *) { return -1; }
int halide_do_task(void *, halide_task_t, int, uint8_t *) { return -1; }
int halide_reuse_device_allocations(void *, bool) { return 0; }
struct halide_buffer_t;
struct halide_device_interface_t;
int halide_copy_to_host(void *, halide_buffer_t *) { return -1; }
int halide_copy_to_device(void *, halide_buffer_t *, const halide_device_interface_t *) {
  return -1;
}
int halide_device_crop(void *, const halide_buffer_t *, halide_buffer_t *) { return -1; }
int halide_device_release_crop(void *, halide_buffer_t *) { return -1; }
int halide_device_free(void *, halide_buffer_t *) { return -1; }
}

namespace {

constexpr int64_t kSlotBytes[] = {1000, 3000, 72};

struct FakeModel {
  std::vector<std::vector<uint8_t>> storage, expected;
  std::vector<bitnet_weight_slot> slots;
  uint64_t info[3] = {};
  int32_t loaded = 0;
  bitnet_model model{};

  FakeModel() {
    bitnet_checksum checksum;
    bitnet_checksum_init(&checksum);
    int64_t offset = 64;
    for (size_t i = 0; i < std::size(kSlotBytes); ++i) {
      std::vector<uint8_t> bytes(static_cast<size_t>(kSlotBytes[i]));
      for (size_t j = 0; j < bytes.size(); ++j)
        bytes[j] = static_cast<uint8_t>(i * 37 + j * 13);
      bitnet_checksum_add_u64(&checksum, static_cast<uint64_t>(kSlotBytes[i]));
      bitnet_checksum_add(&checksum, bytes.data(), bytes.size());
      expected.push_back(bytes);
      storage.emplace_back(bytes.size());
      slots.push_back({nullptr, offset, kSlotBytes[i]});
      offset = (offset + kSlotBytes[i] + 63) / 64 * 64;
    }
    for (size_t i = 0; i < slots.size(); ++i)
      slots[i].data = storage[i].data();
    info[0] = bitnet_checksum_final(&checksum);
    info[1] = slots.size();
    info[2] = static_cast<uint64_t>(offset);
    model.abi_version = BITNET_MODEL_ABI;
    model.weight_slots = slots.data();
    model.weights_info = info;
    model.weights_loaded = &loaded;
  }

  /// The file bitnet-compile writes for this model (layout of
  /// include/bitnet/Compile/WeightData.h).
  std::string validFile() const {
    std::string file(static_cast<size_t>(info[2]), '\0');
    std::memcpy(&file[0], "BITNETW\1", 8);
    for (int i = 0; i < 3; ++i)
      for (int b = 0; b < 8; ++b)
        file[8 + 8 * i + b] = static_cast<char>(info[i] >> (8 * b));
    for (size_t i = 0; i < slots.size(); ++i)
      std::memcpy(&file[static_cast<size_t>(slots[i].offset)], expected[i].data(),
                  expected[i].size());
    return file;
  }
};

FakeModel &fakeModel() {
  static FakeModel model;
  return model;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  if (const char *seed = std::getenv("BITNET_FUZZ_WRITE_SEED")) {
    std::string file = fakeModel().validFile();
    FILE *f = std::fopen(seed, "wb");
    bool ok = f && std::fwrite(file.data(), 1, file.size(), f) == file.size();
    if (f)
      std::fclose(f);
    std::exit(ok ? 0 : 1);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const bitnet::fuzz::ScratchDirectory scratch;
  FakeModel &m = fakeModel();
  std::string path = scratch.write(
      "input.weights", std::string_view(reinterpret_cast<const char *>(data), size));
  m.loaded = 0;
  int32_t status = bitnet_rt2_load_weights(&m.model, path.c_str());
  // Loaded means exactly the expected bytes (the checksum's promise).
  if (status == 0 && (m.loaded != 1 || m.storage != m.expected))
    std::abort();
  if (status != 0 && m.loaded != 0)
    std::abort();
  return 0;
}
