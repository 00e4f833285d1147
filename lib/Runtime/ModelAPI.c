/* ModelAPI.c - the model API linked into every compiled object.
 *
 * Built for each architecture bitnet-compile targets and joined into the
 * object with ld -r. Definitions are weak: two models in one program carry
 * identical copies and the linker keeps one.
 */
/* posix_memalign; madvise's MADV_HUGEPAGE (a Linux extension) */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include "bitnet/Runtime/ModelAPI.h"
#include "bitnet/Runtime/Tokenizer.h"
#include "bitnet/Runtime/WeightsChecksum.h"

#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#if defined(__linux__)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#if defined(__x86_64__)
#include <cpuid.h>
#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif
#endif

#define BITNET_WEAK __attribute__((weak))

/* The Halide runtime linked into the same object. */
#include "HalideRuntime.h"

/* The parallel loops of a forward pass.
 *
 * Halide calls do_par_for without anything that identifies the state, and
 * the kernels' top-level parallel loops run on the thread that called
 * forward, so thread-locals carry the pass's thread budget and worker pool to
 * them (budget 0: the Halide runtime's own pool).
 *
 * A state with threads >= 2 owns threads - 1 workers. While one of its
 * forward passes runs they spin, so that each of the hundred-odd parallel
 * loops of a generated token starts without a wake-up (a futex wake costs
 * tens of microseconds, several percent of a token at 2B scale), and they
 * take tasks from a shared counter, so that a thread the machine slows down
 * does not hold up the loop. Between passes they sleep. */
static _Thread_local int32_t bitnet_thread_budget;
static _Thread_local struct bitnet_pool *bitnet_current_pool;
static _Thread_local bitnet_state *bitnet_current_state;
/* Set while a profiled loop runs on this thread: loops inside its tasks are
 * part of its time. */
static _Thread_local int bitnet_in_profiled_loop;

/* Distinct parallel loops a profile holds (a 2B model runs about 30). */
enum { BITNET_PROFILE_LOOPS = 1024 };

static int64_t bitnet_now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void bitnet_profile_add(bitnet_state *s, const void *task, int64_t ns) {
  int32_t i;
  for (i = 0; i < s->profile_count && s->profile[i].task != task; ++i) {
  }
  if (i == s->profile_count) {
    if (i == BITNET_PROFILE_LOOPS)
      return;
    s->profile[i].task = task;
    s->profile[i].calls = 0;
    s->profile[i].nanoseconds = 0;
    ++s->profile_count;
  }
  s->profile[i].calls += 1;
  s->profile[i].nanoseconds += ns;
}

static void bitnet_report(const char *message);

/* The glue's buffers.
 *
 * bitnet-compile lowers the glue's allocations to MLIR's generic functions
 * (_mlir_memref_to_llvm_alloc / _free) instead of malloc and free. A forward
 * pass allocates and frees the same sizes every time, and fresh buffers
 * above the C library's mmap threshold are mapped, faulted in page by page
 * and unmapped on every pass: at the 2B shape in 16-token chunks the page
 * faults cost more than the kernels (prompt processing on 1 thread went from
 * 13.6 to 49 tokens/s without them). So the state whose forward pass runs
 * on this thread keeps every buffer the glue frees and hands it out again
 * for the same size. Outside a forward pass (an entry point called
 * directly) the buffers come from malloc and go back to free.
 *
 * A buffer that cannot be allocated during a forward pass ends the pass
 * (longjmp to bitnet_rt2_forward, which returns -11): the glue uses its
 * buffers without checking them, so a NULL would crash it or, given to a
 * kernel, make that kernel answer as a bounds query and compute nothing.
 * The glue runs on the forward pass's thread between kernel calls, so no
 * kernel or worker is running when it jumps, and the state's list of the
 * buffers the glue has not freed yet (`live`) lets the pass give them
 * back. (A GPU model's device copies of those buffers, which the glue's
 * own halide_buffer_t structs hold, are not given back: the device memory
 * of a pass that ran out of host memory stays allocated.) */
typedef struct bitnet_buffer_header {
  size_t bytes;
  bitnet_state *owner;
  /* The owner's live buffers, while the glue holds this one. */
  struct bitnet_buffer_header *prev, *next;
} bitnet_buffer_header;
/* The header's room: keeps the buffer as aligned as the block. */
enum { BITNET_BUFFER_HEADER = 64 };

static bitnet_buffer_header *bitnet_header_of(void *buffer) {
  return (bitnet_buffer_header *)((char *)buffer - BITNET_BUFFER_HEADER);
}

static void *bitnet_hand_out(bitnet_state *s, bitnet_buffer_header *h) {
  if (s && s->pass_abort) {
    h->prev = NULL;
    h->next = (bitnet_buffer_header *)s->live_buffers;
    if (h->next)
      h->next->prev = h;
    s->live_buffers = h;
  }
  return (char *)h + BITNET_BUFFER_HEADER;
}

static void bitnet_take_back(bitnet_state *s, bitnet_buffer_header *h) {
  if (!s || !s->pass_abort)
    return;
  if (h->prev)
    h->prev->next = h->next;
  else if (s->live_buffers == h)
    s->live_buffers = h->next;
  if (h->next)
    h->next->prev = h->prev;
  h->prev = h->next = NULL;
}

/* A buffer of the running pass that cannot be allocated: ends the pass
 * (see above); outside a pass the caller gets NULL. */
static void *bitnet_out_of_memory(bitnet_state *s) {
  if (s && s->runtime_errors++ == 0)
    bitnet_report("out of memory for a buffer of the forward pass");
  if (s && s->pass_abort)
    longjmp(*(jmp_buf *)s->pass_abort, 1);
  return NULL;
}

BITNET_WEAK void *_mlir_memref_to_llvm_alloc(size_t bytes) {
  bitnet_state *s = bitnet_current_state;
  bitnet_buffer_header *h;
  void *block;
  int32_t i;
  if (s)
    for (i = 0; i < s->spare_count; ++i)
      if (bitnet_header_of(s->spare_buffers[i])->bytes == bytes) {
        h = bitnet_header_of(s->spare_buffers[i]);
        s->spare_buffers[i] = s->spare_buffers[--s->spare_count];
        return bitnet_hand_out(s, h);
      }
  if (bytes > (size_t)-1 - BITNET_BUFFER_HEADER ||
      posix_memalign(&block, BITNET_BUFFER_HEADER, BITNET_BUFFER_HEADER + bytes) != 0)
    return bitnet_out_of_memory(s);
  h = (bitnet_buffer_header *)block;
  h->bytes = bytes;
  h->owner = s;
  return bitnet_hand_out(s, h);
}

