/* ModelAPI.h - the C API of a model compiled by bitnet-compile.
 *
 * Every compiled object exports a descriptor `<name>_model` of type
 * bitnet_model and carries the functions below (lib/Runtime/ModelAPI.c, weak
 * definitions, so that several models link into one program). The generated
 * header embeds this file and wraps the functions as <name>_create etc.;
 * bitnet-run calls them through dlsym on a shared library.
 */
#ifndef BITNET_MODEL_API_H
#define BITNET_MODEL_API_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BITNET_MODEL_ABI 8

/* A compiled model is split where the logits start, so that a prompt's
 * forward pass computes the LM head only for the rows the caller wants.
 *
 * The body of an entry point: `tokens` tokens at positions
 * pos .. pos + tokens - 1, caches [layers][context][kv_dim] updated in place,
 * tokens x hidden final hidden states (before the final norm). Returns 0 or
 * the status of a failing kernel. */
typedef int32_t (*bitnet_body_fn)(const int32_t *tokens, int32_t pos, float *k_cache,
                                  float *v_cache, float *hidden);
/* The head: rows x hidden final hidden states -> rows x vocab logits (final
 * norm, then the LM head). */
typedef int32_t (*bitnet_logits_fn)(const float *hidden, float *logits);
typedef struct bitnet_entry {
  int64_t tokens;
  bitnet_body_fn body;
  bitnet_logits_fn logits; /* for `tokens` rows */
} bitnet_entry;

/* Which logits a forward pass writes. */
typedef enum bitnet_logits_rows {
  BITNET_LOGITS_LAST = 0, /* the last token's: 1 x vocab (what generation needs) */
  BITNET_LOGITS_ALL = 1,  /* every token's: count x vocab */
  BITNET_LOGITS_NONE = 2  /* none (logits may be NULL): fills the KV cache only */
} bitnet_logits_rows;

/* forward() pads a rest of a batch too short for the multi-token entries to
 * the smallest of them when the rest fills at least 1/BITNET_PAD_FRACTION of
 * it (bitnet_rt2_forward). */
#define BITNET_PAD_FRACTION 4

/* A tensor kept in a weights file (bitnet-compile --weights=file). */
typedef struct bitnet_weight_slot {
  void *data;
  int64_t offset, bytes;
} bitnet_weight_slot;

/* CPU features a variant of a fat object (bitnet-compile --target=x86-64
 * or aarch64) needs. */
enum {
  BITNET_CPU_AVX2 = 1,    /* AVX2, FMA, F16C */
  BITNET_CPU_AVXVNNI = 2, /* AVX-VNNI */
  BITNET_CPU_AVX512 = 4,  /* AVX-512 F, BW, VL and VNNI */
  BITNET_CPU_ARM_DOTPROD = 8 /* AArch64 dot product (sdot, HWCAP_ASIMDDP) */
};

/* How the compiler read a checkpoint's linear layers (its --weight-kind),
 * and the LM head's format (--lm-head): what a runner needs to rebuild the
 * golden forward pass of the same checkpoint (bitnet-run --verify). A model
 * compiled from bitnet-dialect IR, whose layers may mix kinds, says
 * BITNET_WEIGHTS_FROM_IR. */
enum {
  BITNET_WEIGHTS_FROM_IR = 0,
  BITNET_WEIGHTS_TERNARY = 1,
  BITNET_WEIGHTS_BINARY = 2,
  BITNET_WEIGHTS_FLOAT = 3
};
enum { BITNET_LM_HEAD_F16 = 0, BITNET_LM_HEAD_INT8 = 1 };

struct bitnet_model;
/* One variant of a fat object: the same model compiled for one target. */
typedef struct bitnet_model_variant {
  const char *name; /* the target, e.g. "x86-64-avx512" */
  int64_t cpu_features; /* BITNET_CPU_* bits it needs */
  const struct bitnet_model *model;
} bitnet_model_variant;

typedef struct bitnet_model {
  int64_t abi_version; /* BITNET_MODEL_ABI */
  int64_t vocab, layers, context, kv_dim, hidden;
  int64_t entry_count;
  const bitnet_entry *entries; /* largest token count first */
  bitnet_logits_fn last_logits; /* the head for one row */
  /* Weights in a file: slots, {fingerprint, slot count, file size}, and the
   * flag set once loaded; all NULL when the weights are embedded. */
  const bitnet_weight_slot *weight_slots;
  const uint64_t *weights_info;
  int32_t *weights_loaded;
  /* Bytes of the model's constants (packed weights, norms, embedding, LM
   * head), and of those one generated token reads: all but the tables it
   * only gathers rows from (the embedding, unless it is also the LM head). */
  int64_t weight_bytes;
  int64_t read_bytes;
  /* A fat object's descriptor: its variants, best first, and no entries of
   * its own; create() runs the first one this CPU can (or the one named by
   * the environment variable BITNET_VARIANT, for tests: NULL if this CPU
   * cannot run it). 0 and NULL in a one-target object. */
  int64_t variant_count;
  const bitnet_model_variant *variants;
  /* The tokenizer compiled in from the checkpoint (the blob of
   * bitnet/Runtime/Tokenizer.h) and a writable slot for its parsed form,
   * made at first use; NULL, 0 and NULL without one. A fat object keeps it
   * in its own descriptor, not in the variants'. */
  const uint8_t *tokenizer;
  int64_t tokenizer_bytes;
  void **tokenizer_handle;
  /* The checkpoint's chat template (its Jinja text, NUL-terminated), which
   * runners match against the formats they know; NULL without one. */
  const char *chat_template;
  int64_t weight_kind; /* BITNET_WEIGHTS_* */
  int64_t lm_head;     /* BITNET_LM_HEAD_* */
  /* BITNET_CPU_* bits the model's code needs (a one-target object compiled
   * for x86-64-avx512, say); 0 in a fat object's descriptor, whose variants
   * say theirs. */
  int64_t cpu_features;
} bitnet_model;

