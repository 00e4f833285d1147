//===- bitnet-run.cpp - Runs and benchmarks a compiled model --------------===//

#include "bitnet/Run/Chat.h"
#include "bitnet/Run/Perplexity.h"
#include "bitnet/Run/Runner.h"
#include "bitnet/Run/Verify.h"
#include "bitnet/Support/LLVMInput.h"
#include "bitnet/Support/ToolVersion.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cmath>
#include <iterator>

using namespace llvm;
namespace run = bitnet::run;

static cl::OptionCategory category("bitnet-run options");
static cl::opt<std::string> library(cl::Positional, cl::Required,
                                    cl::desc("<model.so (bitnet-compile --emit=shared)>"),
                                    cl::cat(category));
static cl::opt<std::string> name("name",
                                 cl::desc("The --name the model was compiled with "
                                          "(default: the file name up to its first '.', "
                                          "else the object's one descriptor)"),
                                 cl::cat(category));
static cl::opt<std::string> weights("weights",
                                    cl::desc("Weights file of a model compiled with "
                                             "--weights=file (default: the object's "
                                             "name with .weights for its extension)"),
                                    cl::value_desc("file"), cl::cat(category));
static cl::opt<std::string> prompt(
    "prompt",
    cl::desc("Prompt text, tokenized by the model's tokenizer (BOS added as its vocabulary "
             "asks); the prompt and the generated text are printed, generation stops at "
             "end of generation"),
    cl::value_desc("text"), cl::cat(category));
static cl::opt<std::string> textFile("file", cl::desc("Prompt text from a file (as --prompt)"),
                                     cl::value_desc("file"), cl::cat(category));
static cl::list<int32_t> promptIds("prompt-ids",
                                   cl::desc("Prompt token ids, comma-separated; the "
                                            "generated ids are printed"),
                                   cl::CommaSeparated, cl::cat(category));
static cl::opt<std::string> promptFile("prompt-file",
                                       cl::desc("File of prompt token ids (whitespace or "
                                                "comma separated), as --prompt-ids"),
                                       cl::value_desc("file"), cl::cat(category));
static cl::opt<std::string> perplexityFile(
    "perplexity",
    cl::desc("Perplexity of the model over a text file, as llama-perplexity computes it: "
             "chunks of -c tokens, the second half of each scored"),
    cl::value_desc("file"), cl::cat(category));
static cl::opt<std::string> verifyCheckpoint(
    "verify",
    cl::desc("Check the model against the golden reference forward pass of what it was "
             "compiled from: a Hugging Face directory or a GGUF file (imported in full: a "
             "byte per weight, four for --weight-kind=float), or a bitnet IR file (each op "
             "evaluated by the reference): the prompt (-p seeded random "
             "ids, default 16, or --prompt-ids, --prompt-file, --prompt, --file) in one call, "
             "then -n tokens (default 16; both defaults fit the compiled context) one at a "
             "time, every position's logits compared; exits 1 when they differ beyond the "
             "bounds of docs/Numerics.md"),
    cl::value_desc("checkpoint or .mlir"), cl::cat(category));
static cl::opt<int32_t> chunkTokens("c",
                                    cl::desc("--perplexity: tokens per chunk (default 512, "
                                             "or the compiled context if smaller)"),
                                    cl::init(0), cl::Prefix, cl::cat(category));
static cl::opt<bool> chatMode(
    "chat",
    cl::desc("A conversation in the model's chat format (its checkpoint's template: Llama 3 "
             "or BitNet b1.58 2B-4T): --prompt is one user turn, else each line of standard "
             "input is one; replies stop at end of turn (-n caps each)"),
    cl::cat(category));
static cl::opt<std::string> systemPrompt("system",
                                         cl::desc("--chat: the system message"),
                                         cl::value_desc("text"), cl::cat(category));