BITNET_WEAK void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t bytes) {
  /* Every buffer is aligned to BITNET_BUFFER_HEADER (64) bytes. */
  return alignment <= BITNET_BUFFER_HEADER ? _mlir_memref_to_llvm_alloc(bytes)
                                           : bitnet_out_of_memory(bitnet_current_state);
}

BITNET_WEAK void _mlir_memref_to_llvm_free(void *buffer) {
  bitnet_state *s = bitnet_current_state;
  bitnet_buffer_header *h;
  if (!buffer)
    return;
  h = bitnet_header_of(buffer);
  if (s && h->owner == s) {
    bitnet_take_back(s, h);
    if (s->spare_count == s->spare_capacity) {
      int32_t capacity = s->spare_capacity ? 2 * s->spare_capacity : 64;
      void **grown = (void **)realloc(s->spare_buffers, sizeof(void *) * (size_t)capacity);
      if (!grown) {
        free(h);
        return;
      }
      s->spare_buffers = grown;
      s->spare_capacity = capacity;
    }
    s->spare_buffers[s->spare_count++] = buffer;
    return;
  }
  free(h);
}

static inline void bitnet_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/* One worker's view of the loops: the last generation it entered and the last
 * it left, on a cache line of their own (the caller polls them). */
struct bitnet_worker {
  _Alignas(64) atomic_uint entered;
  atomic_uint left;
  pthread_t thread;
  struct bitnet_pool *pool;
};

struct bitnet_pool {
  struct bitnet_worker *workers_at;
  int32_t workers;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  atomic_int active; /* a forward pass is running: workers spin */
  atomic_int stop;
  /* The loop being run, published by bumping `generation`; `closed` is the
   * last generation whose caller stopped waiting for newcomers. */
  atomic_uint generation;
  atomic_uint closed;
  void *user_context;
  halide_task_t task;
  uint8_t *closure;
  int min, size;
  atomic_int next;   /* first task not yet taken */
  atomic_int status; /* first failing task's status */
};

/* Takes runs of tasks until none are left: large runs first, shrinking as the
 * loop drains (guided scheduling), so that the last runs are short. */
static void bitnet_pool_work(struct bitnet_pool *p) {
  for (;;) {
    int begin = atomic_load_explicit(&p->next, memory_order_relaxed), end, i;
    int run;
    do {
      if (begin >= p->size)
        return;
      run = (p->size - begin) / (2 * (p->workers + 1));
      run = run < 1 ? 1 : run;
    } while (!atomic_compare_exchange_weak_explicit(&p->next, &begin, begin + run,
                                                    memory_order_relaxed,
                                                    memory_order_relaxed));
    end = begin + run;
    for (i = begin; i < end; ++i) {
      /* Through the runtime's task hook, as Halide's own pool does. */
      int status = halide_do_task(p->user_context, p->task, p->min + i, p->closure);
      if (status != 0) {
        int ok = 0;
        atomic_compare_exchange_strong(&p->status, &ok, status);
        atomic_store_explicit(&p->next, p->size, memory_order_relaxed);
        return;
      }
    }
  }
}

/* A thread of the pool waiting for the others pause-spins; after
 * BITNET_SPIN_NS of waiting it yields the core at each check instead, which
 * only matters when threads outnumber cores. Yielding earlier is costly:
 * under the kernel's EEVDF scheduler sched_yield moves the caller back by a
 * whole time slice, so any other runnable process on that core (a compile
 * in the background) runs first for up to milliseconds. With a yield after
 * 4096 pauses (~0.1 ms), every parallel loop of a 2-thread pass cost about
 * 0.2 ms next to one background compile: 2B-4T generation ran at 13 tokens/s
 * on 2 threads against 23 on 1. Between passes a worker sleeps once it has
 * waited BITNET_SPIN_NS. */
enum { BITNET_SPINS_PER_CLOCK_CHECK = 256 };
#define BITNET_SPIN_NS 2000000

/* One step of a wait that began at *since (0: not yet timed): true once the
 * wait has lasted BITNET_SPIN_NS. */
static int bitnet_spin_step(unsigned *spins, int64_t *since) {
  if (++*spins % BITNET_SPINS_PER_CLOCK_CHECK != 0) {
    bitnet_cpu_relax();
    return 0;
  }
  if (*since == 0)
    *since = bitnet_now_ns();
  return bitnet_now_ns() - *since > BITNET_SPIN_NS;
}

/* Whether generation g is at or before `closed` (generations wrap). */
static int bitnet_generation_closed(unsigned g, unsigned closed) {
  return (int)(closed - g) >= 0;
}

/* A worker joins a loop only if it announces itself before the caller closes
 * it; the caller then waits for the workers that did, and no others. So a
 * worker the machine has descheduled (another process wants its core) holds
 * up no loop it has not started: its tasks go to the threads that run. The
 * announcement and the close are a Dekker pair (sequentially consistent
 * store, then load): either the worker sees the loop closed and leaves its
 * closure alone, or the caller sees the worker and waits for it. */
static void *bitnet_pool_worker(void *arg) {
  struct bitnet_worker *w = (struct bitnet_worker *)arg;
  struct bitnet_pool *p = w->pool;
  unsigned seen = 0;
  bitnet_thread_budget = 1; /* a loop inside a task runs serially */
  for (;;) {
    unsigned spins = 0, now;
    int64_t since = 0;
    while ((now = atomic_load_explicit(&p->generation, memory_order_acquire)) == seen) {
      if (atomic_load_explicit(&p->stop, memory_order_relaxed))
        return NULL;
      if (!bitnet_spin_step(&spins, &since))
        continue;
      if (atomic_load_explicit(&p->active, memory_order_relaxed)) {
        sched_yield();
      } else {
        pthread_mutex_lock(&p->lock);
        while (!atomic_load(&p->active) && !atomic_load(&p->stop) &&
               atomic_load(&p->generation) == seen)
          pthread_cond_wait(&p->wake, &p->lock);
        pthread_mutex_unlock(&p->lock);
        spins = 0;
        since = 0;
      }
    }
    seen = now;
    atomic_store(&w->entered, now);
    if (!bitnet_generation_closed(now, atomic_load(&p->closed)))
      bitnet_pool_work(p);
    atomic_store_explicit(&w->left, now, memory_order_release);
  }
}