/* The time a state's forward passes spent in one parallel loop (its Halide
 * task function; dladdr names it, e.g. <name>_bitlinear_<hash>_par_for_...). */
typedef struct bitnet_profile_entry {
  const void *task;
  int64_t calls;
  int64_t nanoseconds;
} bitnet_profile_entry;

typedef struct bitnet_state {
  const bitnet_model *model;
  float *k_cache, *v_cache;
  int32_t context;
  int32_t threads; /* 0: every thread of the Halide pool */
  struct bitnet_pool *pool; /* threads - 1 workers; NULL below 2 threads */
  float *hidden; /* largest token count x hidden: one chunk's hidden states */
  int32_t *padded_tokens; /* largest token count: a padded chunk's tokens */
  /* The glue's freed buffers, kept for the next forward pass (ModelAPI.c). */
  void **spare_buffers;
  int32_t spare_count, spare_capacity;
  /* Parallel loops timed while profiling (NULL when off). */
  bitnet_profile_entry *profile;
  int32_t profile_count;
  /* A GPU model's KV caches and hidden-state rows on the device, kept
   * between calls (ModelAPI.c; NULL until a GPU kernel first uses them). */
  struct bitnet_device_buffers *device_buffers;
  /* Errors the Halide runtime reported during the running forward pass:
   * the first is printed, the rest counted (a GPU model without its device
   * fails every device call of the pass). */
  int32_t runtime_errors;
  /* During a forward pass: where a glue buffer that cannot be allocated
   * ends the pass (a jmp_buf), and the glue's buffers not yet freed, which
   * that ends (ModelAPI.c). NULL outside a pass. */
  void *pass_abort;
  void *live_buffers;
} bitnet_state;

/* A state with room for `context` tokens (0 or more than the compiled
 * context: the compiled context; a smaller one bounds the positions, not
 * the memory: the KV caches always have the compiled context's rows, the
 * layout the compiled code indexes) whose forward passes run on `threads`
 * threads: the caller's and, from 2 on, threads - 1 workers the state owns,
 * which spin while a forward pass runs and sleep between passes (so give it
 * no more threads than cores); 0: all of the Halide runtime's pool, which
 * has one thread per core unless HL_NUM_THREADS says otherwise. States with
 * different counts may run at once. NULL when
 * out of memory, for a descriptor of another ABI, on a CPU that lacks what
 * the model needs (bitnet_rt2_can_run), or while file weights are not
 * loaded. The first create installs the model API's parallel-for and
 * error handler in the Halide runtime (halide_set_custom_do_par_for,
 * halide_set_error_handler: a failing kernel's message goes to stderr and
 * its status comes back from forward, where Halide's own handler would
 * abort the process). */
bitnet_state *bitnet_rt2_create(const bitnet_model *model, int32_t context, int32_t threads);

/* 1 when this CPU can run the model (has its cpu_features; for a fat
 * object, one of its variants does, or the one BITNET_VARIANT names), else
 * 0: its kernels would stop at the first instruction the CPU lacks. */
int32_t bitnet_rt2_can_run(const bitnet_model *model);

/* Runs `count` tokens at positions pos .. pos + count - 1 in chunks of the
 * compiled token counts (largest first) and writes the logits `rows` asks
 * for (bitnet_logits_rows): the last token's (1 x vocab), every token's
 * (count x vocab) or none. The LM head runs only for those rows. Without
 * BITNET_LOGITS_ALL, a rest too short for the multi-token entries but at
 * least a quarter of the smallest one runs as that entry, padded (a single
 * token only where no one-token entry exists): its
 * padding may write KV-cache rows after pos + count - 1 (up to the entry's
 * length, within the context), which later tokens overwrite before reading.
 * Returns 0; -1 for a NULL state or tokens, NULL logits when rows asks for
 * some, an unknown `rows`, a token id outside [0, vocab), positions beyond
 * the state's context, or a count no chunking covers (nothing is run then);
 * a count of 0 runs nothing and writes no logits (returns 0);
 * or the status of a failing kernel; -11 (Halide's out-of-memory code) when
 * a buffer of the pass could not be allocated: the pass stops there, gives
 * back the buffers it held, and leaves the cache rows from pos on
 * unspecified (run those tokens again). */
