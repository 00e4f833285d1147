/* Tokenizer.c - the tokenizer compiled models carry (Tokenizer.h).
 *
 * C11 and libc only, so that it links into a compiled model like
 * ModelAPI.c: PCRE2 is reached through dlopen, never linked. Definitions are
 * weak for the same reason as ModelAPI.c's (several models in one program
 * carry identical copies).
 *
 * Behaviour follows llama.cpp's llama-vocab.cpp (llm_tokenizer_spm,
 * llm_tokenizer_bpe, tokenizer_st_partition, token_to_piece) and Hugging
 * Face tokenizers' BPE model; docs/Tokenizer.md lists where it differs.
 */
/* dlopen; snprintf */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include "bitnet/Runtime/Tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <dlfcn.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BITNET_WEAK __attribute__((weak))

/* The PCRE2 functions the pre-tokenizer needs, resolved with dlsym. */
typedef pcre2_code *(*pcre2_compile_fn)(PCRE2_SPTR, PCRE2_SIZE, uint32_t, int *,
                                        PCRE2_SIZE *, pcre2_compile_context *);
typedef int (*pcre2_jit_compile_fn)(pcre2_code *, uint32_t);
typedef int (*pcre2_match_fn)(const pcre2_code *, PCRE2_SPTR, PCRE2_SIZE, PCRE2_SIZE,
                              uint32_t, pcre2_match_data *, pcre2_match_context *);
typedef pcre2_match_data *(*pcre2_match_data_create_fn)(const pcre2_code *,
                                                       pcre2_general_context *);
typedef void (*pcre2_match_data_free_fn)(pcre2_match_data *);
typedef PCRE2_SIZE *(*pcre2_get_ovector_fn)(pcre2_match_data *);
typedef void (*pcre2_code_free_fn)(pcre2_code *);
typedef int (*pcre2_get_error_message_fn)(int, PCRE2_UCHAR *, PCRE2_SIZE);

typedef struct regex_state {
  int ready;  /* 0: not tried yet, 1: compiled, -1: failed (error says why) */
  void *library;
  pcre2_code *code;
  pcre2_match_data *match;
  pcre2_match_fn match_fn;
  pcre2_get_ovector_fn ovector_fn;
  pcre2_match_data_free_fn match_data_free_fn;
  pcre2_code_free_fn code_free_fn;
} regex_state;

typedef struct pair_slot {
  int32_t left, right; /* left < 0: empty */
  int32_t rank, result;
} pair_slot;

typedef struct special_token {
  uint32_t length;
  int32_t id;
} special_token;

struct bitnet_tokenizer {
  int32_t kind, pre;
  uint32_t flags;
  int32_t bos, eos, unk, pad;
  int32_t n_tokens;
  uint32_t n_merges, n_eog, string_bytes, max_token_bytes;
  uint32_t *offsets;   /* n_tokens + 1 */
  float *scores;
  uint8_t *types;
  char *strings;
  int32_t *merges; /* n_merges (left, right) pairs, best first */
  int32_t *eog;
  /* Token text -> id, for the tokens text may turn into (normal and
   * user-defined): open addressing, -1 empty. */
  int32_t *token_table;
  uint32_t token_mask;
  /* (left, right) -> rank and merged token. */
  pair_slot *pair_table;
  uint32_t pair_mask;
  /* The token each byte falls back to (-1: none): <0xXX> for Llama, the
   * byte's GPT-2 character for Gpt2. */
  int32_t byte_token[256];
  /* Tokens matched in text before tokenizing (tokenizer_st_partition):
   * control, user-defined and unknown ones, longest first. */
  special_token *specials;
  int32_t n_specials;
  char *scratch; /* max_token_bytes, for detokenize */
  regex_state regex;
  char error[256];
};

/*===------------------------------------------------------------------===*
 * Small helpers
 *===------------------------------------------------------------------===*/

static void set_error(bitnet_tokenizer *tok, const char *format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(tok->error, sizeof tok->error, format, args);
  va_end(args);
}

static uint32_t load_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t load_u64(const uint8_t *p) {
  return (uint64_t)load_u32(p) | (uint64_t)load_u32(p + 4) << 32;
}

static uint32_t hash_bytes(const char *s, size_t n) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (size_t i = 0; i < n; ++i)
    h = (h ^ (uint8_t)s[i]) * 16777619u;
  return h;
}

static uint32_t hash_pair(int32_t a, int32_t b) {
  uint64_t x = ((uint64_t)(uint32_t)a << 32 | (uint32_t)b) * 0x9E3779B97F4A7C15ull;
  return (uint32_t)(x >> 32) ^ (uint32_t)x;
}

/* The smallest power of two >= 2 n (a table at most half full). */
static uint32_t table_size(uint32_t n) {
  uint32_t size = 16;
  while (size < 2 * (uint64_t)n)
    size *= 2;
  return size;
}

static const char *token_text(const bitnet_tokenizer *tok, int32_t id, uint32_t *length) {
  *length = tok->offsets[id + 1] - tok->offsets[id];
  return tok->strings + tok->offsets[id];
}

static int32_t find_token(const bitnet_tokenizer *tok, const char *s, size_t n) {
  for (uint32_t i = hash_bytes(s, n) & tok->token_mask;; i = (i + 1) & tok->token_mask) {
    int32_t id = tok->token_table[i];
    if (id < 0)
      return -1;
    uint32_t length;
    const char *text = token_text(tok, id, &length);
    if (length == n && memcmp(text, s, n) == 0)
      return id;
  }
}

static const pair_slot *find_pair(const bitnet_tokenizer *tok, int32_t left, int32_t right) {
  if (!tok->pair_table)
    return NULL;
  for (uint32_t i = hash_pair(left, right) & tok->pair_mask;; i = (i + 1) & tok->pair_mask) {
    const pair_slot *slot = &tok->pair_table[i];
    if (slot->left < 0)
      return NULL;
    if (slot->left == left && slot->right == right)
      return slot;
  }
}

