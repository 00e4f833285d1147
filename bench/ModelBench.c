/*===- ModelBench.c - A compiled model's tokens/s, without LLVM ----------===*
 *
 * bitnet-run --bench measures a compiled model, but it links LLVM's
 * libraries, which a device machine that is handed executables alone does
 * not have. This C program needs only libc and libdl: it dlopens a model
 * compiled with --emit=shared, loads its weights file (or, with
 * --zero-weights, zero weights: the kernels take the same time on any
 * values, for machines that get the object without its weights file), and
 * times prompt processing of -p tokens in one forward call and generation
 * of -n tokens one at a time from position 0 (bitnet-run --bench's two
 * tests; the mean of -r repetitions after one warm-up). With --bandwidth
 * (GB/s, measured on the same machine, e.g. by bitnet-bench-gpu) it also
 * prints the generation's weight traffic as a fraction of it.
 *
 *   bitnet-bench-model MODEL.so NAME [--weights FILE | --zero-weights]
 *                      [-p 128] [-n 64] [-r 3] [-t 1] [--bandwidth GBS]
 *
 *===----------------------------------------------------------------------===*/

#include "bitnet/Runtime/ModelAPI.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* NULL when `path` is a 64-bit ELF shared library whose program and
 * section headers and loadable segments lie inside the file, else why not:
 * dlopen of a truncated copy maps pages with no file behind them and dies
 * of SIGBUS at the first touch (bitnet-run checks the same with LLVM). */
static const char *truncated_or_not_a_library(const char *path) {
  static char why[160];
  Elf64_Ehdr header;
  Elf64_Phdr segment;
  long size = 0;
  int i;
  struct stat st;
  FILE *f;
  /* O_NONBLOCK: a FIFO must not wait for a writer. */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return "cannot open it";
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !(f = fdopen(fd, "rb"))) {
    close(fd);
    return "not a regular file";
  }
  why[0] = 0;
  if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
      fread(&header, sizeof header, 1, f) != 1 || memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 ||
      header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_type != ET_DYN ||
      header.e_phentsize != sizeof segment)
    snprintf(why, sizeof why, "not a 64-bit ELF shared library");
  else if (header.e_shoff + (unsigned long)header.e_shnum * header.e_shentsize >
               (unsigned long)size ||
           header.e_phoff + (unsigned long)header.e_phnum * sizeof segment > (unsigned long)size)
    snprintf(why, sizeof why, "truncated: its headers reach past the end of the file");
  for (i = 0; !why[0] && i < header.e_phnum; ++i) {
    if (fseek(f, (long)(header.e_phoff + (unsigned long)i * sizeof segment), SEEK_SET) != 0 ||
        fread(&segment, sizeof segment, 1, f) != 1)
      snprintf(why, sizeof why, "unreadable program headers");
    else if (segment.p_type == PT_LOAD && segment.p_offset + segment.p_filesz > (unsigned long)size)
      snprintf(why, sizeof why, "truncated: a loadable segment ends at byte %llu of %ld",
               (unsigned long long)(segment.p_offset + segment.p_filesz), size);
  }
  fclose(f);
  return why[0] ? why : NULL;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#define USAGE_LINE                                                                         \
  "usage: %s MODEL.so NAME [--weights FILE | --zero-weights] [-p N] [-n N] [-r N] [-t N] "  \
  "[--bandwidth GBS]\n"

/* The usage line after why the arguments were refused (`what`, a printf
 * format of one string argument, and that argument). */
static int usage(const char *self, const char *what, const char *arg) {
  if (what) {
    fprintf(stderr, "bitnet-bench-model: error: ");
    fprintf(stderr, what, arg);
    fprintf(stderr, "\n");
  }
  fprintf(stderr, USAGE_LINE, self);
  return 2;
}

static int help(const char *self) {
  printf(USAGE_LINE, self);
  printf("\nTimes a model compiled with bitnet-compile --emit=shared: a prompt of -p tokens in\n"
         "one forward call, then -n tokens generated one at a time from position 0 (the mean\n"
         "tokens/s of -r repetitions after a warm-up), with libc and libdl alone.\n\n"
         "  MODEL.so          the shared library\n"
         "  NAME              the --name it was compiled with (its descriptor is NAME_model)\n"
         "  --weights FILE    its weights file, for a model compiled with --weights=file\n"
         "  --zero-weights    zero weights instead (speed only: no file needed)\n"
         "  -p N              prompt tokens (default 128, or the context if smaller)\n"
         "  -n N              generated tokens (default 64, or the context if smaller)\n"
         "  -r N              repetitions (default 3)\n"
         "  -t N              threads (default 1)\n"
         "  --bandwidth GBS   this machine's memory bandwidth: print the generation's weight\n"
         "                    traffic as a share of it\n");
  return 0;
}

