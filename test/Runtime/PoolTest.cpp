//===- PoolTest.cpp - The model API's parallel loops ----------------------===//
//
// lib/Runtime/ModelAPI.c linked against a stand-in for the Halide runtime's
// parallel-loop entry points, and a model whose one entry runs loops through
// the installed parallel-for the way generated kernels do. For 1, 2, 3 and 8
// threads (more than this machine's cores): every task of every loop runs
// exactly once, on no more threads than the state has, and all of them take
// part; a loop inside a task
// runs serially on that task's thread; a failing task's status comes back
// from forward and stops the loop; two states run at once from two threads.
// Also the device copies of a GPU model's buffers (bitnet_rt2_device_*),
// against a stand-in device that counts what crosses: a model whose entry
// points call them as convert-bitnet-to-llvm's glue does. The KV caches go
// over once (and again after a reset), the hidden rows never leave the
// device, each step moves its token id in and its logits out.
// Built a second time with ThreadSanitizer (runtime.pool.tsan).
//
//===----------------------------------------------------------------------===//

#include "../Common/Checks.h"

#include "bitnet/Runtime/ModelAPI.h"

#include "HalideRuntime.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

// The Halide runtime entry points ModelAPI.c uses, as the runtime defines
// them: a replaceable parallel-for, a task hook and the device allocation
// cache's switch (recorded: ModelAPI turns it on with the parallel-for).
extern "C" {
static halide_do_par_for_t installedParFor;
static std::atomic<int> defaultLoops{0};

int halide_do_task(void *user_context, halide_task_t task, int index, uint8_t *closure) {
  return task(user_context, index, closure);
}
int halide_default_do_par_for(void *user_context, halide_task_t task, int min, int size,
                              uint8_t *closure) {
  ++defaultLoops;
  for (int i = min; i < min + size; ++i)
    if (int status = halide_do_task(user_context, task, i, closure))
      return status;
  return 0;
}
static std::atomic<int> reuseDeviceAllocations{0};
int halide_reuse_device_allocations(void *, bool flag) {
  reuseDeviceAllocations = flag ? 1 : 0;
  return 0;
}
halide_do_par_for_t halide_set_custom_do_par_for(halide_do_par_for_t f) {
  halide_do_par_for_t old = installedParFor;
  installedParFor = f;
  return old;
}
halide_error_handler_t halide_set_error_handler(halide_error_handler_t) { return nullptr; }
// A stand-in device: allocations are numbers, copies are counted (bytes of
// the whole buffer), crops point into their allocation.
static std::atomic<int64_t> deviceAllocations{0}, uploadedBytes{0}, downloadedBytes{0};
static int64_t bufferBytes(const halide_buffer_t *b) {
  return int64_t(b->dim[0].extent) * (b->type.bits / 8);
}
int halide_copy_to_device(void *, halide_buffer_t *b, const halide_device_interface_t *) {
  if (!b->device)
    b->device = uint64_t(++deviceAllocations) << 32;
  if (b->flags & halide_buffer_flag_host_dirty)
    uploadedBytes += bufferBytes(b);
  b->flags &= ~uint64_t(halide_buffer_flag_host_dirty);
  return 0;
}
int halide_copy_to_host(void *, halide_buffer_t *b) {
  if (b->flags & halide_buffer_flag_device_dirty)
    downloadedBytes += bufferBytes(b);
  b->flags &= ~uint64_t(halide_buffer_flag_device_dirty);
  return 0;
}
int halide_device_crop(void *, const halide_buffer_t *src, halide_buffer_t *dst) {
  dst->device = src->device + uint64_t(dst->dim[0].min - src->dim[0].min);
  return 0;
}
int halide_device_release_crop(void *, halide_buffer_t *b) {
  b->device = 0;
  return 0;
}
int halide_device_free(void *, halide_buffer_t *b) {
  b->device = 0;
  return 0;
}

// What convert-bitnet-to-llvm's glue calls (lib/Runtime/ModelAPI.c).
halide_buffer_t *bitnet_rt2_device_root(halide_buffer_t *local, halide_dimension_t *dim,
                                        void *host, int64_t bytes, int32_t origin);
int bitnet_rt2_device_view(halide_buffer_t *root, halide_buffer_t *view,
                           const halide_device_interface_t *api);
int bitnet_rt2_device_view_done(halide_buffer_t *root, halide_buffer_t *view);
int bitnet_rt2_device_leave(halide_buffer_t *root);
}