static int bitnet_pool_run(struct bitnet_pool *p, void *user_context, halide_task_t task,
                           int min, int size, uint8_t *closure) {
  unsigned g;
  int32_t budget, i;
  p->user_context = user_context;
  p->task = task;
  p->closure = closure;
  p->min = min;
  p->size = size;
  atomic_store_explicit(&p->next, 0, memory_order_relaxed);
  atomic_store_explicit(&p->status, 0, memory_order_relaxed);
  g = atomic_fetch_add_explicit(&p->generation, 1, memory_order_release) + 1;
  /* A loop inside one of this loop's tasks runs serially, as on workers. */
  budget = bitnet_thread_budget;
  bitnet_current_pool = NULL;
  bitnet_thread_budget = 1;
  bitnet_pool_work(p);
  bitnet_current_pool = p;
  bitnet_thread_budget = budget;
  /* Every worker that joined finishes before the closure can go away. */
  atomic_store(&p->closed, g);
  for (i = 0; i < p->workers; ++i) {
    struct bitnet_worker *w = &p->workers_at[i];
    unsigned spins = 0;
    int64_t since = 0;
    if (atomic_load(&w->entered) != g)
      continue;
    while (atomic_load_explicit(&w->left, memory_order_acquire) != g)
      if (bitnet_spin_step(&spins, &since))
        sched_yield();
  }
  return atomic_load_explicit(&p->status, memory_order_relaxed);
}

static void bitnet_pool_set_active(struct bitnet_pool *p, int active) {
  pthread_mutex_lock(&p->lock);
  atomic_store(&p->active, active);
  if (active)
    pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->lock);
}

static void bitnet_pool_destroy(struct bitnet_pool *p) {
  int32_t i;
  if (!p)
    return;
  pthread_mutex_lock(&p->lock);
  atomic_store(&p->stop, 1);
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->lock);
  for (i = 0; i < p->workers; ++i)
    pthread_join(p->workers_at[i].thread, NULL);
  pthread_cond_destroy(&p->wake);
  pthread_mutex_destroy(&p->lock);
  free(p->workers_at);
  free(p);
}

/* NULL when out of memory or no worker could be started. */
static struct bitnet_pool *bitnet_pool_create(int32_t workers) {
  struct bitnet_pool *p = (struct bitnet_pool *)calloc(1, sizeof(*p));
  void *at = NULL;
  if (!p)
    return NULL;
  if (posix_memalign(&at, 64, sizeof(struct bitnet_worker) * (size_t)workers) != 0 ||
      pthread_mutex_init(&p->lock, NULL) != 0) {
    free(at);
    free(p);
    return NULL;
  }
  p->workers_at = (struct bitnet_worker *)at;
  pthread_cond_init(&p->wake, NULL);
  atomic_init(&p->active, 0);
  atomic_init(&p->stop, 0);
  atomic_init(&p->generation, 0);
  atomic_init(&p->closed, 0);
  atomic_init(&p->next, 0);
  atomic_init(&p->status, 0);
  for (p->workers = 0; p->workers < workers; ++p->workers) {
    struct bitnet_worker *w = &p->workers_at[p->workers];
    atomic_init(&w->entered, 0);
    atomic_init(&w->left, 0);
    w->pool = p;
    if (pthread_create(&w->thread, NULL, bitnet_pool_worker, w) != 0)
      break;
  }
  if (p->workers == 0) {
    bitnet_pool_destroy(p);
    return NULL;
  }
  return p;
}

typedef struct bitnet_chunks {
  halide_task_t task;
  uint8_t *closure;
  int min, size, groups;
} bitnet_chunks;

/* Group g of a loop split into `groups` contiguous ranges, run serially. */
static int bitnet_run_chunk(void *user_context, int g, uint8_t *closure) {
  const bitnet_chunks *k = (const bitnet_chunks *)closure;
  int begin = k->min + (int)((int64_t)k->size * g / k->groups);
  int end = k->min + (int)((int64_t)k->size * (g + 1) / k->groups);
  int i;
  for (i = begin; i < end; ++i) {
    int status = k->task(user_context, i, k->closure);
    if (status != 0)
      return status;
  }
  return 0;
}

/* A parallel loop of `size` tasks: on the state's pool when it has one, on
 * the calling thread alone for a budget of 1, else on the Halide pool in as
 * many contiguous groups as the budget allows. */
static int bitnet_run_par_for(void *user_context, halide_task_t task, int min, int size,
                              uint8_t *closure);

/* Times top-level loops of a profiled state's forward pass (on the thread
 * that called forward), then runs the loop. */
static int bitnet_do_par_for(void *user_context, halide_task_t task, int min, int size,
                             uint8_t *closure) {
  bitnet_state *s = bitnet_current_state;
  int64_t start;
  int status;
  if (!s || !s->profile || bitnet_in_profiled_loop)
    return bitnet_run_par_for(user_context, task, min, size, closure);
  bitnet_in_profiled_loop = 1;
  start = bitnet_now_ns();
  status = bitnet_run_par_for(user_context, task, min, size, closure);
  bitnet_profile_add(s, (const void *)task, bitnet_now_ns() - start);
  bitnet_in_profiled_loop = 0;
  return status;
}

static int bitnet_run_par_for(void *user_context, halide_task_t task, int min, int size,
                              uint8_t *closure) {
  int32_t budget = bitnet_thread_budget;
  bitnet_chunks k;
  if (bitnet_current_pool && size > 1)
    return bitnet_pool_run(bitnet_current_pool, user_context, task, min, size, closure);
  if (bitnet_current_pool)
    budget = 1;
  if (budget != 1 && (budget <= 0 || size <= budget))
    return halide_default_do_par_for(user_context, task, min, size, closure);
  k.task = task;
  k.closure = closure;
  k.min = min;
  k.size = size;
  k.groups = budget;
  if (budget == 1) /* the calling thread alone, without the pool */
    return bitnet_run_chunk(user_context, 0, (uint8_t *)&k);
  return halide_default_do_par_for(user_context, bitnet_run_chunk, 0, budget, (uint8_t *)&k);
}

/* Installed once: states created on several threads at once would otherwise
 * race on the runtime's hooks (with the same values). */
static pthread_once_t bitnet_runtime_hooks_installed = PTHREAD_ONCE_INIT;
/* Halide's default error handler prints the message and aborts the
 * process; a model's caller gets the failing kernel's status from forward
 * instead (e.g. a GPU model on a machine without a CUDA driver: "CUDA API
 * not found: cuInit"), the first message of the pass on stderr and the
 * number of the others at its end. */