static cl::opt<bool> verbosePrompt("verbose-prompt",
                                   cl::desc("--chat: print each turn's formatted text and "
                                            "token ids to stderr"),
                                   cl::cat(category));
static cl::opt<bool> parseSpecial("special",
                                  cl::desc("Read special tokens written in the prompt text "
                                           "(e.g. <|eot_id|>) as those tokens"),
                                  cl::cat(category));
static cl::opt<bool> ignoreEos("ignore-eos",
                               cl::desc("Generate all -n tokens, past end of generation"),
                               cl::cat(category));
static cl::list<int32_t> generated("n", cl::desc("Tokens to generate (default 16; --chat: "
                                                 "per reply, default 256; --bench: a list, "
                                                 "default 128 or the context if smaller, 0 "
                                                 "skips generation; --verify: 0 checks the "
                                                 "prompt alone)"),
                                   cl::CommaSeparated, cl::Prefix, cl::cat(category));
static cl::opt<float> temperature("temp", cl::desc("Sampling temperature (0: greedy, the "
                                                   "default)"),
                                  cl::init(0.0f), cl::cat(category));
static cl::opt<int32_t> topK("top-k", cl::desc("Sample among the k most likely tokens "
                                               "(0: all)"),
                             cl::init(0), cl::cat(category));
static cl::opt<float> topP("top-p", cl::desc("Sample within this probability mass"),
                           cl::init(1.0f), cl::cat(category));
static cl::opt<uint64_t> seed("seed",
                              cl::desc("Sampling seed (--verify: of the random prompt ids)"),
                              cl::init(1),
                              cl::cat(category));
static cl::list<int32_t> threads("t", cl::desc("Threads (default: the Halide runtime's; "
                                               "with --bench a list, default 1,2; "
                                               "--verify: the golden reference's too, "
                                               "default the machine's cores)"),
                                 cl::CommaSeparated, cl::Prefix, cl::cat(category));
static cl::opt<bool> profileMode(
    "profile",
    cl::desc("Time a prompt (-p, default 128 tokens) and generated tokens (-n, default 16; "
             "both fewer where the context is smaller) by kernel kind and parallel loop on -t "
             "threads (default 1)"),
    cl::cat(category));
static cl::opt<bool> benchMode("bench", cl::desc("Benchmark prompt processing (-p) and "
                                                 "generation (-n) instead of generating"),
                               cl::cat(category));
static cl::list<int32_t> promptTokens("p", cl::desc("--bench, --profile, --verify: prompt tokens "
                                                    "(default 128 or the context if smaller, "
                                                    "--verify 16; --bench: 0 skips the "
                                                    "prompt tests)"),
                                      cl::CommaSeparated, cl::Prefix, cl::cat(category));
static cl::opt<int32_t> repetitions("r", cl::desc("--bench: repetitions (default 3)"),
                                    cl::init(3), cl::Prefix, cl::cat(category));
static cl::opt<int32_t> depth(
    "d",
    cl::desc("--bench: tokens already in the KV cache when each test starts, as llama-bench's "
             "-d (a prompt of that many tokens, run untimed; default 0)"),
    cl::init(0), cl::Prefix, cl::cat(category));

static int fail(const Twine &message) {
  errs() << "bitnet-run: error: " << message << "\n";
  return 1;
}