namespace {
bitnet::test::Checks checks;
std::mutex checksLock; // two states are checked from two threads at once

void expect(bool ok, const std::string &what) {
  std::lock_guard<std::mutex> guard(checksLock);
  checks.expect(ok, what);
}

/// One loop: how often each task ran, and on which threads.
struct Loop {
  explicit Loop(int size) : hits(size) {}
  std::vector<std::atomic<int>> hits;
  std::mutex lock;
  std::set<std::thread::id> threads;
  int failAt = -1;    // this task returns 7
  bool nested = false; // each task runs a loop of 5 tasks inside
  bool rendezvous = false; // each task waits (60 s at most) until all started
  std::atomic<int> started{0};
  std::atomic<int> nestedElsewhere{0};
};

int nestedTask(void *, int, uint8_t *closure) {
  auto *owner = reinterpret_cast<std::thread::id *>(closure);
  return *owner == std::this_thread::get_id() ? 0 : 1;
}

int loopTask(void *user_context, int index, uint8_t *closure) {
  Loop &loop = *reinterpret_cast<Loop *>(closure);
  loop.hits[index - 100]++;
  {
    std::lock_guard<std::mutex> guard(loop.lock);
    loop.threads.insert(std::this_thread::get_id());
  }
  if (loop.nested) {
    std::thread::id self = std::this_thread::get_id();
    if (installedParFor(user_context, nestedTask, 0, 5, reinterpret_cast<uint8_t *>(&self)))
      loop.nestedElsewhere++;
  }
  if (loop.rendezvous) {
    loop.started++;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (loop.started.load() < (int)loop.hits.size())
      if (std::chrono::steady_clock::now() > deadline)
        return 9;
      else
        std::this_thread::yield();
  }
  return index - 100 == loop.failAt ? 7 : 0;
}

/// The loops the test's one entry point runs, in order; set by runPass.
thread_local const std::vector<Loop *> *currentLoops;

int32_t body(const int32_t *, int32_t, float *, float *, float *hidden) {
  for (Loop *loop : *currentLoops)
    if (int status = installedParFor(nullptr, loopTask, 100, (int)loop->hits.size(),
                                     reinterpret_cast<uint8_t *>(loop)))
      return status;
  hidden[0] = 1.0f;
  return 0;
}

int32_t head(const float *hidden, float *logits) {
  logits[0] = hidden[0];
  return 0;
}

const bitnet_entry entries[] = {{1, body, head}};
// abi, vocab, layers, context, kv_dim, hidden, entries, the one-row head, no
// weights file, no weight bytes, not a fat object's descriptor.
const bitnet_model model = {BITNET_MODEL_ABI, 1, 1, 16, 1, 1, 1, entries, head,
                            nullptr, nullptr, nullptr, 0, 0, 0, nullptr};

/// A GPU glue in miniature over the model's shapes (layers 1, context 16,
/// kv_dim 1, hidden 1): the device copy of each argument, a kernel that
/// writes a whole buffer (or one row of it) through a view, the hand-back at
/// the end. `origin` as bitnet_rt2_device_root takes it: 1 the caller's data,
/// 2 an out-parameter.
struct DeviceArgument {
  DeviceArgument(float *host, int64_t floats, int32_t origin)
      : root(bitnet_rt2_device_root(&local, &dim, host, floats * 4, origin)) {}
  /// A kernel reading, or writing, floats [at, at + count) of the argument.
  int32_t read(int64_t at, int64_t count) { return use(at, count, false); }
  int32_t write(int64_t at, int64_t count) { return use(at, count, true); }
  int32_t use(int64_t at, int64_t count, bool writes) {
    halide_dimension_t viewDim = {0, int32_t(count), 1, 0};
    halide_buffer_t view = {};
    view.host = root ? root->host + at * 4 : nullptr;
    view.type = {halide_type_float, 32, 1};
    view.dimensions = 1;
    view.dim = &viewDim;
    int32_t status = bitnet_rt2_device_view(root, &view, nullptr);
    if (writes)
      view.flags |= halide_buffer_flag_device_dirty;
    return status | bitnet_rt2_device_view_done(root, &view);
  }
  int32_t leave() { return bitnet_rt2_device_leave(root); }
  halide_buffer_t local = {};
  halide_dimension_t dim = {};
  halide_buffer_t *root;
};

int32_t deviceBody(const int32_t *tokens, int32_t pos, float *k, float *v, float *hidden) {
  DeviceArgument ids(reinterpret_cast<float *>(const_cast<int32_t *>(tokens)), 1, 1),
      keys(k, 16, 1), values(v, 16, 1), rows(hidden, 1, 2);
  int32_t status = ids.read(0, 1) | keys.write(pos, 1) | values.write(pos, 1) | rows.write(0, 1);
  return status | ids.leave() | keys.leave() | values.leave() | rows.leave();
}

int32_t deviceHead(const float *hidden, float *logits) {
  DeviceArgument rows(const_cast<float *>(hidden), 1, 1), out(logits, 1, 2);
  int32_t status = rows.read(0, 1) | out.write(0, 1);
  return status | rows.leave() | out.leave();
}

const bitnet_entry deviceEntries[] = {{1, deviceBody, deviceHead}};
const bitnet_model deviceModel = {BITNET_MODEL_ABI, 1, 1, 16, 1, 1, 1, deviceEntries,
                                  deviceHead, nullptr, nullptr, nullptr, 0, 0, 0, nullptr};

/// Bytes in and out during one forward step of one token at `pos`.
std::pair<int64_t, int64_t> deviceStep(bitnet_state *s, int32_t pos) {
  int64_t up = uploadedBytes, down = downloadedBytes;
  int32_t token = 0;
  float logits = 0;
  expect(bitnet_rt2_forward(s, &token, 1, pos, BITNET_LOGITS_LAST, &logits) == 0,
         "a device step failed at position " + std::to_string(pos));
  return {uploadedBytes - up, downloadedBytes - down};
}

/// One forward pass of `s` running `loops`: forward's status, or -100 if it
/// returned 0 without the entry point finishing.
int32_t runPass(bitnet_state *s, const std::vector<Loop *> &loops) {
  currentLoops = &loops;
  int32_t token = 0;
  float logits = 0;
  int32_t status = bitnet_rt2_forward(s, &token, 1, 0, BITNET_LOGITS_LAST, &logits);
  return status == 0 && logits != 1.0f ? -100 : status;
}

bool ranOnce(const Loop &loop) {
  for (const auto &hit : loop.hits)
    if (hit.load() != 1)
      return false;
  return true;
}

/// Runs `passes` forward passes of loops of every size in `sizes` on a
/// state of `threads` threads and checks them; `who` names the case.
void checkLoops(int32_t threads, const std::vector<int> &sizes, int passes,
                const std::string &who) {
  bitnet_state *s = bitnet_rt2_create(&model, 0, threads);
  expect(s != nullptr, who + ": create");
  if (!s)
    return;
  bool once = true, bounded = true, ok = true;
  for (int pass = 0; pass < passes; ++pass) {
    std::vector<std::unique_ptr<Loop>> owned;
    std::vector<Loop *> loops;
    for (int size : sizes) {
      owned.push_back(std::make_unique<Loop>(size));
      loops.push_back(owned.back().get());
    }
    ok = ok && runPass(s, loops) == 0;
    for (Loop *loop : loops) {
      once = once && ranOnce(*loop);
      bounded = bounded && (threads == 0 || loop->threads.size() <= size_t(threads));
    }
  }
  expect(ok, who + ": forward failed");
  expect(once, who + ": a task ran other than exactly once");
  expect(bounded, who + ": a loop ran on more threads than the state has");
  bitnet_rt2_destroy(s);
}
} // namespace