static void bitnet_report(const char *message) {
  char line[512];
  size_t n = strlen(message);
  int len = snprintf(line, sizeof line, "bitnet runtime: %s%s", message,
                     n && message[n - 1] == '\n' ? "" : "\n");
  /* write(2), as Halide's own printer: stdio is not among the libc symbols
   * a compiled model needs. */
  if (len > 0)
    (void)!write(2, line, len < (int)sizeof line ? (size_t)len : sizeof line - 1);
}
static void bitnet_halide_error(void *user_context, const char *message) {
  bitnet_state *s = bitnet_current_state;
  (void)user_context;
  if (s && s->runtime_errors++ > 0)
    return;
  bitnet_report(message);
}

/* Also keeps freed device memory for reuse: a GPU model's glue frees the
 * device copies of its buffers when it frees the buffers, and without the
 * cache every pass would go back to the device API (cuMemAlloc / cuMemFree)
 * for each of them. A no-op on CPUs. */
static void bitnet_install_runtime_hooks(void) {
  halide_set_custom_do_par_for(bitnet_do_par_for);
  halide_set_error_handler(bitnet_halide_error);
  (void)halide_reuse_device_allocations(NULL, true);
}

/* Device copies of a GPU model's buffers, for the glue convert-bitnet-to-llvm
 * emits around GPU kernels. Each allocation those kernels use (an entry
 * point's argument, a buffer the glue allocates) gets one halide_buffer_t
 * for its whole memory: one dimension of 32-bit words (bytes when the size
 * is not whole words), host_dirty for an argument (the caller's data),
 * clean for a fresh buffer. Each kernel gets a view that shares the
 * allocation's device memory (halide_device_crop); Halide's host_dirty and
 * device_dirty flags say which side holds the current data, so data crosses
 * to the host only where host code reads it. The state's KV caches and its
 * hidden-state rows (written by one entry point, read by the LM head's)
 * keep their device copies from one call to the next
 * (bitnet_device_buffers); the other arguments go back to the caller's
 * memory at the end of each call. */
enum { BITNET_DEVICE_K, BITNET_DEVICE_V, BITNET_DEVICE_HIDDEN, BITNET_DEVICE_STATE_BUFFERS };
struct bitnet_device_buffers {
  halide_buffer_t buffer[BITNET_DEVICE_STATE_BUFFERS];
  halide_dimension_t dim[BITNET_DEVICE_STATE_BUFFERS];
};

static void bitnet_describe_allocation(halide_buffer_t *b, halide_dimension_t *dim, void *host,
                                       int64_t bytes, uint64_t flags) {
  const int words = bytes % 4 == 0;
  memset(b, 0, sizeof(*b));
  memset(dim, 0, sizeof(*dim));
  b->host = (uint8_t *)host;
  b->type.code = halide_type_uint;
  b->type.bits = words ? 32 : 8;
  b->type.lanes = 1;
  b->dimensions = 1;
  b->dim = dim;
  b->flags = flags;
  dim->extent = (int32_t)(words ? bytes / 4 : bytes);
  dim->stride = 1;
}

/* Whether `b` is one of the running state's device buffers. */
static int bitnet_is_state_buffer(const halide_buffer_t *b) {
  const bitnet_state *s = bitnet_current_state;
  return s && s->device_buffers && b >= s->device_buffers->buffer &&
         b < s->device_buffers->buffer + BITNET_DEVICE_STATE_BUFFERS;
}

/* Where an allocation the glue describes comes from. */
enum {
  BITNET_DEVICE_ALLOCATION = 0, /* the glue's own: no data yet */
  BITNET_DEVICE_ARGUMENT = 1,   /* the caller's data, read on the device */
  BITNET_DEVICE_RESULT = 2      /* the caller's buffer, only written whole */
};

/* The running state's device buffer whose memory holds the argument
 * [host, host + bytes), created at its first use, or NULL when none does
 * (or out of memory: then the argument is the glue's own, and still right). */
static halide_buffer_t *bitnet_state_buffer(const void *host, int64_t bytes) {
  bitnet_state *s = bitnet_current_state;
  const int64_t cache = (int64_t)sizeof(float) * s->model->layers * s->model->context *
                        s->model->kv_dim;
  const struct {
    float *base;
    int64_t bytes;
    uint64_t flags; /* at the first use: the caches' zeros go over once */
  } memory[BITNET_DEVICE_STATE_BUFFERS] = {
      {s->k_cache, cache, halide_buffer_flag_host_dirty},
      {s->v_cache, cache, halide_buffer_flag_host_dirty},
      {s->hidden, (int64_t)sizeof(float) * s->model->entries[0].tokens * s->model->hidden, 0}};
  int i;
  for (i = 0; i < BITNET_DEVICE_STATE_BUFFERS; ++i) {
    const char *base = (const char *)memory[i].base;
    struct bitnet_device_buffers *d = s->device_buffers;
    if ((const char *)host < base || (const char *)host + bytes > base + memory[i].bytes)
      continue;
    if (!d && !(d = s->device_buffers =
                    (struct bitnet_device_buffers *)calloc(1, sizeof(*d))))
      return NULL;
    if (!d->buffer[i].host)
      bitnet_describe_allocation(&d->buffer[i], &d->dim[i], memory[i].base, memory[i].bytes,
                                 memory[i].flags);
    return &d->buffer[i];
  }
  return NULL;
}

/* The buffer that describes an allocation of `bytes` at `host`: for an
 * argument inside one of the running state's buffers, that buffer's (see
 * above), else `local` (the glue's stack slot). NULL for an allocation too
 * large to describe (8 GiB). */
BITNET_WEAK halide_buffer_t *bitnet_rt2_device_root(halide_buffer_t *local, halide_dimension_t *dim,
                                                    void *host, int64_t bytes, int32_t origin) {
  halide_buffer_t *state = NULL;
  if (bytes <= 0 || bytes / (bytes % 4 == 0 ? 4 : 1) > INT32_MAX)
    return NULL;
  if (origin != BITNET_DEVICE_ALLOCATION && bitnet_current_state &&
      (state = bitnet_state_buffer(host, bytes)) != NULL)
    return state;
  bitnet_describe_allocation(local, dim, host, bytes,
                             origin == BITNET_DEVICE_ARGUMENT ? halide_buffer_flag_host_dirty : 0);
  return local;
}

/* Before a kernel call: makes `root`'s device copy current (allocating it
 * the first time) and points the kernel's buffer `view` (a view of root's
 * memory) into it. */