/* The length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, at most U+10FFFF), or 0 when it is not one. */
static size_t utf8_sequence(const uint8_t *s, size_t n) {
  uint8_t c = s[0];
  if (c < 0x80)
    return 1;
  size_t length;
  uint8_t low = 0x80, high = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    length = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    length = 3;
    if (c == 0xE0)
      low = 0xA0;
    else if (c == 0xED)
      high = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    length = 4;
    if (c == 0xF0)
      low = 0x90;
    else if (c == 0xF4)
      high = 0x8F;
  } else {
    return 0;
  }
  if (n < length || s[1] < low || s[1] > high)
    return 0;
  for (size_t i = 2; i < length; ++i)
    if (s[i] < 0x80 || s[i] > 0xBF)
      return 0;
  return length;
}

/* GPT-2's byte-to-unicode table (openai/gpt-2 encoder.py bytes_to_unicode):
 * printable Latin-1 bytes ('!'..'~', U+00A1..U+00AC, U+00AE..U+00FF) stand
 * for themselves, the 68 others for U+0100.. in byte order. */
static uint32_t gpt2_codepoint(uint8_t b) {
  if ((b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE)
    return b;
  if (b <= 0x20)
    return 0x100 + b;
  if (b <= 0xA0)
    return 0x100 + 33 + (b - 0x7F);
  return 0x100 + 67; /* 0xAD */
}

/* The inverse; -1 for a code point outside the alphabet. */
static int gpt2_byte(uint32_t cp) {
  if (cp < 0x100)
    return gpt2_codepoint((uint8_t)cp) == cp ? (int)cp : -1;
  if (cp < 0x100 + 33)
    return (int)(cp - 0x100);
  if (cp < 0x100 + 67)
    return (int)(0x7F + cp - 0x100 - 33);
  return cp == 0x100 + 67 ? 0xAD : -1;
}

/* Appends the UTF-8 form of cp (< U+0800: what the GPT-2 alphabet needs). */
static size_t put_small_codepoint(char *out, uint32_t cp) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  out[0] = (char)(0xC0 | cp >> 6);
  out[1] = (char)(0x80 | (cp & 0x3F));
  return 2;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/* The byte of a "<0xXX>" token, or -1. */
static int byte_token_value(const char *text, uint32_t length) {
  if (length != 6 || memcmp(text, "<0x", 3) != 0 || text[5] != '>')
    return -1;
  int high = hex_digit(text[3]), low = hex_digit(text[4]);
  return high < 0 || low < 0 ? -1 : high * 16 + low;
}

/* A growable array of ids. */
typedef struct id_vector {
  int32_t *data;
  size_t size, capacity;
} id_vector;

static int push_id(id_vector *v, int32_t id) {
  if (v->size == v->capacity) {
    size_t capacity = v->capacity ? 2 * v->capacity : 64;
    int32_t *data = realloc(v->data, capacity * sizeof *data);
    if (!data)
      return 0;
    v->data = data;
    v->capacity = capacity;
  }
  v->data[v->size++] = id;
  return 1;
}

/* Grows *buffer to hold at least `count` elements of `size` bytes. */
static int reserve(void **buffer, size_t *capacity, size_t count, size_t size) {
  if (count <= *capacity)
    return 1;
  size_t want = *capacity ? *capacity : 64;
  while (want < count)
    want *= 2;
  if (want > SIZE_MAX / size)
    return 0;
  void *grown = realloc(*buffer, want * size);
  if (!grown)
    return 0;
  *buffer = grown;
  *capacity = want;
  return 1;
}

/*===------------------------------------------------------------------===*
 * Opening a blob
 *===------------------------------------------------------------------===*/

static int open_error(char *err, size_t err_len, const char *format, ...) {
  if (err && err_len > 0) {
    va_list args;
    va_start(args, format);
    int n = snprintf(err, err_len, "tokenizer blob: ");
    if (n >= 0 && (size_t)n < err_len)
      vsnprintf(err + n, err_len - (size_t)n, format, args);
    va_end(args);
  }
  return 0;
}

static uint64_t align4(uint64_t n) { return (n + 3) & ~(uint64_t)3; }

static int all_zero(const uint8_t *p, uint64_t n) {
  for (uint64_t i = 0; i < n; ++i)
    if (p[i])
      return 0;
  return 1;
}

static int compare_specials(const void *a, const void *b) {
  const special_token *x = a, *y = b;
  if (x->length != y->length)
    return x->length > y->length ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

/* Whether text may turn into the token through BPE (not only through the
 * special-token match): SentencePiece never produces control, unknown or
 * unused pieces from text, nor byte pieces except as the fallback. */
static int mergeable(uint8_t type) {
  return type == BITNET_TOKEN_NORMAL || type == BITNET_TOKEN_USER_DEFINED;
}

/* Everything after the header has been checked: builds the tables. */
static int build_tables(bitnet_tokenizer *tok, char *err, size_t err_len) {
  uint32_t n = (uint32_t)tok->n_tokens;
  tok->token_mask = table_size(n) - 1;
  tok->token_table = malloc(((size_t)tok->token_mask + 1) * sizeof(int32_t));
  if (!tok->token_table)
    return open_error(err, err_len, "out of memory");
  memset(tok->token_table, 0xFF, ((size_t)tok->token_mask + 1) * sizeof(int32_t));
  for (int32_t i = 0; i < 256; ++i)
    tok->byte_token[i] = -1;
  for (uint32_t id = 0; id < n; ++id) {
    uint32_t length;
    const char *text = token_text(tok, (int32_t)id, &length);
    if (length > tok->max_token_bytes)
      tok->max_token_bytes = length;
    if (tok->types[id] == BITNET_TOKEN_BYTE) {
      int value = byte_token_value(text, length);
      if (value < 0)
        return open_error(err, err_len, "byte token %u is not <0xXX>", id);
      if (tok->byte_token[value] < 0)
        tok->byte_token[value] = (int32_t)id;
    }
    if (!mergeable(tok->types[id]) || length == 0)
      continue;
    /* The first of equal strings wins, as in a vocabulary map. */
    uint32_t i = hash_bytes(text, length) & tok->token_mask;
    for (;; i = (i + 1) & tok->token_mask) {
      int32_t other = tok->token_table[i];
      if (other < 0) {
        tok->token_table[i] = (int32_t)id;
        break;
      }
      uint32_t other_length;
      const char *other_text = token_text(tok, other, &other_length);
      if (other_length == length && memcmp(other_text, text, length) == 0)
        break;
    }
  }
  if (tok->kind == BITNET_TOKENIZER_GPT2) {
    for (int b = 0; b < 256; ++b) {
      char c[2];
      size_t length = put_small_codepoint(c, gpt2_codepoint((uint8_t)b));
      tok->byte_token[b] = find_token(tok, c, length);
    }
  }

  if (tok->n_merges > 0) {
    tok->pair_mask = table_size(tok->n_merges) - 1;
    tok->pair_table = malloc(((size_t)tok->pair_mask + 1) * sizeof(pair_slot));
    if (!tok->pair_table)
      return open_error(err, err_len, "out of memory");
    for (uint32_t i = 0; i <= tok->pair_mask; ++i)
      tok->pair_table[i].left = -1;
    char *joined = malloc(2 * (size_t)tok->max_token_bytes + 1);
    if (!joined)
      return open_error(err, err_len, "out of memory");
    for (uint32_t rank = 0; rank < tok->n_merges; ++rank) {
      int32_t left = tok->merges[2 * rank], right = tok->merges[2 * rank + 1];
      uint32_t left_length, right_length;
      const char *left_text = token_text(tok, left, &left_length);
      const char *right_text = token_text(tok, right, &right_length);
      memcpy(joined, left_text, left_length);
      memcpy(joined + left_length, right_text, right_length);
      int32_t result = find_token(tok, joined, left_length + right_length);
      if (result < 0 || left_length == 0 || right_length == 0) {
        free(joined);
        return open_error(err, err_len, "merge %u (%d, %d) does not make a token", rank,
                          left, right);
      }
      /* A pair listed twice keeps its best rank. */
      uint32_t i = hash_pair(left, right) & tok->pair_mask;
      while (tok->pair_table[i].left >= 0 &&
             !(tok->pair_table[i].left == left && tok->pair_table[i].right == right))
        i = (i + 1) & tok->pair_mask;
      if (tok->pair_table[i].left < 0) {
        pair_slot slot = {left, right, (int32_t)rank, result};
        tok->pair_table[i] = slot;
      }
    }
    free(joined);
  }

  tok->specials = malloc(((size_t)n + 1) * sizeof(special_token));
  if (!tok->specials)
    return open_error(err, err_len, "out of memory");
  for (uint32_t id = 0; id < n; ++id) {
    uint8_t type = tok->types[id];
    uint32_t length = tok->offsets[id + 1] - tok->offsets[id];
    if (length > 0 && (type == BITNET_TOKEN_CONTROL || type == BITNET_TOKEN_USER_DEFINED ||
                       type == BITNET_TOKEN_UNKNOWN)) {
      special_token s = {length, (int32_t)id};
      tok->specials[tok->n_specials++] = s;
    }
  }
  qsort(tok->specials, (size_t)tok->n_specials, sizeof(special_token), compare_specials);
  tok->scratch = malloc((size_t)tok->max_token_bytes + 1);
  if (!tok->scratch)
    return open_error(err, err_len, "out of memory");
  return 1;
}

BITNET_WEAK void bitnet_tokenizer_close(bitnet_tokenizer *tok) {
  if (!tok)
    return;
  if (tok->regex.match)
    tok->regex.match_data_free_fn(tok->regex.match);
  if (tok->regex.code)
    tok->regex.code_free_fn(tok->regex.code);
  if (tok->regex.library)
    dlclose(tok->regex.library);
  free(tok->offsets);
  free(tok->scores);
  free(tok->types);
  free(tok->strings);
  free(tok->merges);
  free(tok->eog);
  free(tok->token_table);
  free(tok->pair_table);
  free(tok->specials);
  free(tok->scratch);
  free(tok);
}

static int valid_id(int32_t id, int32_t n_tokens) { return id >= -1 && id < n_tokens; }

/* Parses and checks the blob into tok; 0 with err set on failure. */
static int parse_blob(bitnet_tokenizer *tok, const uint8_t *blob, uint64_t size, char *err,
                      size_t err_len) {
  const uint64_t header = BITNET_TOKENIZER_HEADER_BYTES;
  if (!blob)
    return open_error(err, err_len, "no data");
  if (size < header)
    return open_error(err, err_len, "%llu bytes, shorter than the %llu-byte header",
                      (unsigned long long)size, (unsigned long long)header);
  if (memcmp(blob, BITNET_TOKENIZER_MAGIC, 4) != 0)
    return open_error(err, err_len, "no \"BNTK\" magic");
  uint32_t version = load_u32(blob + 4);
  if (version != BITNET_TOKENIZER_VERSION)
    return open_error(err, err_len, "version %u, this runtime reads %d", version,
                      BITNET_TOKENIZER_VERSION);
  if (load_u32(blob + 8) != header)
    return open_error(err, err_len, "header of %u bytes, not %llu", load_u32(blob + 8),
                      (unsigned long long)header);
  uint64_t total = load_u64(blob + 56);
  if (total != size)
    return open_error(err, err_len, "%llu bytes, the header says %llu (truncated?)",
                      (unsigned long long)size, (unsigned long long)total);
  /* The checksum first: any flipped byte is reported as such, not as
   * whatever field it happened to land in. */
  uint64_t h = 14695981039346656037ull; /* FNV-1a 64 */
  for (uint64_t i = 0; i < size; ++i)
    h = (h ^ (i >= 64 && i < 72 ? 0 : blob[i])) * 1099511628211ull;
  if (h != load_u64(blob + 64))
    return open_error(err, err_len, "checksum mismatch (corrupted)");

  tok->kind = (int32_t)load_u32(blob + 12);
  tok->pre = (int32_t)load_u32(blob + 16);
  tok->flags = load_u32(blob + 20);
  tok->bos = (int32_t)load_u32(blob + 24);
  tok->eos = (int32_t)load_u32(blob + 28);
  tok->unk = (int32_t)load_u32(blob + 32);
  tok->pad = (int32_t)load_u32(blob + 36);
  uint32_t n_tokens = load_u32(blob + 40);
  tok->n_merges = load_u32(blob + 44);
  tok->n_eog = load_u32(blob + 48);
  tok->string_bytes = load_u32(blob + 52);
  if (tok->kind != BITNET_TOKENIZER_LLAMA && tok->kind != BITNET_TOKENIZER_GPT2)
    return open_error(err, err_len, "unknown kind %d", tok->kind);
  if (tok->kind == BITNET_TOKENIZER_LLAMA ? tok->pre != BITNET_TOKENIZER_PRE_NONE
                                          : tok->pre != BITNET_TOKENIZER_PRE_LLAMA_BPE &&
                                                tok->pre != BITNET_TOKENIZER_PRE_GPT2)
    return open_error(err, err_len, "pre-tokenizer %d does not fit kind %d", tok->pre,
                      tok->kind);
  if (tok->flags & ~(uint32_t)15)
    return open_error(err, err_len, "unknown flags 0x%x", tok->flags);
  if (n_tokens == 0 || n_tokens >= (uint32_t)INT32_MAX)
    return open_error(err, err_len, "%u tokens", n_tokens);
  tok->n_tokens = (int32_t)n_tokens;
  if (!valid_id(tok->bos, tok->n_tokens) || !valid_id(tok->eos, tok->n_tokens) ||
      !valid_id(tok->unk, tok->n_tokens) || !valid_id(tok->pad, tok->n_tokens))
    return open_error(err, err_len, "a special id out of range (bos %d, eos %d, unk %d, pad %d)",
                      tok->bos, tok->eos, tok->unk, tok->pad);

  /* Sections, in blob order; all in 64-bit arithmetic (counts < 2^32). */
  uint64_t at_offsets = header;
  uint64_t at_scores = at_offsets + 4 * ((uint64_t)n_tokens + 1);
  uint64_t at_types = at_scores + 4 * (uint64_t)n_tokens;
  uint64_t at_merges = at_types + align4(n_tokens);
  uint64_t at_eog = at_merges + 8 * (uint64_t)tok->n_merges;
  uint64_t at_strings = at_eog + 4 * (uint64_t)tok->n_eog;
  uint64_t end = at_strings + align4(tok->string_bytes);
  if (end != size)
    return open_error(err, err_len, "sections need %llu bytes, the blob has %llu",
                      (unsigned long long)end, (unsigned long long)size);
  if (!all_zero(blob + at_types + n_tokens, at_merges - at_types - n_tokens) ||
      !all_zero(blob + at_strings + tok->string_bytes,
                end - at_strings - tok->string_bytes))
    return open_error(err, err_len, "non-zero padding");

  tok->offsets = malloc(((size_t)n_tokens + 1) * sizeof(uint32_t));
  tok->scores = malloc((size_t)n_tokens * sizeof(float));
  tok->types = malloc(n_tokens);
  tok->strings = malloc((size_t)tok->string_bytes + 1);
  tok->merges = malloc(((size_t)tok->n_merges * 2 + 1) * sizeof(int32_t));
  tok->eog = malloc(((size_t)tok->n_eog + 1) * sizeof(int32_t));
  if (!tok->offsets || !tok->scores || !tok->types || !tok->strings || !tok->merges ||
      !tok->eog)
    return open_error(err, err_len, "out of memory");
  for (uint32_t i = 0; i <= n_tokens; ++i) {
    tok->offsets[i] = load_u32(blob + at_offsets + 4 * (uint64_t)i);
    if ((i == 0 && tok->offsets[0] != 0) || (i > 0 && tok->offsets[i] < tok->offsets[i - 1]))
      return open_error(err, err_len, "token %u's string offset out of order", i);
  }
  if (tok->offsets[n_tokens] != tok->string_bytes)
    return open_error(err, err_len, "the string offsets end at %u, not at %u",
                      tok->offsets[n_tokens], tok->string_bytes);
  for (uint32_t i = 0; i < n_tokens; ++i) {
    uint32_t bits = load_u32(blob + at_scores + 4 * (uint64_t)i);
    memcpy(&tok->scores[i], &bits, sizeof bits);
    if (!isfinite(tok->scores[i]))
      return open_error(err, err_len, "token %u's score is not finite", i);
    tok->types[i] = blob[at_types + i];
    if (tok->types[i] < BITNET_TOKEN_NORMAL || tok->types[i] > BITNET_TOKEN_BYTE)
      return open_error(err, err_len, "token %u has type %u", i, tok->types[i]);
  }
  for (uint64_t i = 0; i < 2 * (uint64_t)tok->n_merges; ++i) {
    uint32_t id = load_u32(blob + at_merges + 4 * i);
    if (id >= n_tokens)
      return open_error(err, err_len, "merge %llu names token %u of %u",
                        (unsigned long long)(i / 2), id, n_tokens);
    tok->merges[i] = (int32_t)id;
  }
  for (uint32_t i = 0; i < tok->n_eog; ++i) {
    uint32_t id = load_u32(blob + at_eog + 4 * (uint64_t)i);
    if (id >= n_tokens)
      return open_error(err, err_len, "end-of-generation id %u of %u tokens", id, n_tokens);
    tok->eog[i] = (int32_t)id;
  }
  memcpy(tok->strings, blob + at_strings, tok->string_bytes);
  tok->strings[tok->string_bytes] = 0;
  return build_tables(tok, err, err_len);
}

BITNET_WEAK bitnet_tokenizer *bitnet_tokenizer_open(const uint8_t *blob, uint64_t size,
                                                    char *err, size_t err_len) {
  if (err && err_len > 0)
    err[0] = 0;
  bitnet_tokenizer *tok = calloc(1, sizeof *tok);
  if (!tok) {
    open_error(err, err_len, "out of memory");
    return NULL;
  }
  if (!parse_blob(tok, blob, size, err, err_len)) {
    bitnet_tokenizer_close(tok);
    return NULL;
  }
  return tok;
}

BITNET_WEAK const char *bitnet_tokenizer_error(const bitnet_tokenizer *tok) {
  return tok ? tok->error : "no tokenizer";
}

BITNET_WEAK int32_t bitnet_tokenizer_bos(const bitnet_tokenizer *tok) {
  return tok ? tok->bos : -1;
}
BITNET_WEAK int32_t bitnet_tokenizer_eos(const bitnet_tokenizer *tok) {
  return tok ? tok->eos : -1;
}
BITNET_WEAK int32_t bitnet_tokenizer_vocab_size(const bitnet_tokenizer *tok) {
  return tok ? tok->n_tokens : 0;
}

BITNET_WEAK int bitnet_tokenizer_is_eog(const bitnet_tokenizer *tok, int32_t id) {
  if (!tok || id < 0)
    return 0;
  if (id == tok->eos)
    return 1;
  for (uint32_t i = 0; i < tok->n_eog; ++i)
    if (tok->eog[i] == id)
      return 1;
  return 0;
}

/*===------------------------------------------------------------------===*
 * The regex (Gpt2 pre-tokenizers)
 *===------------------------------------------------------------------===*/

/* Loads PCRE2 and compiles this handle's pattern; 0 with tok->error set
 * when that cannot be done. Tried once per handle. */
static int prepare_regex(bitnet_tokenizer *tok) {
  regex_state *r = &tok->regex;
  if (r->ready)
    return r->ready > 0;
  r->ready = -1;
  r->library = dlopen("libpcre2-8.so.0", RTLD_NOW | RTLD_LOCAL);
  if (!r->library) {
    const char *why = dlerror();
    set_error(tok,
              "the %s pre-tokenizer needs PCRE2: libpcre2-8.so.0 (Debian: libpcre2-8-0) "
              "could not be loaded (%s)",
              tok->pre == BITNET_TOKENIZER_PRE_GPT2 ? "gpt2" : "llama-bpe",
              why ? why : "not found");
    return 0;
  }
  /* dlsym returns void *; converting it to a function pointer is what
   * POSIX guarantees to work. */
  pcre2_compile_fn compile_fn;
  pcre2_jit_compile_fn jit_fn;
  pcre2_match_data_create_fn create_fn;
  pcre2_get_error_message_fn message_fn;
  *(void **)&compile_fn = dlsym(r->library, "pcre2_compile_8");
  *(void **)&jit_fn = dlsym(r->library, "pcre2_jit_compile_8");
  *(void **)&create_fn = dlsym(r->library, "pcre2_match_data_create_from_pattern_8");
  *(void **)&message_fn = dlsym(r->library, "pcre2_get_error_message_8");
  *(void **)&r->match_fn = dlsym(r->library, "pcre2_match_8");
  *(void **)&r->ovector_fn = dlsym(r->library, "pcre2_get_ovector_pointer_8");
  *(void **)&r->match_data_free_fn = dlsym(r->library, "pcre2_match_data_free_8");
  *(void **)&r->code_free_fn = dlsym(r->library, "pcre2_code_free_8");
  if (!compile_fn || !create_fn || !message_fn || !r->match_fn || !r->ovector_fn ||
      !r->match_data_free_fn || !r->code_free_fn) {
    set_error(tok, "libpcre2-8.so.0 lacks a pcre2_*_8 function this tokenizer needs");
    return 0;
  }
  const char *pattern = tok->pre == BITNET_TOKENIZER_PRE_GPT2
                            ? BITNET_TOKENIZER_REGEX_GPT2
                            : BITNET_TOKENIZER_REGEX_LLAMA_BPE;
  int code = 0;
  PCRE2_SIZE at = 0;
  /* MATCH_INVALID_UTF: invalid UTF-8 in the text is never matched (instead
   * of failing the whole match). */
  r->code = compile_fn((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                       PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &code, &at, NULL);
  if (!r->code) {
    PCRE2_UCHAR message[128];
    message_fn(code, message, sizeof message);
    set_error(tok, "PCRE2 cannot compile the pre-tokenizer regex at %zu: %s", (size_t)at,
              (const char *)message);
    return 0;
  }
  if (jit_fn)
    jit_fn(r->code, PCRE2_JIT_COMPLETE); /* if JIT is unavailable, interpret */
  r->match = create_fn(r->code, NULL);
  if (!r->match) {
    set_error(tok, "out of memory");
    return 0;
  }
  r->ready = 1;
  return 1;
}

/*===------------------------------------------------------------------===*
 * BPE over symbols
 *===------------------------------------------------------------------===*/

typedef struct symbol {
  uint32_t start, length; /* bytes of the work text; length 0: merged away */
  int32_t prev, next;
  int32_t id;             /* the token of the bytes, -1 if none */
} symbol;

typedef struct bigram {
  double priority; /* larger first: a score, or -rank */
  int32_t left, right;
  uint32_t length;
  int32_t result;
} bigram;

/* Buffers reused across the words of one tokenize call. */
typedef struct work {
  id_vector out;
  symbol *symbols;
  size_t symbols_capacity;
  bigram *heap;
  size_t heap_size, heap_capacity;
  char *text; /* the escaped (Llama) or byte-mapped (Gpt2) word */
  size_t text_capacity;
} work;

static int heap_before(const bigram *a, const bigram *b) {
  return a->priority > b->priority || (a->priority == b->priority && a->left < b->left);
}

static int heap_push(work *w, bigram b) {
  if (!reserve((void **)&w->heap, &w->heap_capacity, w->heap_size + 1, sizeof(bigram)))
    return 0;
  size_t i = w->heap_size++;
  while (i > 0 && heap_before(&b, &w->heap[(i - 1) / 2])) {
    w->heap[i] = w->heap[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  w->heap[i] = b;
  return 1;
}

static bigram heap_pop(work *w) {
  bigram top = w->heap[0], last = w->heap[--w->heap_size];
  size_t i = 0;
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= w->heap_size)
      break;
    if (child + 1 < w->heap_size && heap_before(&w->heap[child + 1], &w->heap[child]))
      ++child;
    if (!heap_before(&w->heap[child], &last))
      break;
    w->heap[i] = w->heap[child];
    i = child;
  }
  if (w->heap_size > 0)
    w->heap[i] = last;
  return top;
}

/* Queues the merge of symbols left and right if the vocabulary has one:
 * with merges, the listed pair of lowest rank (Hugging Face BPE, llama.cpp
 * llm_tokenizer_bpe); without, the pair whose concatenation is the token
 * of highest score (llm_tokenizer_spm). */
static int try_bigram(const bitnet_tokenizer *tok, work *w, int32_t left, int32_t right) {
  if (left < 0 || right < 0)
    return 1;
  const symbol *l = &w->symbols[left], *r = &w->symbols[right];
  bigram b = {0, left, right, l->length + r->length, -1};
  if (tok->n_merges > 0 || tok->kind == BITNET_TOKENIZER_GPT2) {
    if (l->id < 0 || r->id < 0)
      return 1;
    const pair_slot *slot = find_pair(tok, l->id, r->id);
    if (!slot)
      return 1;
    b.priority = -(double)slot->rank;
    b.result = slot->result;
  } else {
    b.result = find_token(tok, w->text + l->start, b.length);
    if (b.result < 0)
      return 1;
    b.priority = tok->scores[b.result];
  }
  return heap_push(w, b);
}

/* The ids of one symbol no token covers: its bytes' fallback tokens, or unk
 * when some byte has none, or nothing when there is no unk either. */
static int emit_fallback(const bitnet_tokenizer *tok, work *w, const symbol *s) {
  const uint8_t *bytes = (const uint8_t *)w->text + s->start;
  uint8_t original[4];
  size_t count = 0;
  if (tok->kind == BITNET_TOKENIZER_GPT2) {
    /* One mapped character (1 or 2 bytes) per original byte. */
    for (uint32_t i = 0; i < s->length && count < sizeof original;) {
      uint32_t cp = bytes[i] < 0x80 ? bytes[i] : (uint32_t)(bytes[i] & 0x1F) << 6 |
                                                      (bytes[i + 1] & 0x3F);
      i += bytes[i] < 0x80 ? 1 : 2;
      original[count++] = (uint8_t)gpt2_byte(cp);
    }
  } else {
    /* Unmerged Llama symbols are one character: at most 4 bytes. */
    count = s->length < sizeof original ? s->length : sizeof original;
    memcpy(original, bytes, count);
  }
  int covered = 1;
  for (size_t i = 0; i < count; ++i)
    covered &= tok->byte_token[original[i]] >= 0;
  if (!covered)
    return tok->unk < 0 || push_id(&w->out, tok->unk);
  for (size_t i = 0; i < count; ++i)
    if (!push_id(&w->out, tok->byte_token[original[i]]))
      return 0;
  return 1;
}

/* BPE over w->text[0, length): one symbol per character (Llama: per
 * well-formed UTF-8 sequence, else per byte; Gpt2: per mapped byte). */
static int bpe(const bitnet_tokenizer *tok, work *w, size_t length) {
  if (length == 0)
    return 1;
  if (tok->flags & BITNET_TOKENIZER_IGNORE_MERGES) {
    int32_t whole = find_token(tok, w->text, length);
    if (whole >= 0)
      return push_id(&w->out, whole);
  }
  if (!reserve((void **)&w->symbols, &w->symbols_capacity, length, sizeof(symbol)))
    return 0;
  int32_t count = 0;
  for (size_t at = 0; at < length;) {
    size_t n = utf8_sequence((const uint8_t *)w->text + at, length - at);
    if (n == 0)
      n = 1;
    symbol s = {(uint32_t)at, (uint32_t)n, count - 1, count + 1,
                find_token(tok, w->text + at, n)};
    w->symbols[count++] = s;
    at += n;
  }
  w->symbols[count - 1].next = -1;
  w->heap_size = 0;
  for (int32_t i = 0; i + 1 < count; ++i)
    if (!try_bigram(tok, w, i, i + 1))
      return 0;
  while (w->heap_size > 0) {
    bigram b = heap_pop(w);
    symbol *l = &w->symbols[b.left], *r = &w->symbols[b.right];
    /* Stale: one side was merged since this pair was queued. */
    if (l->length == 0 || r->length == 0 || l->length + r->length != b.length ||
        l->next != b.right)
      continue;
    l->length += r->length;
    l->id = b.result;
    l->next = r->next;
    if (r->next >= 0)
      w->symbols[r->next].prev = b.left;
    r->length = 0;
    if (!try_bigram(tok, w, l->prev, b.left) || !try_bigram(tok, w, b.left, l->next))
      return 0;
  }
  for (int32_t i = 0; i >= 0; i = w->symbols[i].next) {
    const symbol *s = &w->symbols[i];
    if (s->id >= 0 ? !push_id(&w->out, s->id) : !emit_fallback(tok, w, s))
      return 0;
  }
  return 1;
}

/* Llama: the fragment with spaces escaped to U+2581, after one more when
 * `prefix`, then BPE over the whole of it (SentencePiece does not split). */
static int tokenize_llama(const bitnet_tokenizer *tok, work *w, const char *text,
                          size_t length, int prefix) {
  if (length > (SIZE_MAX - 3) / 3 ||
      !reserve((void **)&w->text, &w->text_capacity, 3 * length + 3, 1))
    return 0;
  size_t n = 0;
  if (prefix) {
    memcpy(w->text, "\xE2\x96\x81", 3);
    n = 3;
  }
  for (size_t i = 0; i < length; ++i) {
    if (text[i] == ' ') {
      memcpy(w->text + n, "\xE2\x96\x81", 3);
      n += 3;
    } else {
      w->text[n++] = text[i];
    }
  }
  if (n > UINT32_MAX)
    return 0;
  return bpe(tok, w, n);
}

/* Gpt2: one word's bytes mapped to the GPT-2 alphabet, then BPE. */
static int tokenize_word(const bitnet_tokenizer *tok, work *w, const char *word, size_t length) {
  if (length > SIZE_MAX / 2 - 1 || !reserve((void **)&w->text, &w->text_capacity, 2 * length + 1, 1))
    return 0;
  size_t n = 0;
  for (size_t i = 0; i < length; ++i)
    n += put_small_codepoint(w->text + n, gpt2_codepoint((uint8_t)word[i]));
  if (n > UINT32_MAX)
    return 0;
  return bpe(tok, w, n);
}

/* Gpt2: split by the regex, as Hugging Face's Split with behaviour
 * "Isolated" does: each match is a word and so is each run of bytes between
 * matches (only invalid UTF-8 is left between matches by these patterns). */
static int tokenize_gpt2(bitnet_tokenizer *tok, work *w, const char *text, size_t length) {
  regex_state *r = &tok->regex;
  size_t gap = 0, from = 0;
  while (from < length) {
    int rc = r->match_fn(r->code, (PCRE2_SPTR)text, length, from, 0, r->match, NULL);
    if (rc == PCRE2_ERROR_NOMATCH)
      break;
    if (rc < 0) {
      set_error(tok, "PCRE2 match error %d", rc);
      return -1;
    }
    const PCRE2_SIZE *ovector = r->ovector_fn(r->match);
    size_t start = ovector[0], end = ovector[1];
    if (end <= start || start < from || end > length) {
      from = (start > from ? start : from) + 1; /* no progress: the byte joins the gap */
      continue;
    }
    if (start > gap && !tokenize_word(tok, w, text + gap, start - gap))
      return 0;
    if (!tokenize_word(tok, w, text + start, end - start))
      return 0;
    gap = from = end;
  }
  if (length > gap && !tokenize_word(tok, w, text + gap, length - gap))
    return 0;
  return 1;
}

/*===------------------------------------------------------------------===*
 * Tokenize
 *===------------------------------------------------------------------===*/

typedef struct fragment {
  size_t start, length;
  int32_t id; /* >= 0: a special token; -1: text */
} fragment;

/* Splits the text at special tokens written in it, longest token first
 * (llama.cpp's tokenizer_st_partition): control and unknown tokens only
 * with parse_special, user-defined ones always. */
static int partition(const bitnet_tokenizer *tok, const char *text, size_t length,
                     int parse_special, fragment **out, size_t *count) {
  fragment *a = NULL, *b = NULL;
  size_t a_capacity = 0, b_capacity = 0, n = 0;
  if (!reserve((void **)&a, &a_capacity, 1, sizeof(fragment)))
    return 0;
  fragment whole = {0, length, -1};
  a[n++] = whole;
  for (int32_t s = 0; s < tok->n_specials; ++s) {
    int32_t id = tok->specials[s].id;
    if (!parse_special && tok->types[id] != BITNET_TOKEN_USER_DEFINED)
      continue;
    uint32_t token_length;
    const char *token = token_text(tok, id, &token_length);
    size_t m = 0;
    for (size_t f = 0; f < n; ++f) {
      fragment piece = a[f];
      size_t at = piece.start, end = piece.start + piece.length;
      if (piece.id < 0) {
        for (size_t i = at; i + token_length <= end;) {
          const char *hit = memchr(text + i, token[0], end - token_length + 1 - i);
          if (!hit)
            break;
          i = (size_t)(hit - text);
          if (memcmp(hit, token, token_length) != 0) {
            ++i;
            continue;
          }
          if (!reserve((void **)&b, &b_capacity, m + 2, sizeof(fragment))) {
            free(a);
            free(b);
            return 0;
          }
          if (i > at) {
            fragment before = {at, i - at, -1};
            b[m++] = before;
          }
          fragment match = {i, token_length, id};
          b[m++] = match;
          i += token_length;
          at = i;
        }
        if (at == end)
          continue;
        piece.start = at;
        piece.length = end - at;
      }
      if (!reserve((void **)&b, &b_capacity, m + 1, sizeof(fragment))) {
        free(a);
        free(b);
        return 0;
      }
      b[m++] = piece;
    }
    fragment *t = a;
    a = b;
    b = t;
    size_t tc = a_capacity;
    a_capacity = b_capacity;
    b_capacity = tc;
    n = m;
  }
  free(b);
  *out = a;
  *count = n;
  return 1;
}

BITNET_WEAK int32_t bitnet_tokenizer_tokenize(bitnet_tokenizer *tok, const char *text,
                                              int32_t text_bytes, int32_t *ids,
                                              int32_t max_ids, int add_special,
                                              int parse_special) {
  if (!tok)
    return BITNET_TOKENIZER_ERROR;
  tok->error[0] = 0;
  if (text_bytes < 0 || (text_bytes > 0 && !text) || max_ids < 0 || (max_ids > 0 && !ids)) {
    set_error(tok, "tokenize: invalid arguments (text_bytes %d, max_ids %d)", text_bytes,
              max_ids);
    return BITNET_TOKENIZER_ERROR;
  }
  if (tok->kind == BITNET_TOKENIZER_GPT2 && !prepare_regex(tok))
    return BITNET_TOKENIZER_ERROR;
  work w;
  memset(&w, 0, sizeof w);
  fragment *fragments = NULL;
  size_t n_fragments = 0;
  int ok = 1;
  if (add_special && (tok->flags & BITNET_TOKENIZER_ADD_BOS) && tok->bos >= 0)
    ok = push_id(&w.out, tok->bos);
  if (ok && text_bytes > 0)
    ok = partition(tok, text, (size_t)text_bytes, parse_special, &fragments, &n_fragments);
  /* Llama puts a space before the text and after each special token (as
   * llama.cpp does with add_space_prefix). */
  int after_special = 1;
  for (size_t f = 0; ok && f < n_fragments; ++f) {
    const fragment *piece = &fragments[f];
    if (piece->id >= 0) {
      ok = push_id(&w.out, piece->id);
      after_special = 1;
    } else if (tok->kind == BITNET_TOKENIZER_LLAMA) {
      ok = tokenize_llama(tok, &w, text + piece->start, piece->length,
                          after_special && (tok->flags & BITNET_TOKENIZER_ADD_SPACE_PREFIX));
      after_special = 0;
    } else {
      int rc = tokenize_gpt2(tok, &w, text + piece->start, piece->length);
      if (rc < 0) {
        free(fragments);
        free(w.out.data);
        free(w.symbols);
        free(w.heap);
        free(w.text);
        return BITNET_TOKENIZER_ERROR;
      }
      ok = rc;
    }
  }
  if (ok && add_special && (tok->flags & BITNET_TOKENIZER_ADD_EOS) && tok->eos >= 0)
    ok = push_id(&w.out, tok->eos);
  free(fragments);
  free(w.symbols);
  free(w.heap);
  free(w.text);
  int32_t result;
  if (!ok) {
    set_error(tok, "tokenize: out of memory");
    result = BITNET_TOKENIZER_ERROR;
  } else if (w.out.size > (size_t)INT32_MAX) {
    set_error(tok, "tokenize: more than 2^31 - 1 tokens");
    result = BITNET_TOKENIZER_ERROR;
  } else if (w.out.size > (size_t)max_ids) {
    result = -(int32_t)w.out.size;
  } else {
    if (w.out.size > 0)
      memcpy(ids, w.out.data, w.out.size * sizeof(int32_t));
    result = (int32_t)w.out.size;
  }
  free(w.out.data);
  return result;
}

/*===------------------------------------------------------------------===*
 * Detokenize
 *===------------------------------------------------------------------===*/

/* Writes the piece of a valid id to out (room for the token's text: no
 * piece is longer) and returns its length. */
static uint32_t render_piece(const bitnet_tokenizer *tok, int32_t id, char *out) {
  uint32_t length;
  const char *text = token_text(tok, id, &length);
  switch (tok->types[id]) {
  case BITNET_TOKEN_UNUSED:
    return 0;
  case BITNET_TOKEN_BYTE:
    out[0] = (char)byte_token_value(text, length);
    return 1;
  case BITNET_TOKEN_NORMAL:
    break;
  default: /* control, user-defined, unknown: their text */
    memcpy(out, text, length);
    return length;
  }
  uint32_t n = 0;
  if (tok->kind == BITNET_TOKENIZER_LLAMA) {
    for (uint32_t i = 0; i < length;) {
      if (length - i >= 3 && memcmp(text + i, "\xE2\x96\x81", 3) == 0) {
        out[n++] = ' ';
        i += 3;
      } else {
        out[n++] = text[i++];
      }
    }
    return n;
  }
  /* Gpt2: each character of the alphabet is one byte; anything else (not
   * in a byte-level vocabulary) is copied as it is. */
  for (uint32_t i = 0; i < length;) {
    size_t sequence = utf8_sequence((const uint8_t *)text + i, length - i);
    int byte = -1;
    if (sequence == 1)
      byte = gpt2_byte((uint8_t)text[i]);
    else if (sequence == 2)
      byte = gpt2_byte((uint32_t)(text[i] & 0x1F) << 6 | (text[i + 1] & 0x3F));
    if (sequence == 0)
      sequence = 1;
    if (byte >= 0) {
      out[n++] = (char)byte;
    } else {
      memcpy(out + n, text + i, sequence);
      n += (uint32_t)sequence;
    }
    i += (uint32_t)sequence;
  }
  return n;
}

BITNET_WEAK int32_t bitnet_tokenizer_token_to_piece(bitnet_tokenizer *tok, int32_t id,
                                                    char *buf, int32_t len) {
  if (!tok)
    return BITNET_TOKENIZER_ERROR;
  if (id < 0 || id >= tok->n_tokens || len < 0 || (len > 0 && !buf)) {
    set_error(tok, "token_to_piece: invalid arguments (id %d of %d, len %d)", id,
              tok->n_tokens, len);
    return BITNET_TOKENIZER_ERROR;
  }
  uint32_t n = render_piece(tok, id, tok->scratch);
  if (n > (uint32_t)len)
    return -(int32_t)n;
  memcpy(buf, tok->scratch, n);
  return (int32_t)n;
}

/* One pass of detokenize: the byte count, written to buf when it is not
 * NULL. Llama drops one leading space of the first piece after the start
 * or a special token: the space tokenize put there. */
static uint64_t detokenize_pass(bitnet_tokenizer *tok, const int32_t *ids, int32_t n,
                                char *buf, int remove_special) {
  int strip_space = tok->kind == BITNET_TOKENIZER_LLAMA &&
                    (tok->flags & BITNET_TOKENIZER_ADD_SPACE_PREFIX);
  int strip = strip_space;
  uint64_t total = 0;
  for (int32_t i = 0; i < n; ++i) {
    uint8_t type = tok->types[ids[i]];
    int special = type == BITNET_TOKEN_CONTROL || type == BITNET_TOKEN_USER_DEFINED ||
                  type == BITNET_TOKEN_UNKNOWN;
    if (special && remove_special && type == BITNET_TOKEN_CONTROL) {
      strip = strip_space;
      continue;
    }
    uint32_t length = render_piece(tok, ids[i], tok->scratch);
    const char *piece = tok->scratch;
    if (special) {
      strip = strip_space;
    } else if (strip && length > 0) {
      if (piece[0] == ' ') {
        ++piece;
        --length;
      }
      strip = 0;
    }
    if (buf)
      memcpy(buf + total, piece, length);
    total += length;
  }
  return total;
}

BITNET_WEAK int32_t bitnet_tokenizer_detokenize(bitnet_tokenizer *tok, const int32_t *ids,
                                                int32_t n, char *buf, int32_t len,
                                                int remove_special) {
  if (!tok)
    return BITNET_TOKENIZER_ERROR;
  if (n < 0 || (n > 0 && !ids) || len < 0 || (len > 0 && !buf)) {
    set_error(tok, "detokenize: invalid arguments (n %d, len %d)", n, len);
    return BITNET_TOKENIZER_ERROR;
  }
  for (int32_t i = 0; i < n; ++i) {
    if (ids[i] < 0 || ids[i] >= tok->n_tokens) {
      set_error(tok, "detokenize: id %d at %d is out of range (%d tokens)", ids[i], i,
                tok->n_tokens);
      return BITNET_TOKENIZER_ERROR;
    }
  }
  uint64_t total = detokenize_pass(tok, ids, n, NULL, remove_special);
  if (total > (uint64_t)INT32_MAX) {
    set_error(tok, "detokenize: more than 2^31 - 1 bytes");
    return BITNET_TOKENIZER_ERROR;
  }
  if (total > (uint64_t)len)
    return -(int32_t)total;
  detokenize_pass(tok, ids, n, buf, remove_special);
  return (int32_t)total;
}