int32_t bitnet_rt2_forward(bitnet_state *state, const int32_t *tokens, int32_t count,
                           int32_t pos, int32_t rows, float *logits);

/* Forgets every token (the next forward starts at position 0). NULL: no-op. */
void bitnet_rt2_reset(bitnet_state *state);
void bitnet_rt2_destroy(bitnet_state *state);

/* Profiling (bitnet-run --profile): enable != 0 starts recording, from
 * zero, the wall time of every top-level parallel loop of the state's
 * forward passes by task function (0 stops and forgets). Returns 0, or -1
 * for a NULL state or when out of memory. profile_read gives the entries
 * recorded so far and their count (0 when off). */
int32_t bitnet_rt2_profile(bitnet_state *state, int32_t enable);
int32_t bitnet_rt2_profile_read(const bitnet_state *state, const bitnet_profile_entry **entries);

/* Reads the weights file of a model compiled with --weights=file. Returns 0;
 * -1 if the model's weights are embedded (or `model` is NULL); -2 if the
 * file cannot be opened (or `path` is NULL) or is no regular file (a FIFO,
 * a device, a directory);
 * -3 if it is not a bitnet weights file; -4 if it belongs to another model
 * (fingerprint, slot count or size differ); -5 if it is truncated; -6 if its
 * data does not match the fingerprint (corrupted or substituted bytes, or
 * bytes appended). The model stays unloaded on any error; an error while
 * reloading a loaded model (after its header checked out) unloads it, and
 * states created before read whatever the failed load left: destroy them. A GPU model
 * (cuda-*, opencl) copies its constants to the device at its first forward
 * pass and keeps them there for the life of the process: load the weights
 * before that pass, and let one thread run it before others start. */
int32_t bitnet_rt2_load_weights(const bitnet_model *model, const char *path);

/* What a status of bitnet_rt2_load_weights means, as a phrase for messages
 * ("truncated weights file"); NULL for 0. */
const char *bitnet_rt2_weights_error(int32_t status);

/* For speed measurements without the weights file (a device machine that
 * has the compiled object alone): fills the slots of a --weights=file model
 * with zero bytes and marks it loaded. Kernels take the same time on any
 * values; the model's outputs are meaningless. Returns 0, or -1 if the
 * model's weights are embedded. */
int32_t bitnet_rt2_load_zero_weights(const bitnet_model *model);

/* Text in and out through the model's tokenizer, with llama.cpp's return
 * conventions: tokenize writes at most max_ids ids and returns their count,
 * or minus the count needed when max_ids is too small (nothing written);
 * token_to_piece and detokenize return the bytes written (no NUL added), or
 * minus the bytes needed. add_special adds the BOS (and EOS) token the
 * vocabulary asks for; parse_special reads special tokens written in the
 * text (e.g. "<|eot_id|>") as themselves; remove_special drops them from
 * detokenized text. These three return BITNET_TOKEN_ERROR for a model
 * compiled without a tokenizer, an id outside the vocabulary or a
 * tokenizer that cannot run (a byte-level BPE needs libpcre2-8.so.0);
 * bitnet_rt2_tokenizer_error says why. Calls from several threads are
 * serialized. */
#define BITNET_TOKEN_ERROR INT32_MIN
int32_t bitnet_rt2_tokenize(const bitnet_model *model, const char *text, int32_t text_bytes,
                            int32_t *ids, int32_t max_ids, int32_t add_special,
                            int32_t parse_special);
int32_t bitnet_rt2_token_to_piece(const bitnet_model *model, int32_t id, char *buf,
                                  int32_t len);
int32_t bitnet_rt2_detokenize(const bitnet_model *model, const int32_t *ids, int32_t n,
                              char *buf, int32_t len, int32_t remove_special);
/* The BOS / EOS ids (-1: none, or no tokenizer); whether `id` ends
 * generation (EOS, end-of-turn and the like; 0 for an id outside the
 * vocabulary or without a tokenizer). */
int32_t bitnet_rt2_token_bos(const bitnet_model *model);
int32_t bitnet_rt2_token_eos(const bitnet_model *model);
int32_t bitnet_rt2_token_is_eog(const bitnet_model *model, int32_t id);
/* Why the last tokenizer call returned BITNET_TOKEN_ERROR, or "". */
const char *bitnet_rt2_tokenizer_error(const bitnet_model *model);

/* Calls fn(arg) with the parallel loops of Halide kernels it calls run as a
 * state of `threads` threads runs them in forward (the same pool, spinning
 * workers and guided scheduling): bitnet-tune times candidate kernels under
 * it. Returns fn's result, or -1 when threads < 1 or no worker could be
 * started. */
int32_t bitnet_rt2_with_pool(int32_t threads, int32_t (*fn)(void *arg), void *arg);

#ifdef __cplusplus
}
#endif

#endif /* BITNET_MODEL_API_H */