BITNET_WEAK int bitnet_rt2_device_view(halide_buffer_t *root, halide_buffer_t *view,
                                       const struct halide_device_interface_t *api) {
  halide_buffer_t crop;
  halide_dimension_t crop_dim;
  int64_t unit, begin, end, last = 0;
  int i, status;
  if (!root)
    return halide_error_code_device_malloc_failed;
  status = halide_copy_to_device(NULL, root, api);
  if (status != 0)
    return status;
  for (i = 0; i < view->dimensions; ++i)
    last += (int64_t)(view->dim[i].extent - 1) * view->dim[i].stride;
  unit = root->type.bits / 8;
  begin = (int64_t)(view->host - root->host);
  end = begin + (last + 1) * (int64_t)(view->type.bits / 8);
  if (begin < 0 || begin % unit != 0 || end > (int64_t)root->dim[0].extent * unit)
    return halide_error_code_device_crop_failed;
  crop = *root;
  crop_dim = root->dim[0];
  crop.dim = &crop_dim;
  crop.device = 0;
  crop.device_interface = NULL;
  crop.flags = 0;
  crop_dim.min = (int32_t)(begin / unit);
  crop_dim.extent = (int32_t)((end - begin + unit - 1) / unit);
  status = halide_device_crop(NULL, root, &crop);
  if (status != 0)
    return status;
  view->device = crop.device;
  view->device_interface = crop.device_interface;
  view->flags = 0;
  return 0;
}

/* After the kernel call: what it wrote through `view` is root's current
 * data (on the device); the view gives its share of the memory back. */
BITNET_WEAK int bitnet_rt2_device_view_done(halide_buffer_t *root, halide_buffer_t *view) {
  if (!root)
    return halide_error_code_device_malloc_failed;
  if (view->flags & halide_buffer_flag_device_dirty)
    root->flags |= halide_buffer_flag_device_dirty;
  return view->device ? halide_device_release_crop(NULL, view) : 0;
}

/* Before host code touches root's memory. */
BITNET_WEAK int bitnet_rt2_device_to_host(halide_buffer_t *root) {
  return root ? halide_copy_to_host(NULL, root) : halide_error_code_copy_to_host_failed;
}

/* After host code wrote root's memory. */
BITNET_WEAK void bitnet_rt2_host_written(halide_buffer_t *root) {
  if (root)
    root->flags |= halide_buffer_flag_host_dirty;
}

/* Before the glue frees an allocation. */
BITNET_WEAK int bitnet_rt2_device_release(halide_buffer_t *root) {
  if (!root)
    return halide_error_code_device_free_failed;
  return bitnet_is_state_buffer(root) ? 0 : halide_device_free(NULL, root);
}

/* Before an entry point returns, for each argument: back to the caller's
 * memory (the state's buffers stay on the device). */
BITNET_WEAK int bitnet_rt2_device_leave(halide_buffer_t *root) {
  int status;
  if (!root)
    return halide_error_code_copy_to_host_failed;
  if (bitnet_is_state_buffer(root))
    return 0;
  status = halide_copy_to_host(NULL, root);
  return status != 0 ? status : halide_device_free(NULL, root);
}

/* This CPU's BITNET_CPU_* features (the checks bitnet-compile's host
 * detection makes, lib/Target/TargetTable.cpp). */
static int64_t bitnet_cpu_features(void) {
  int64_t features = 0;
#if defined(__x86_64__)
  unsigned eax, ebx, ecx, edx;
  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
    unsigned avx512 = (1u << 16) | (1u << 30) | (1u << 31); /* F, BW, VL */
    if (ebx & (1u << 5))
      features |= BITNET_CPU_AVX2;
    if ((ebx & avx512) == avx512 && (ecx & (1u << 11))) /* and VNNI */
      features |= BITNET_CPU_AVX512;
    if (__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) && (eax & (1u << 4)))
      features |= BITNET_CPU_AVXVNNI;
  }
#elif defined(__aarch64__) && defined(__linux__)
  if (getauxval(AT_HWCAP) & (1ul << 20)) /* HWCAP_ASIMDDP */
    features |= BITNET_CPU_ARM_DOTPROD;
#endif
  return features;
}

/* The variant of a fat object's descriptor to run: BITNET_VARIANT's if set
 * (NULL if this CPU lacks what it needs), else the first this CPU can run;
 * a one-target descriptor as it is. */
static const bitnet_model *bitnet_pick_variant(const bitnet_model *model) {
  const char *forced = getenv("BITNET_VARIANT");
  const int64_t have = bitnet_cpu_features();
  int64_t i;
  if (model->variant_count == 0)
    return model;
  for (i = 0; i < model->variant_count; ++i) {
    const bitnet_model_variant *v = &model->variants[i];
    const int runnable = (v->cpu_features & ~have) == 0;
    if (forced && *forced) {
      if (strncmp(v->name, forced, strlen(forced) + 1) == 0)
        return runnable ? v->model : NULL;
    } else if (runnable) {
      return v->model;
    }
  }
  return NULL;
}

BITNET_WEAK int32_t bitnet_rt2_can_run(const bitnet_model *model) {
  if (!model || model->abi_version != BITNET_MODEL_ABI)
    return 0;
  model = bitnet_pick_variant(model);
  return model && model->abi_version == BITNET_MODEL_ABI &&
         (model->cpu_features & ~bitnet_cpu_features()) == 0;
}

BITNET_WEAK bitnet_state *bitnet_rt2_create(const bitnet_model *model, int32_t context,
                                            int32_t threads) {
  bitnet_state *s;
  size_t floats;
  if (!bitnet_rt2_can_run(model))
    return NULL;
  model = bitnet_pick_variant(model);
  if (!model || model->entry_count < 1)
    return NULL;
  if (model->weights_loaded && !*model->weights_loaded)
    return NULL;
  s = (bitnet_state *)calloc(1, sizeof(*s));
  if (!s)
    return NULL;
  s->model = model;
  s->context = (context <= 0 || context > model->context) ? (int32_t)model->context : context;
  floats = (size_t)model->layers * (size_t)model->context * (size_t)model->kv_dim;
  s->k_cache = (float *)calloc(floats, sizeof(float));
  s->v_cache = (float *)calloc(floats, sizeof(float));
  /* entries[0] has the largest token count. */
  s->hidden = (float *)calloc((size_t)model->entries[0].tokens * (size_t)model->hidden,
                              sizeof(float));
  s->padded_tokens = (int32_t *)calloc((size_t)model->entries[0].tokens, sizeof(int32_t));
  if (!s->k_cache || !s->v_cache || !s->hidden || !s->padded_tokens) {
    free(s->k_cache);
    free(s->v_cache);
    free(s->hidden);
    free(s->padded_tokens);
    free(s);
    return NULL;
  }
  s->threads = threads > 0 ? threads : 0;
  /* Without workers (none could start) the Halide pool runs the loops. */
  if (s->threads >= 2)
    s->pool = bitnet_pool_create(s->threads - 1);
  pthread_once(&bitnet_runtime_hooks_installed, bitnet_install_runtime_hooks);
  return s;
}

