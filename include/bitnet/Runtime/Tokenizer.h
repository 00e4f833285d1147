/* Tokenizer.h - text in, token ids out (and back) in a compiled model.
 *
 * A compiled model carries its vocabulary as a byte blob (written by
 * bitnet::tokenizer::serializeVocabulary, include/bitnet/Tokenizer/
 * Vocabulary.h); these functions (lib/Runtime/Tokenizer.c, C11, libc only)
 * read it. Two kinds of vocabulary (docs/Tokenizer.md):
 *   - Llama: SentencePiece-style BPE as llama.cpp's llm_tokenizer_spm runs
 *     it: spaces become U+2581, a space is put in front of the text, the
 *     adjacent pair whose concatenation is the best-scoring token merges
 *     first (or, when the blob has merges, the lowest-ranked listed pair, as
 *     Hugging Face's BPE model does), characters no token covers become
 *     byte tokens <0xXX>.
 *   - Gpt2: byte-level BPE: the text is split by a pre-tokenizer regex,
 *     each piece's bytes are mapped to GPT-2's printable alphabet and merged
 *     by rank. The regex runs on PCRE2, loaded with dlopen at the first
 *     tokenize call of such a handle (libpcre2-8.so.0), so that a compiled
 *     model links nothing beyond libc (and libdl).
 *
 * Invalid UTF-8 in the text never fails: Llama treats each byte of an
 * invalid sequence as its own symbol (so it becomes a byte token); Gpt2's
 * regex never matches an invalid byte (PCRE2_MATCH_INVALID_UTF) and each run
 * of bytes no match covers is a piece of its own, tokenized like any other
 * (every byte has a token in a byte-level vocabulary). Detokenizing gives the
 * bytes back.
 *
 * A handle has no global state and the blob is copied, but one handle must
 * not be used by two threads at once (tokenize compiles the regex on first
 * use and keeps the last error message): open one per thread.
 *
 * The blob (little-endian; every section starts on a 4-byte boundary, in
 * this order, sizes from the header):
 *
 *   offset size  field
 *    0      4    magic "BNTK"
 *    4      4    u32 version (1)
 *    8      4    u32 header bytes (72)
 *   12      4    u32 kind: 1 Llama, 2 Gpt2
 *   16      4    u32 pre-tokenizer: 0 none (Llama), 1 llama-bpe (the Llama 3
 *                / BitNet b1.58 2B-4T regex), 2 gpt2 (GPT-2's regex)
 *   20      4    u32 flags: 1 add BOS, 2 add EOS, 4 add a space prefix
 *                (Llama), 8 ignore merges (a piece that is a token as a
 *                whole is that token, as Llama 3's tokenizer.json asks)
 *   24     16    i32 bos, eos, unk, pad token ids (-1: none)
 *   40      4    u32 n_tokens (>= 1, < 2^31)
 *   44      4    u32 n_merges
 *   48      4    u32 n_eog: end-of-generation ids listed
 *   52      4    u32 string bytes
 *   56      8    u64 total blob bytes
 *   64      8    u64 checksum: FNV-1a 64 of the whole blob with these 8
 *                bytes taken as zero
 *   72           u32 offsets[n_tokens + 1]: token i is string bytes
 *                [offsets[i], offsets[i+1]); offsets[0] = 0, non-decreasing,
 *                the last = string bytes
 *                f32 scores[n_tokens] (finite)
 *                u8 types[n_tokens] (1 normal, 2 unknown, 3 control,
 *                4 user-defined, 5 unused, 6 byte: GGUF's
 *                tokenizer.ggml.token_type), zero-padded to 4 bytes
 *                u32 merges[n_merges][2]: left and right token id, best
 *                (rank 0) first; the merged token is the concatenation
 *                i32 eog[n_eog]
 *                u8 strings[string bytes]: the token texts (byte tokens
 *                "<0xXX>"), zero-padded to 4 bytes
 *
 * Return values follow llama.cpp's llama_tokenize / llama_token_to_piece /
 * llama_detokenize: a count, or the negated count needed when the buffer is
 * too small (and nothing is written then), or BITNET_TOKENIZER_ERROR
 * (bitnet_tokenizer_error says why). Nothing is NUL-terminated.
 */
#ifndef BITNET_RUNTIME_TOKENIZER_H
#define BITNET_RUNTIME_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BITNET_TOKENIZER_MAGIC "BNTK"
#define BITNET_TOKENIZER_VERSION 1
#define BITNET_TOKENIZER_HEADER_BYTES 72
/* The error return of tokenize, token_to_piece and detokenize. */
#define BITNET_TOKENIZER_ERROR INT32_MIN