int main() {
  const std::vector<int> sizes = {0, 1, 2, 3, 7, 64, 1000, 5};
  for (int32_t threads : {1, 2, 3, 8})
    checkLoops(threads, sizes, 20, std::to_string(threads) + " threads");
  expect(reuseDeviceAllocations == 1,
         "create did not turn on the reuse of device allocations");

  // A budget of 1 never uses the Halide pool; a state with workers neither.
  defaultLoops = 0;
  checkLoops(1, {10, 20}, 2, "1 thread again");
  checkLoops(2, {10, 20}, 2, "2 threads again");
  expect(defaultLoops == 0, "a loop went to the Halide runtime's pool");
  checkLoops(0, {10, 20}, 1, "no budget");
  expect(defaultLoops == 2, "without a budget the loops go to the Halide runtime's pool");

  // Every worker takes part: in a loop of as many tasks as threads, each
  // task waits until all have started, which only happens when the loop
  // runs on that many threads at once (a task holds its thread, and the
  // last runs of a loop are single tasks).
  for (int32_t threads : {2, 3, 8}) {
    bitnet_state *s = bitnet_rt2_create(&model, 0, threads);
    bool together = true;
    for (int pass = 0; pass < 5; ++pass) {
      Loop loop(threads);
      loop.rendezvous = true;
      together = together && runPass(s, {&loop}) == 0 && loop.threads.size() == size_t(threads);
    }
    expect(together, "the " + std::to_string(threads) +
                         " tasks of a loop of a state of as many threads did not all run "
                         "at once (60 s timeout)");
    bitnet_rt2_destroy(s);
  }

  // Loops inside tasks run serially on the task's thread, and the outer
  // loop still runs each of its tasks once.
  for (int32_t threads : {2, 3}) {
    bitnet_state *s = bitnet_rt2_create(&model, 0, threads);
    bool serial = true, once = true, ok = true;
    for (int pass = 0; pass < 20; ++pass) {
      Loop outer(200);
      outer.nested = true;
      ok = ok && runPass(s, {&outer}) == 0;
      serial = serial && outer.nestedElsewhere.load() == 0;
      once = once && ranOnce(outer);
    }
    std::string who = " (" + std::to_string(threads) + " threads)";
    expect(ok, "forward with loops inside tasks failed" + who);
    expect(serial, "a loop inside a task left its thread" + who);
    expect(once, "with loops inside its tasks, a task ran other than once" + who);
    bitnet_rt2_destroy(s);
  }

  // A failing task: forward returns its status and no later loop runs.
  for (int32_t threads : {1, 2, 3}) {
    bitnet_state *s = bitnet_rt2_create(&model, 0, threads);
    Loop failing(300), after(10);
    failing.failAt = 17;
    int32_t status = runPass(s, {&failing, &after});
    bool afterRan = false;
    for (auto &hit : after.hits)
      afterRan = afterRan || hit.load() != 0;
    expect(status == 7 && !afterRan && failing.hits[17].load() == 1,
           "a failing task's status (" + std::to_string(threads) +
               " threads): forward returned " + std::to_string(status));
    bitnet_rt2_destroy(s);
  }

  // A GPU model's buffers: the 64-byte KV caches go over at the first step
  // only (and again after a reset), the hidden row stays on the device
  // between body and head; every step moves its token id (4 bytes; the
  // stand-in copies the whole view's buffer) in and its logits (4 bytes) out.
  {
    bitnet_state *s = bitnet_rt2_create(&deviceModel, 0, 1);
    std::pair<int64_t, int64_t> first = deviceStep(s, 0), second = deviceStep(s, 1),
                                third = deviceStep(s, 2);
    expect(first == std::make_pair<int64_t, int64_t>(4 + 64 + 64, 4),
           "first device step: " + std::to_string(first.first) + " bytes in, " +
               std::to_string(first.second) + " out (want 132 in, 4 out)");
    expect(second == std::make_pair<int64_t, int64_t>(4, 4) && third == second,
           "later device steps: " + std::to_string(second.first) + " bytes in, " +
               std::to_string(second.second) + " out (want 4 and 4)");
    bitnet_rt2_reset(s);
    std::pair<int64_t, int64_t> afterReset = deviceStep(s, 0);
    expect(afterReset == std::make_pair<int64_t, int64_t>(4 + 64 + 64, 4),
           "after a reset the zeroed caches go over again");
    bitnet_rt2_destroy(s);
  }

  // Two states, each with workers, from two threads at once.
  std::thread a([&] { checkLoops(2, sizes, 10, "state A of two at once"); });
  std::thread b([&] { checkLoops(3, sizes, 10, "state B of two at once"); });
  a.join();
  b.join();
  return checks.finish();
}