/* The entry point for the next chunk of a pass: the largest that takes at
 * most `left` tokens; but when only the 1-token entry fits and the smallest
 * multi-token entry would be at least a quarter full, that entry, padded
 * (when `may_pad` and its rows stay inside the context): a chunk costs far
 * less per token than a token on its own (its weights are read once), and
 * the padding rows it writes past the prompt in the KV cache are written
 * again by the tokens that take those positions before anything reads
 * them. Sets *real to the chunk's real tokens; -1 when nothing fits. */
static int64_t bitnet_next_chunk(const bitnet_model *m, int32_t left, int32_t pos,
                                 int32_t context, int may_pad, int32_t *real) {
  int64_t fit;
  const int has_one = m->entries[m->entry_count - 1].tokens == 1;
  /* The smallest entry above one token (-1: none). */
  const int64_t smallest = m->entry_count - 1 - has_one;
  for (fit = 0; fit < m->entry_count && m->entries[fit].tokens > left; ++fit) {
  }
  /* A rest that no multi-token entry fits, padded to the smallest when it
   * fills a quarter of it; never a single token a one-token entry runs
   * (padded, each generated token would cost a whole chunk). */
  if (may_pad && smallest >= 0 && (fit == m->entry_count || m->entries[fit].tokens == 1) &&
      (left > 1 || !has_one) &&
      (int64_t)left * BITNET_PAD_FRACTION >= m->entries[smallest].tokens &&
      pos + m->entries[smallest].tokens <= (int64_t)context) {
    *real = left;
    return smallest;
  }
  if (fit == m->entry_count)
    return -1;
  *real = (int32_t)m->entries[fit].tokens;
  return fit;
}

/* The tokenizer functions. A parsed tokenizer must not be used by two
 * threads at once (Tokenizer.h), and the model keeps one, so calls take one
 * lock; the reason of a thread's last failure is kept like errno. */
static pthread_mutex_t bitnet_tokenizer_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local char bitnet_tokenizer_message[256];

static void bitnet_tokenizer_fail(const char *why) {
  snprintf(bitnet_tokenizer_message, sizeof(bitnet_tokenizer_message), "%s", why);
}

/* The model's parsed tokenizer, made on first use; NULL (with the reason
 * set) without one. Call with the lock held. */
static bitnet_tokenizer *bitnet_model_tokenizer(const bitnet_model *m) {
  char err[200];
  if (!m || m->abi_version != BITNET_MODEL_ABI || !m->tokenizer || !m->tokenizer_handle) {
    bitnet_tokenizer_fail("the model was compiled without a tokenizer (its checkpoint had "
                          "none, or bitnet-compile --tokenizer=none)");
    return NULL;
  }
  if (!*m->tokenizer_handle) {
    err[0] = '\0';
    *m->tokenizer_handle =
        bitnet_tokenizer_open(m->tokenizer, (uint64_t)m->tokenizer_bytes, err, sizeof(err));
    if (!*m->tokenizer_handle) {
      snprintf(bitnet_tokenizer_message, sizeof(bitnet_tokenizer_message),
               "the model's tokenizer cannot be opened: %s", err);
      return NULL;
    }
  }
  return (bitnet_tokenizer *)*m->tokenizer_handle;
}

/* The status of a tokenizer call, with the reason of an error kept. */
static int32_t bitnet_tokenizer_result(bitnet_tokenizer *t, int32_t status) {
  if (status == BITNET_TOKENIZER_ERROR)
    bitnet_tokenizer_fail(bitnet_tokenizer_error(t));
  else
    bitnet_tokenizer_message[0] = '\0';
  return status;
}

BITNET_WEAK int32_t bitnet_rt2_tokenize(const bitnet_model *model, const char *text,
                                        int32_t text_bytes, int32_t *ids, int32_t max_ids,
                                        int32_t add_special, int32_t parse_special) {
  bitnet_tokenizer *t;
  int32_t status = BITNET_TOKEN_ERROR;
  pthread_mutex_lock(&bitnet_tokenizer_lock);
  if ((t = bitnet_model_tokenizer(model)))
    status = bitnet_tokenizer_result(t, bitnet_tokenizer_tokenize(t, text, text_bytes, ids,
                                                                  max_ids, add_special,
                                                                  parse_special));
  pthread_mutex_unlock(&bitnet_tokenizer_lock);
  return status;
}

BITNET_WEAK int32_t bitnet_rt2_token_to_piece(const bitnet_model *model, int32_t id, char *buf,
                                              int32_t len) {
  bitnet_tokenizer *t;
  int32_t status = BITNET_TOKEN_ERROR;
  pthread_mutex_lock(&bitnet_tokenizer_lock);
  if ((t = bitnet_model_tokenizer(model)))
    status = bitnet_tokenizer_result(t, bitnet_tokenizer_token_to_piece(t, id, buf, len));
  pthread_mutex_unlock(&bitnet_tokenizer_lock);
  return status;
}

BITNET_WEAK int32_t bitnet_rt2_detokenize(const bitnet_model *model, const int32_t *ids,
                                          int32_t n, char *buf, int32_t len,
                                          int32_t remove_special) {
  bitnet_tokenizer *t;
  int32_t status = BITNET_TOKEN_ERROR;
  pthread_mutex_lock(&bitnet_tokenizer_lock);
  if ((t = bitnet_model_tokenizer(model)))
    status = bitnet_tokenizer_result(
        t, bitnet_tokenizer_detokenize(t, ids, n, buf, len, remove_special));
  pthread_mutex_unlock(&bitnet_tokenizer_lock);
  return status;
}

/* The model's tokenizer asked, under the tokenizer lock, for its
 * beginning- or end-of-sequence id or whether `id` ends generation;
 * `fallback` without a tokenizer. */
enum bitnet_token_query { BITNET_QUERY_BOS, BITNET_QUERY_EOS, BITNET_QUERY_EOG };
static int32_t bitnet_token_query(const bitnet_model *model, enum bitnet_token_query query,
                                  int32_t id, int32_t fallback) {
  bitnet_tokenizer *t;
  int32_t answer = fallback;
  pthread_mutex_lock(&bitnet_tokenizer_lock);
  if ((t = bitnet_model_tokenizer(model)))
    answer = query == BITNET_QUERY_BOS   ? bitnet_tokenizer_bos(t)
             : query == BITNET_QUERY_EOS ? bitnet_tokenizer_eos(t)
                                         : bitnet_tokenizer_is_eog(t, id) != 0;
  pthread_mutex_unlock(&bitnet_tokenizer_lock);
  return answer;
}