/// The ids of a text prompt in `ids`, or why there are none (`instead`:
/// what to give when the model has no tokenizer).
static std::string tokenizePrompt(run::LoadedModel &model, StringRef text, StringRef instead,
                                  std::vector<int32_t> &ids) {
  if (!model.hasTokenizer())
    return (library + " has no tokenizer (compiled from a checkpoint without one, or with "
                      "--tokenizer=none): give " + instead)
        .str();
  Expected<std::vector<int32_t>> tokens = model.tokenize(text, true, parseSpecial);
  if (!tokens)
    return toString(tokens.takeError());
  ids = std::move(*tokens);
  return ids.empty() ? "the prompt text gives no tokens" : "";
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  bitnet::setToolVersionPrinter("bitnet-run");
  cl::ParseCommandLineOptions(argc, argv,
                              "bitnet-run: generates tokens with, or benchmarks, a model "
                              "compiled by bitnet-compile --emit=shared\n");
  // Written so that NaN fails every check.
  if (!(temperature >= 0) || !std::isfinite(temperature))
    return fail("--temp must be a finite number >= 0");
  if (!(topP > 0 && topP <= 1))
    return fail("--top-p must be a number in (0, 1]");
  if (topK < 0 || repetitions < 1)
    return fail("--top-k >= 0 and -r >= 1 are required");
  if (depth < 0)
    return fail("-d " + Twine(depth) + " must be >= 0");
  if (depth != 0 && !benchMode)
    return fail("-d is a --bench option");
  for (int32_t n : generated)
    if (n < 0)
      return fail("-n " + Twine(n) + " must be >= 0");
  // As llama-bench: in --bench a 0 in -p or -n drops that kind of test.
  for (int32_t p : promptTokens)
    if (p < 0 || (p == 0 && !benchMode))
      return fail("-p " + Twine(p) + " must be >= 1" +
                  (benchMode ? " (or 0: no prompt tests)" : ""));
  for (int32_t t : threads)
    if (!run::validThreadCount(t))
      return fail("-t " + Twine(t) + " must be in [1, " + Twine(run::kMaxThreads) + "]");
  // The prompt is read before anything is loaded: a bad file fails fast.
  std::vector<int32_t> ids(promptIds.begin(), promptIds.end());
  std::string text = prompt;
  const bool textPrompt = prompt.getNumOccurrences() > 0 || !textFile.empty();
  if (prompt.getNumOccurrences() > 0 && !textFile.empty())
    return fail("give the prompt text once: --prompt or --file");
  // Options of a mode given without it did nothing, silently.
  if (repetitions.getNumOccurrences() && !benchMode)
    return fail("-r is a --bench option");
  if (chunkTokens.getNumOccurrences() && perplexityFile.empty())
    return fail("-c is a --perplexity option");
  if ((systemPrompt.getNumOccurrences() || verbosePrompt) && !chatMode)
    return fail("--system and --verbose-prompt are --chat options");
  if (!promptTokens.empty() && !benchMode && !profileMode && verifyCheckpoint.empty())
    return fail("-p is a --bench, --profile or --verify option (a prompt to generate from is "
                "--prompt, --file or --prompt-ids)");
  if (parseSpecial && !textPrompt && !chatMode)
    return fail("--special reads special tokens in prompt text: give --prompt, --file or "
                "--chat");
  if (textPrompt && (!ids.empty() || !promptFile.empty()))
    return fail("give text (--prompt, --file) or ids (--prompt-ids, --prompt-file), not both");
  if (!textFile.empty()) {
    std::string why = bitnet::readRegularFile(textFile, bitnet::kMaxTextInputBytes, text);
    if (!why.empty())
      return fail(why);
  }
  if (!promptFile.empty()) {
    std::string contents;
    std::string why = bitnet::readRegularFile(promptFile, bitnet::kMaxTextInputBytes, contents);
    if (!why.empty())
      return fail(why);
    StringRef text = contents;
    while (!text.empty()) {
      text = text.ltrim(" \t\r\n,");
      if (text.empty())
        break;
      size_t end = text.find_first_of(" \t\r\n,");
      StringRef word = text.substr(0, end);
      int32_t id;
      if (word.getAsInteger(10, id))
        return fail(promptFile + ": " + bitnet::quoted(word) + " is not a token id");
      ids.push_back(id);
      text = text.substr(word.size());
    }
  }
  Expected<std::unique_ptr<run::LoadedModel>> model = run::LoadedModel::load(library, name);
  if (!model)
    return fail(toString(model.takeError()));
  if (!weights.empty()) {
    if (Error e = (*model)->loadWeights(weights))
      return fail(toString(std::move(e)));
  } else if ((*model)->needsWeightsFile()) {
    // bitnet-compile --weights=file writes <output stem>.weights beside the object.
    SmallString<256> beside(library.getValue());
    sys::path::replace_extension(beside, "weights");
    if (!sys::fs::exists(beside))
      return fail(library + " keeps its weights in a file (compiled with --weights=file) and " +
                  beside + " is not there: give it with --weights");
    if (Error e = (*model)->loadWeights(beside))
      return fail(toString(std::move(e)));
  }

  if (!perplexityFile.empty()) {
    if (profileMode || benchMode || textPrompt || !ids.empty() || !verifyCheckpoint.empty())
      return fail("--perplexity is a run of its own: no prompt, --bench, --profile or "
                  "--verify");
    if (threads.size() > 1)
      return fail("-t takes one value with --perplexity");
    if (!(*model)->hasTokenizer())
      return fail(library + " has no tokenizer: --perplexity needs one");
    std::string text;
    std::string why =
        bitnet::readRegularFile(perplexityFile, bitnet::kMaxTextInputBytes, text);
    if (!why.empty())
      return fail(why);
    const bitnet_model &m = (*model)->model();
    int32_t chunk = chunkTokens.getNumOccurrences()
                        ? int32_t(chunkTokens)
                        : int32_t(std::min<int64_t>(512, m.context));
    if (m.context < 4)
      return fail("--perplexity needs a context of at least 4 tokens; the model's is " +
                  Twine(m.context));
    if (chunk < 4 || chunk > m.context)
      return fail("-c " + Twine(chunk) + " must be in [4, " + Twine(m.context) +
                  "] (the compiled context)");
    Expected<std::vector<int32_t>> tokens = (*model)->tokenize(text, true, false);
    if (!tokens)
      return fail(toString(tokens.takeError()));
    bitnet_state *s = (*model)->create(0, threads.empty() ? 0 : threads.front());
    if (!s)
      return fail("cannot create a state (out of memory, or the weights file is not loaded)");
    int32_t bos = (*model)->beginOfSequence();
    errs() << "bitnet-run: " << tokens->size() << " tokens, " << tokens->size() / chunk
           << " chunks of " << chunk << "\n";
    Expected<run::PerplexityResult> result = run::perplexity(
        *tokens, chunk, int32_t(m.vocab), bos,
        [&](const int32_t *input, int32_t count, float *logits) -> Error {
          (*model)->reset(s);
          int32_t status = (*model)->forward(s, input, count, 0, BITNET_LOGITS_ALL, logits);
          if (status != 0)
            return (*model)->failed(status);
          return Error::success();
        },
        [&](int64_t done, int64_t chunks, double estimate) {
          errs() << "[" << done << "/" << chunks << "] " << format("%.4f", estimate) << "\n";
        });
    (*model)->destroy(s);
    if (!result)
      return fail(toString(result.takeError()));
    outs() << format("perplexity: %.4f +/- %.4f (%lld chunks of %d tokens, %lld tokens "
                     "scored)\n",
                     result->perplexity, result->standardError, (long long)result->chunks,
                     chunk, (long long)result->scored);
    return 0;
  }
  if (!verifyCheckpoint.empty()) {
    if (profileMode || benchMode || chatMode)
      return fail("--verify is a run of its own: no --bench, --profile or --chat");
    if (promptTokens.size() > 1 || generated.size() > 1 || threads.size() > 1)
      return fail("-p, -n and -t take one value with --verify");
    if (!promptTokens.empty() && (textPrompt || !ids.empty()))
      return fail("give -p (random ids) or a prompt, not both");
    const bitnet_model &m = (*model)->model();
    if (textPrompt) {
      std::string why = tokenizePrompt(**model, text, "--prompt-ids or -p", ids);
      if (!why.empty())
        return fail(why);
    } else if (ids.empty()) {
      bitnet::ref::Rng rng(seed);
      // The defaults fit a small compiled context.
      int32_t count = promptTokens.empty()
                          ? int32_t(std::clamp<int64_t>(m.context / 2, 1, 16))
                          : promptTokens.front();
      for (int32_t i = 0; i < count; ++i)
        ids.push_back(static_cast<int32_t>(rng.next() % static_cast<uint64_t>(m.vocab)));
    }
    const int32_t verifyThreads = threads.empty() ? 0 : threads.front();
    errs() << "bitnet-run: verify: "
           << (m.weight_kind == BITNET_WEIGHTS_FROM_IR ? "reading " : "importing ")
           << verifyCheckpoint << "\n";
    Expected<std::unique_ptr<run::GoldenModel>> golden =
        run::loadGoldenModel(**model, verifyCheckpoint, run::goldenThreads(verifyThreads));
    if (!golden)
      return fail(toString(golden.takeError()));
    int32_t count = generated.empty()
                        ? int32_t(std::clamp<int64_t>(m.context - int64_t(ids.size()), 0, 16))
                        : generated.front();
    Expected<run::VerifyResult> result = run::verifyAgainstReference(
        **model, **golden, ids, count, verifyThreads,
        [](StringRef what) { errs() << "bitnet-run: verify: " << what << "\n"; });
    if (!result)
      return fail(toString(result.takeError()));
    run::printVerifyResult(outs(), *result);
    return result->verdict == run::VerifyVerdict::Differs ? 1 : 0;
  }
  if (chatMode && (profileMode || benchMode || !perplexityFile.empty()))
    return fail("--chat is a run of its own: no --bench, --profile or --perplexity");
  if (profileMode && benchMode)
    return fail("--profile and --bench are different runs: give one");
  if (profileMode) {
    run::ProfileOptions options;
    const bitnet_model &m = (*model)->model();
    if (promptTokens.size() > 1 || generated.size() > 1 || threads.size() > 1)
      return fail("--profile takes one value each for -p, -n and -t");
    if (promptTokens.empty() && generated.empty() &&
        options.promptTokens + options.generatedTokens > m.context) {
      // Defaults that fit a small context: an eighth of it generated.
      options.generatedTokens =
          int32_t(std::min<int64_t>(options.generatedTokens, std::max<int64_t>(1, m.context / 8)));
      options.promptTokens =
          int32_t(std::min<int64_t>(options.promptTokens, m.context - options.generatedTokens));
    }
    if (!promptTokens.empty())
      options.promptTokens = promptTokens.front();
    if (!generated.empty())
      options.generatedTokens = generated.front();
    if (!threads.empty())
      options.threads = threads.front();
    if (Error e = run::profile(**model, options, outs()))
      return fail(toString(std::move(e)));
    return 0;
  }
  if (benchMode) {
    run::BenchOptions options;
    const bitnet_model &m = (*model)->model();
    auto tests = [](const cl::list<int32_t> &counts) {
      std::vector<int32_t> nonzero;
      std::copy_if(counts.begin(), counts.end(), std::back_inserter(nonzero),
                   [](int32_t n) { return n != 0; });
      return nonzero;
    };
    // Defaults that fit a small context (after -d's tokens).
    const int64_t room = m.context - std::max<int64_t>(0, depth);
    for (std::vector<int32_t> *counts : {&options.promptTokens, &options.generatedTokens})
      if (room >= 1)
        for (int32_t &n : *counts)
          n = int32_t(std::min<int64_t>(n, room));
    if (!promptTokens.empty())
      options.promptTokens = tests(promptTokens);
    if (!generated.empty())
      options.generatedTokens = tests(generated);
    if (options.promptTokens.empty() && options.generatedTokens.empty())
      return fail("--bench: -p 0 and -n 0 leave nothing to measure");
    if (!threads.empty())
      options.threads.assign(threads.begin(), threads.end());
    options.repetitions = repetitions;
    options.depth = depth;
    if (Error e = run::bench(**model, library, options, outs()))
      return fail(toString(std::move(e)));
    return 0;
  }

  run::Sampling sampling;
  sampling.temperature = temperature;
  sampling.topK = topK;
  sampling.topP = topP;
  sampling.seed = seed;
  if (chatMode) {
    if (benchMode || profileMode || !ids.empty() || !textFile.empty())
      return fail("--chat takes --prompt (one turn) or standard input, not ids, --file, "
                  "--bench or --profile");
    if (threads.size() > 1 || generated.size() > 1)
      return fail("-t and -n take one value with --chat");
    Expected<std::unique_ptr<run::Conversation>> chat = run::Conversation::start(
        **model, sampling, threads.empty() ? 0 : threads.front(), systemPrompt);
    if (!chat)
      return fail(toString(chat.takeError()));
    int32_t maxTokens = generated.empty() ? 256 : generated.front();
    auto turn = [&](StringRef user) -> int {
      Error e = (*chat)->say(
          user, maxTokens,
          [](StringRef text) {
            outs() << text;
            outs().flush();
          },
          verbosePrompt ? &errs() : nullptr);
      outs() << "\n";
      outs().flush();
      if (e)
        return fail(toString(std::move(e)));
      return 0;
    };
    if (prompt.getNumOccurrences() > 0)
      return turn(prompt);
    std::string line;
    for (int c; (c = std::getchar()) != EOF;) {
      if (c != '\n') {
        line.push_back(static_cast<char>(c));
        continue;
      }
      if (!StringRef(line).trim().empty())
        if (int rc = turn(line))
          return rc;
      line.clear();
    }
    if (!StringRef(line).trim().empty())
      return turn(line);
    return 0;
  }
  if (textPrompt) {
    std::string why = tokenizePrompt(**model, text, "--prompt-ids", ids);
    if (!why.empty())
      return fail(why);
  }
  if (ids.empty())
    return fail("give a prompt: --prompt=TEXT, --file=FILE, --prompt-ids=ID,ID,... or "
                "--prompt-file=FILE");
  if (threads.size() > 1)
    return fail("-t takes one value when generating");
  int32_t count = generated.empty() ? 16 : generated.front();
  if (generated.size() > 1 || count < 1)
    return fail("-n takes one value >= 1 when generating");
  if (!textPrompt) {
    Expected<std::vector<int32_t>> out =
        run::generate(**model, ids, count, sampling, threads.empty() ? 0 : threads.front());
    if (!out)
      return fail(toString(out.takeError()));
    for (size_t i = 0; i < out->size(); ++i)
      outs() << (i ? " " : "") << (*out)[i];
    outs() << "\n";
    return 0;
  }
  // Text: the prompt, then the generated text as it comes: the detokenized
  // ids so far past what was printed (a token's piece alone would show
  // special tokens and split a character made of several tokens).
  outs() << text;
  outs().flush();
  std::string pieceError;
  std::vector<int32_t> all = ids;
  size_t printed = 0;
  if (Expected<std::string> start = (*model)->detokenize(ids))
    printed = start->size();
  else
    return fail(toString(start.takeError()));
  Expected<std::vector<int32_t>> out = run::generate(
      **model, ids, count, sampling, threads.empty() ? 0 : threads.front(), [&](int32_t id) {
        if (!ignoreEos && (*model)->isEndOfGeneration(id))
          return false;
        all.push_back(id);
        Expected<std::string> now = (*model)->detokenize(all);
        if (!now) {
          pieceError = toString(now.takeError());
          return false;
        }
        if (now->size() > printed) {
          outs() << now->substr(printed);
          outs().flush();
          printed = now->size();
        }
        return true;
      });
  outs() << "\n";
  if (!out)
    return fail(toString(out.takeError()));
  if (!pieceError.empty())
    return fail(pieceError);
  return 0;
}