enum {
  BITNET_TOKENIZER_LLAMA = 1,
  BITNET_TOKENIZER_GPT2 = 2
};
enum {
  BITNET_TOKENIZER_PRE_NONE = 0,
  BITNET_TOKENIZER_PRE_LLAMA_BPE = 1,
  BITNET_TOKENIZER_PRE_GPT2 = 2
};
enum {
  BITNET_TOKENIZER_ADD_BOS = 1,
  BITNET_TOKENIZER_ADD_EOS = 2,
  BITNET_TOKENIZER_ADD_SPACE_PREFIX = 4,
  BITNET_TOKENIZER_IGNORE_MERGES = 8
};
enum {
  BITNET_TOKEN_NORMAL = 1,
  BITNET_TOKEN_UNKNOWN = 2,
  BITNET_TOKEN_CONTROL = 3,
  BITNET_TOKEN_USER_DEFINED = 4,
  BITNET_TOKEN_UNUSED = 5,
  BITNET_TOKEN_BYTE = 6
};

/* The pre-tokenizer regexes (PCRE2 syntax, compiled with PCRE2_UTF |
 * PCRE2_UCP), also what the vocabulary reader compares a tokenizer.json's
 * Split pattern against.
 * llama-bpe: the Split pattern of Llama 3's tokenizer.json (also BitNet
 * b1.58 2B-4T's; tiktoken's cl100k_base), the "original regex" llama.cpp's
 * llama-vocab.cpp cites for LLAMA_VOCAB_PRE_TYPE_LLAMA3.
 * gpt2: GPT-2's pattern (openai/gpt-2 encoder.py), with the trailing \s+
 * that Hugging Face tokenizers' ByteLevel pre-tokenizer adds. */
#define BITNET_TOKENIZER_REGEX_LLAMA_BPE                                                   \
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "               \
  "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
#define BITNET_TOKENIZER_REGEX_GPT2                                                        \
  "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"

typedef struct bitnet_tokenizer bitnet_tokenizer;

/* Checks the whole blob (sizes, checksum, every offset, id and type) and
 * copies what it needs: the blob may be freed afterwards. On failure returns
 * NULL with a message in err (when err_len > 0). */
bitnet_tokenizer *bitnet_tokenizer_open(const uint8_t *blob, uint64_t size, char *err,
                                        size_t err_len);
void bitnet_tokenizer_close(bitnet_tokenizer *tok);

/* The message of the last BITNET_TOKENIZER_ERROR ("" if none). */
const char *bitnet_tokenizer_error(const bitnet_tokenizer *tok);

/* text_bytes bytes of text (not NUL-terminated) to ids. add_special: BOS
 * (and EOS) as the vocabulary's flags say. parse_special: control tokens
 * written in the text (e.g. "<|begin_of_text|>") are those tokens, as
 * llama.cpp's tokenizer_st_partition does (user-defined tokens always are).
 * Returns the number of ids; -n when n > max_ids are needed (nothing
 * written); BITNET_TOKENIZER_ERROR when the Gpt2 regex cannot run (no
 * libpcre2-8.so.0), memory runs out or an argument is invalid. */
int32_t bitnet_tokenizer_tokenize(bitnet_tokenizer *tok, const char *text, int32_t text_bytes,
                                  int32_t *ids, int32_t max_ids, int add_special,
                                  int parse_special);

/* The bytes token `id` stands for: byte tokens their byte, Llama's U+2581
 * a space, Gpt2's alphabet its bytes, control and user-defined tokens their
 * text, unused tokens nothing. Returns the byte count, -n when n > len, or
 * BITNET_TOKENIZER_ERROR for an id out of range. */
int32_t bitnet_tokenizer_token_to_piece(bitnet_tokenizer *tok, int32_t id, char *buf,
                                        int32_t len);

/* The pieces of n ids, concatenated. remove_special: control tokens (BOS,
 * EOS, ...) give nothing. Llama: the space tokenize puts in front of the text
 * and after each special token is dropped again. Returns the byte count, -n
 * when n > len bytes are needed (nothing written), BITNET_TOKENIZER_ERROR
 * for an id out of range. */
int32_t bitnet_tokenizer_detokenize(bitnet_tokenizer *tok, const int32_t *ids, int32_t n,
                                    char *buf, int32_t len, int remove_special);

int32_t bitnet_tokenizer_bos(const bitnet_tokenizer *tok);        /* -1: none */
int32_t bitnet_tokenizer_eos(const bitnet_tokenizer *tok);        /* -1: none */
int32_t bitnet_tokenizer_vocab_size(const bitnet_tokenizer *tok);
/* Whether generation stops at `id`: EOS and the blob's other EOG ids. */
int bitnet_tokenizer_is_eog(const bitnet_tokenizer *tok, int32_t id);

#ifdef __cplusplus
}
#endif

#endif /* BITNET_RUNTIME_TOKENIZER_H */