BITNET_WEAK int32_t bitnet_rt2_token_bos(const bitnet_model *model) {
  return bitnet_token_query(model, BITNET_QUERY_BOS, 0, -1);
}

BITNET_WEAK int32_t bitnet_rt2_token_eos(const bitnet_model *model) {
  return bitnet_token_query(model, BITNET_QUERY_EOS, 0, -1);
}

BITNET_WEAK int32_t bitnet_rt2_token_is_eog(const bitnet_model *model, int32_t id) {
  return bitnet_token_query(model, BITNET_QUERY_EOG, id, 0);
}

BITNET_WEAK const char *bitnet_rt2_tokenizer_error(const bitnet_model *model) {
  (void)model;
  return bitnet_tokenizer_message;
}

BITNET_WEAK int32_t bitnet_rt2_with_pool(int32_t threads, int32_t (*fn)(void *arg),
                                         void *arg) {
  const int32_t outer_budget = bitnet_thread_budget;
  struct bitnet_pool *const outer_pool = bitnet_current_pool;
  bitnet_state *const outer_state = bitnet_current_state;
  struct bitnet_pool *pool = NULL;
  int32_t status;
  if (threads < 1 || !fn)
    return -1;
  if (threads > 1 && !(pool = bitnet_pool_create(threads - 1)))
    return -1;
  pthread_once(&bitnet_runtime_hooks_installed, bitnet_install_runtime_hooks);
  bitnet_thread_budget = threads;
  bitnet_current_pool = pool;
  bitnet_current_state = NULL;
  if (pool)
    bitnet_pool_set_active(pool, 1);
  status = fn(arg);
  if (pool) {
    bitnet_pool_set_active(pool, 0);
    bitnet_pool_destroy(pool);
  }
  bitnet_thread_budget = outer_budget;
  bitnet_current_pool = outer_pool;
  bitnet_current_state = outer_state;
  return status;
}

/* The chunks of a checked forward pass (bitnet_rt2_forward). */
static int32_t bitnet_run_chunks(bitnet_state *s, const int32_t *tokens, int32_t count,
                                 int32_t pos, int32_t rows, float *logits) {
  const bitnet_model *m = s->model;
  const int may_pad = rows != BITNET_LOGITS_ALL;
  int32_t n, real = 0, status = 0;
  int64_t e;
  while (count > 0 && status == 0) {
    const int32_t *chunk = tokens;
    e = bitnet_next_chunk(m, count, pos, s->context, may_pad, &real);
    n = (int32_t)m->entries[e].tokens;
    if (real < n) {
      /* Padding: token 0 after the real ones (state scratch, entries[0] long). */
      memcpy(s->padded_tokens, tokens, sizeof(int32_t) * (size_t)real);
      memset(s->padded_tokens + real, 0, sizeof(int32_t) * (size_t)(n - real));
      chunk = s->padded_tokens;
    }
    status = m->entries[e].body(chunk, pos, s->k_cache, s->v_cache, s->hidden);
    if (status == 0 && rows == BITNET_LOGITS_ALL) {
      status = m->entries[e].logits(s->hidden, logits);
      logits += (size_t)n * (size_t)m->vocab;
    }
    tokens += real;
    pos += real;
    count -= real;
  }
  /* The last chunk's last real row holds the last token's hidden state. */
  if (status == 0 && rows == BITNET_LOGITS_LAST && real > 0)
    status = m->last_logits(s->hidden + (size_t)(real - 1) * (size_t)m->hidden, logits);
  return status;
}

BITNET_WEAK int32_t bitnet_rt2_forward(bitnet_state *s, const int32_t *tokens, int32_t count,
                                       int32_t pos, int32_t rows, float *logits) {
  const bitnet_model *m;
  int32_t i, left, at, real = 0, status, outer_budget;
  struct bitnet_pool *outer_pool;
  bitnet_state *outer_state;
  jmp_buf abort_pass;
  /* Only the last token's logits (or none) let a chunk carry padding. */
  const int may_pad = rows != BITNET_LOGITS_ALL;
  if (!s || (!tokens && count > 0))
    return -1;
  if (rows != BITNET_LOGITS_LAST && rows != BITNET_LOGITS_ALL && rows != BITNET_LOGITS_NONE)
    return -1;
  if (!logits && rows != BITNET_LOGITS_NONE)
    return -1;
  m = s->model;
  if (count < 0 || pos < 0 || pos > s->context - count)
    return -1;
  for (i = 0; i < count; ++i)
    if (tokens[i] < 0 || tokens[i] >= m->vocab)
      return -1;
  /* Check that the chunking covers `count` before running anything. */
  for (left = count, at = pos; left > 0; left -= real, at += real)
    if (bitnet_next_chunk(m, left, at, s->context, may_pad, &real) < 0)
      return -1;
  outer_budget = bitnet_thread_budget;
  outer_pool = bitnet_current_pool;
  outer_state = bitnet_current_state;
  bitnet_thread_budget = s->threads;
  bitnet_current_pool = s->pool;
  bitnet_current_state = s;
  s->runtime_errors = 0;
  s->live_buffers = NULL;
  s->pass_abort = &abort_pass;
  if (s->pool)
    bitnet_pool_set_active(s->pool, 1);
  if (setjmp(abort_pass) == 0) {
    status = bitnet_run_chunks(s, tokens, count, pos, rows, logits);
  } else {
    /* A glue buffer could not be allocated (bitnet_out_of_memory): the
     * buffers the glue held go back to the C library, which is short. */
    bitnet_buffer_header *h = (bitnet_buffer_header *)s->live_buffers;
    while (h) {
      bitnet_buffer_header *next = h->next;
      free(h);
      h = next;
    }
    status = -11; /* halide_error_code_out_of_memory */
  }
  s->pass_abort = NULL;
  s->live_buffers = NULL;
  if (s->pool)
    bitnet_pool_set_active(s->pool, 0);
  /* An error the Halide runtime reported while every call returned 0 (one
   * whose status the glue does not check): the logits are not the model's. */
  if (status == 0 && s->runtime_errors > 0)
    status = -11;
  if (s->runtime_errors > 1) {
    char more[64];
    snprintf(more, sizeof more, "%d more errors in this forward pass",
             (int)(s->runtime_errors - 1));
    bitnet_report(more);
  }
  bitnet_thread_budget = outer_budget;
  bitnet_current_pool = outer_pool;
  bitnet_current_state = outer_state;
  return status;
}