/* A positive integer argument, or -1. */
static long positive(const char *text) {
  char *end;
  long v = strtol(text, &end, 10);
  return (*text && !*end && v > 0 && v < (1L << 30)) ? v : -1;
}

int main(int argc, char **argv) {
  const char *path, *name, *weights = NULL;
  int zero = 0, i;
  long prompt = 128, generated = 64, reps = 3, threads = 1;
  int prompt_given = 0, generated_given = 0;
  double bandwidth = 0;
  char symbol[4096];
  void *handle;
  const bitnet_model *m;
  bitnet_state *s;
  int32_t *ids;
  float *logits;
  double pp = 0, tg = 0;
  for (i = 1; i < argc; ++i)
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
      return help(argv[0]);
  if (argc < 3)
    return usage(argv[0], "give the model and the --name it was compiled with%s", "");
  path = argv[1];
  name = argv[2];
  for (i = 3; i < argc; ++i) {
    long *count = strcmp(argv[i], "-p") == 0   ? &prompt
                  : strcmp(argv[i], "-n") == 0 ? &generated
                  : strcmp(argv[i], "-r") == 0 ? &reps
                  : strcmp(argv[i], "-t") == 0 ? &threads
                                               : NULL;
    if (count && i + 1 < argc) {
      if ((*count = positive(argv[++i])) < 0)
        return usage(argv[0], "%s must be followed by a positive integer", argv[i - 1]);
      prompt_given |= count == &prompt;
      generated_given |= count == &generated;
    } else if (strcmp(argv[i], "--weights") == 0 && i + 1 < argc) {
      weights = argv[++i];
    } else if (strcmp(argv[i], "--zero-weights") == 0) {
      zero = 1;
    } else if (strcmp(argv[i], "--bandwidth") == 0 && i + 1 < argc) {
      char *end;
      bandwidth = strtod(argv[++i], &end);
      if (*end || !(bandwidth > 0 && bandwidth < 1e9))
        return usage(argv[0], "--bandwidth %s is not a positive number of GB/s", argv[i]);
    } else {
      return usage(argv[0], "unknown or incomplete argument '%s'", argv[i]);
    }
  }
  /* A bare file name would make dlopen search the library path. */
  snprintf(symbol, sizeof symbol, "%s%s", strchr(path, '/') ? "" : "./", path);
  {
    const char *why = truncated_or_not_a_library(symbol);
    if (why) {
      fprintf(stderr, "bitnet-bench-model: error: %s: %s\n", path, why);
      return 1;
    }
  }
  handle = dlopen(symbol, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    fprintf(stderr, "bitnet-bench-model: error: %s\n", dlerror());
    return 1;
  }
  snprintf(symbol, sizeof symbol, "%s_model", name);
  m = (const bitnet_model *)dlsym(handle, symbol);
#define BITNET_BENCH_FN(fn) __typeof__(&fn) p_##fn = (__typeof__(&fn))dlsym(handle, #fn)
  BITNET_BENCH_FN(bitnet_rt2_create);
  BITNET_BENCH_FN(bitnet_rt2_forward);
  BITNET_BENCH_FN(bitnet_rt2_reset);
  BITNET_BENCH_FN(bitnet_rt2_destroy);
  BITNET_BENCH_FN(bitnet_rt2_load_weights);
  BITNET_BENCH_FN(bitnet_rt2_load_zero_weights);
  BITNET_BENCH_FN(bitnet_rt2_can_run);
  BITNET_BENCH_FN(bitnet_rt2_weights_error);
  if (!m || !p_bitnet_rt2_create || !p_bitnet_rt2_forward || !p_bitnet_rt2_reset ||
      !p_bitnet_rt2_destroy || !p_bitnet_rt2_load_weights) {
    fprintf(stderr, "bitnet-bench-model: error: %s: no %s or model API (compiled with --name=%s "
                    "and --emit=shared?)\n", path, symbol, name);
    return 1;
  }
  if (m->abi_version != BITNET_MODEL_ABI || !p_bitnet_rt2_can_run ||
      !p_bitnet_rt2_weights_error) {
    fprintf(stderr, "bitnet-bench-model: error: %s: descriptor ABI %lld, this tool reads ABI %d: "
                    "compile it again\n", path, (long long)m->abi_version, BITNET_MODEL_ABI);
    return 1;
  }
  if (!p_bitnet_rt2_can_run(m)) {
    fprintf(stderr, "bitnet-bench-model: error: %s: this CPU lacks what the model was compiled for "
                    "(bitnet-run names it)\n", path);
    return 1;
  }
  if (!m->weight_slots && (weights || zero)) {
    fprintf(stderr, "bitnet-bench-model: error: %s embeds its weights: drop %s\n", path,
            weights ? "--weights" : "--zero-weights");
    return 1;
  }
  if (m->weight_slots) {
    if (zero && !p_bitnet_rt2_load_zero_weights) {
      fprintf(stderr, "bitnet-bench-model: error: %s predates bitnet_rt2_load_zero_weights: "
                      "compile it again\n", path);
      return 1;
    }
    int32_t status = zero      ? p_bitnet_rt2_load_zero_weights(m)
                     : weights ? p_bitnet_rt2_load_weights(m, weights)
                               : -100;
    if (status == -100) {
      fprintf(stderr, "bitnet-bench-model: error: %s keeps its weights in a file: give --weights "
                      "FILE or --zero-weights\n", path);
      return 1;
    }
    if (status != 0) {
      fprintf(stderr, "bitnet-bench-model: error: %s: %s (status %d)\n", zero ? path : weights,
              p_bitnet_rt2_weights_error(status), status);
      return 1;
    }
  }
  /* Defaults that fit a smaller context. */
  if (!prompt_given && prompt > m->context)
    prompt = (long)m->context;
  if (!generated_given && generated > m->context)
    generated = (long)m->context;
  if (prompt > m->context || generated > m->context) {
    fprintf(stderr, "bitnet-bench-model: error: -p and -n must not exceed the context %lld\n",
            (long long)m->context);
    return 1;
  }
  s = p_bitnet_rt2_create(m, 0, (int32_t)threads);
  ids = (int32_t *)malloc(sizeof(int32_t) * (size_t)(prompt > generated ? prompt : generated));
  logits = (float *)malloc(sizeof(float) * (size_t)m->vocab);
  if (!s || !ids || !logits) {
    fprintf(stderr, "bitnet-bench-model: error: cannot create a state (out of memory, or no "
                    "device: see the runtime's message above)\n");
    return 1;
  }
  for (i = 0; i < (prompt > generated ? prompt : generated); ++i)
    ids[i] = (int32_t)((i * 7919L + 11) % m->vocab);
  for (i = 0; i <= reps; ++i) { /* repetition 0 warms up */
    double t0, t1, t2, t3;
    int32_t j, status;
    p_bitnet_rt2_reset(s);
    t0 = now();
    status = p_bitnet_rt2_forward(s, ids, (int32_t)prompt, 0, BITNET_LOGITS_LAST, logits);
    t1 = now();
    p_bitnet_rt2_reset(s);
    t2 = now();
    for (j = 0; j < generated && status == 0; ++j)
      status = p_bitnet_rt2_forward(s, &ids[j], 1, j, BITNET_LOGITS_LAST, logits);
    t3 = now();
    if (status) {
      /* A one-target object's entries (a fat one's are its variants'). */
      const bitnet_model *entries = m->variant_count ? m->variants[0].model : m;
      if (status == -1 && entries->entry_count > 0 &&
          entries->entries[entries->entry_count - 1].tokens > BITNET_PAD_FRACTION)
        fprintf(stderr, "bitnet-bench-model: error: the model refused the call: it has no "
                        "one-token entry point (its smallest takes %lld tokens), so it cannot "
                        "generate; compile it with a one-token entry point\n",
                (long long)entries->entries[entries->entry_count - 1].tokens);
      else
        fprintf(stderr, "bitnet-bench-model: error: forward failed with status %d\n", status);
      return 1;
    }
    if (i > 0) {
      pp += (double)prompt / (t1 - t0) / (double)reps;
      tg += (double)generated / (t3 - t2) / (double)reps;
    }
  }
  printf("%s: %.1f MB read per generated token, context %lld, %ld thread%s%s\n", path,
         (double)m->read_bytes / 1e6, (long long)m->context, threads, threads == 1 ? "" : "s",
         zero ? ", zero weights (speed only)" : "");
  printf("pp%-5ld %10.2f t/s\n", prompt, pp);
  printf("tg%-5ld %10.2f t/s  %8.1f GB/s of weights", generated, tg,
         tg * (double)m->read_bytes / 1e9);
  if (bandwidth > 0)
    printf("  %5.1f%% of %.1f GB/s", 100.0 * tg * (double)m->read_bytes / 1e9 / bandwidth,
           bandwidth);
  printf("\n");
  p_bitnet_rt2_destroy(s);
  free(ids);
  free(logits);
  return 0;
}
