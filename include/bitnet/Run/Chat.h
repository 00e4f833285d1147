//===- Chat.h - Chat prompts in a model's own format ------------*- C++ -*-===//
//
// A checkpoint's chat template is Jinja; like llama.cpp's
// llama_chat_apply_template, the runner does not evaluate it but recognizes
// the formats it knows by markers in the text and writes them itself:
//   Llama 3: <|start_header_id|>ROLE<|end_header_id|>\n\nTEXT<|eot_id|> per
//            message, then the assistant's header;
//   BitNet b1.58 2B-4T: "System: TEXT<|eot_id|>", "User: TEXT<|eot_id|>",
//            "Assistant: TEXT<|eot_id|>", then "Assistant: ".
// BOS is the tokenizer's to add (add_special), not part of the text.
//
//===----------------------------------------------------------------------===//
#ifndef BITNET_RUN_CHAT_H
#define BITNET_RUN_CHAT_H

#include "bitnet/Run/Runner.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace bitnet {
namespace run {

enum class ChatFormat { Llama3, BitNet };

struct ChatMessage {
  std::string role; // system, user or assistant
  std::string content;
};

/// The format of `chatTemplate`; an error naming the formats known when it
/// is none of them (or empty).
llvm::Expected<ChatFormat> chatFormatOf(llvm::StringRef chatTemplate);
/// The name of a format ("llama3", "bitnet").
const char *chatFormatName(ChatFormat format);

/// `messages` in `format`, followed by the opening of the assistant's turn
/// when `addAssistant`. Contents are trimmed of surrounding whitespace, as
/// the templates do.
std::string formatChat(ChatFormat format, const std::vector<ChatMessage> &messages,
                       bool addAssistant);

/// A conversation on one state of a model with a tokenizer and a chat
/// template it knows: each user turn is written in the model's format and
/// run, then the reply is sampled until end of generation (the end token
/// goes into the cache too); the KV cache keeps the whole conversation.
class Conversation {
public:
  static llvm::Expected<std::unique_ptr<Conversation>>
  start(LoadedModel &model, const Sampling &sampling, int32_t threads, std::string system);
  ~Conversation();
  /// One user turn and the reply, at most `maxTokens` long; `onText` sees
  /// the reply's text as it comes; `verbose` (if any) the turn's formatted
  /// text and ids.
  llvm::Error say(llvm::StringRef user, int32_t maxTokens,
                  const std::function<void(llvm::StringRef)> &onText,
                  llvm::raw_ostream *verbose);
  ChatFormat format() const { return format_; }

private:
  Conversation(LoadedModel &model, const Sampling &sampling)
      : model_(model), sampling_(sampling), rng_(sampling.seed) {}
  LoadedModel &model_;
  Sampling sampling_;
  ref::Rng rng_;
  ChatFormat format_ = ChatFormat::Llama3;
  bitnet_state *state_ = nullptr;
  std::string system_;
  int32_t position_ = 0;
  std::vector<float> logits_;
};

} // namespace run
} // namespace bitnet

#endif // BITNET_RUN_CHAT_H