BITNET_WEAK void bitnet_rt2_reset(bitnet_state *s) {
  size_t floats;
  if (!s)
    return;
  floats = (size_t)s->model->layers * (size_t)s->model->context * (size_t)s->model->kv_dim;
  memset(s->k_cache, 0, sizeof(float) * floats);
  memset(s->v_cache, 0, sizeof(float) * floats);
  if (s->device_buffers) { /* the zeroed caches go over at the next use */
    s->device_buffers->buffer[BITNET_DEVICE_K].flags = halide_buffer_flag_host_dirty;
    s->device_buffers->buffer[BITNET_DEVICE_V].flags = halide_buffer_flag_host_dirty;
  }
}

BITNET_WEAK void bitnet_rt2_destroy(bitnet_state *s) {
  if (!s)
    return;
  bitnet_pool_destroy(s->pool);
  while (s->spare_count > 0)
    free(bitnet_header_of(s->spare_buffers[--s->spare_count]));
  free(s->spare_buffers);
  if (s->device_buffers) {
    int i;
    for (i = 0; i < BITNET_DEVICE_STATE_BUFFERS; ++i)
      (void)halide_device_free(NULL, &s->device_buffers->buffer[i]);
    free(s->device_buffers);
  }
  free(s->k_cache);
  free(s->v_cache);
  free(s->hidden);
  free(s->padded_tokens);
  free(s->profile);
  free(s);
}

BITNET_WEAK int32_t bitnet_rt2_profile(bitnet_state *s, int32_t enable) {
  if (!s)
    return -1;
  free(s->profile);
  s->profile = NULL;
  s->profile_count = 0;
  if (!enable)
    return 0;
  s->profile = (bitnet_profile_entry *)calloc(BITNET_PROFILE_LOOPS, sizeof(bitnet_profile_entry));
  return s->profile ? 0 : -1;
}

BITNET_WEAK int32_t bitnet_rt2_profile_read(const bitnet_state *s,
                                            const bitnet_profile_entry **entries) {
  if (!s || !entries)
    return 0;
  *entries = s->profile;
  return s->profile ? s->profile_count : 0;
}

/* Asks the kernel to back the whole 2 MiB pages inside [data, data + bytes)
 * with transparent huge pages, before they are first written. Generation
 * streams every weight once a token; with 4 KiB pages each one costs a TLB
 * miss, which a virtual machine's nested page tables make dear: one core read
 * the 656 MB f16 head at 25-29 GB/s from 4 KiB pages and 35-37 GB/s from
 * huge pages (Zen 5 VM, timed alone). Advice only: nothing fails without. */
static void bitnet_advise_huge_pages(void *data, uint64_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  const uintptr_t huge = (uintptr_t)2 << 20;
  uintptr_t begin = ((uintptr_t)data + huge - 1) & ~(huge - 1);
  uintptr_t end = ((uintptr_t)data + (uintptr_t)bytes) & ~(huge - 1);
  if (end > begin)
    (void)madvise((void *)begin, end - begin, MADV_HUGEPAGE);
#else
  (void)data;
  (void)bytes;
#endif
}

BITNET_WEAK int32_t bitnet_rt2_load_zero_weights(const bitnet_model *m) {
  int64_t i;
  if (!m || !m->weights_loaded)
    return -1;
  for (i = 0; i < (int64_t)m->weights_info[1]; ++i) {
    const bitnet_weight_slot *slot = &m->weight_slots[i];
    bitnet_advise_huge_pages(slot->data, (uint64_t)slot->bytes);
    memset(slot->data, 0, (size_t)slot->bytes);
  }
  *m->weights_loaded = 1;
  return 0;
}

BITNET_WEAK const char *bitnet_rt2_weights_error(int32_t status) {
  switch (status) {
  case 0:
    return NULL;
  case -1:
    return "this model's weights are embedded: it takes no weights file";
  case -2:
    return "cannot open the weights file, or it is no regular file";
  case -3:
    return "not a bitnet weights file";
  case -4:
    return "the weights of another compile of the model";
  case -5:
    return "truncated weights file";
  case -6:
    return "the weights data does not match its checksum (corrupted, replaced or extended "
           "after the compile)";
  default:
    return "cannot load the weights";
  }
}

BITNET_WEAK int32_t bitnet_rt2_load_weights(const bitnet_model *m, const char *path) {
  unsigned char head[64];
  uint64_t info[3];
  int64_t i;
  long end;
  bitnet_checksum checksum;
  struct stat st;
  FILE *f;
  int fd;
  if (!m || !m->weights_loaded)
    return -1;
  if (!path)
    return -2;
  /* O_NONBLOCK: a FIFO must not wait for a writer; only regular files are
   * read. */
  fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return -2;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !(f = fdopen(fd, "rb"))) {
    close(fd);
    return -2;
  }
  if (fread(head, 1, 64, f) != 64 || memcmp(head, "BITNETW\1", 8) != 0) {
    fclose(f);
    return -3;
  }
  for (i = 0; i < 3; ++i) {
    int b;
    info[i] = 0;
    for (b = 7; b >= 0; --b)
      info[i] = (info[i] << 8) | head[8 + 8 * i + b];
    if (info[i] != m->weights_info[i]) {
      fclose(f);
      return -4;
    }
  }
  /* Exactly the size written: a shorter file is truncated, a longer one
   * carries bytes that do not belong to it. */
  if (fseek(f, 0, SEEK_END) != 0 || (end = ftell(f)) < 0) {
    fclose(f);
    return -5;
  }
  if ((uint64_t)end != info[2]) {
    fclose(f);
    return (uint64_t)end < info[2] ? -5 : -6;
  }
  /* The slots are overwritten from here on: until the checksum holds, the
   * model is not loaded (a failed reload must not leave the flag set over
   * bytes it did not check). */
  *m->weights_loaded = 0;
  bitnet_checksum_init(&checksum);
  for (i = 0; i < (int64_t)info[1]; ++i) {
    const bitnet_weight_slot *slot = &m->weight_slots[i];
    bitnet_advise_huge_pages(slot->data, (uint64_t)slot->bytes);
    if (fseek(f, (long)slot->offset, SEEK_SET) != 0 ||
        fread(slot->data, 1, (size_t)slot->bytes, f) != (size_t)slot->bytes) {
      fclose(f);
      return -5;
    }
    bitnet_checksum_add_u64(&checksum, (uint64_t)slot->bytes);
    bitnet_checksum_add(&checksum, slot->data, (size_t)slot->bytes);
  }
  fclose(f);
  if (bitnet_checksum_final(&checksum) != info[0])
    return -6;
  *m->weights_loaded = 1;
  return 0;
}
