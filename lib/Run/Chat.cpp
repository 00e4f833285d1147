//===- Chat.cpp - Chat prompts in a model's own format --------------------===//
//
// The two formats are those of the templates Meta ships with Llama 3 and
// Microsoft with BitNet b1.58 2B-4T (their tokenizer_config.json); written
// from the rendered examples in those model cards.
//
//===----------------------------------------------------------------------===//

#include "bitnet/Run/Chat.h"

#include <cctype>

namespace bitnet {
namespace run {

llvm::Expected<ChatFormat> chatFormatOf(llvm::StringRef chatTemplate) {
  if (chatTemplate.contains("<|start_header_id|>") && chatTemplate.contains("<|eot_id|>"))
    return ChatFormat::Llama3;
  if (chatTemplate.contains("Assistant: ") && chatTemplate.contains("<|eot_id|>"))
    return ChatFormat::BitNet;
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      chatTemplate.empty()
          ? "the model has no chat template (its checkpoint ships none)"
          : "the model's chat template is not one bitnet-run knows (Llama 3, BitNet "
            "b1.58 2B-4T); format the prompt yourself with --prompt and --special");
}

const char *chatFormatName(ChatFormat format) {
  return format == ChatFormat::Llama3 ? "llama3" : "bitnet";
}

std::string formatChat(ChatFormat format, const std::vector<ChatMessage> &messages,
                       bool addAssistant) {
  std::string out;
  for (const ChatMessage &m : messages) {
    llvm::StringRef content = llvm::StringRef(m.content).trim();
    if (format == ChatFormat::Llama3) {
      out += "<|start_header_id|>" + m.role + "<|end_header_id|>\n\n" + content.str() +
             "<|eot_id|>";
    } else {
      std::string role = m.role;
      if (!role.empty())
        role[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(role[0])));
      out += role + ": " + content.str() + "<|eot_id|>";
    }
  }
  if (addAssistant)
    out += format == ChatFormat::Llama3 ? "<|start_header_id|>assistant<|end_header_id|>\n\n"
                                        : "Assistant: ";
  return out;
}

namespace {
llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}
} // namespace

llvm::Expected<std::unique_ptr<Conversation>>
Conversation::start(LoadedModel &model, const Sampling &sampling, int32_t threads,
                    std::string system) {
  if (!model.hasTokenizer())
    return fail("the model has no tokenizer (compiled with --tokenizer=none, or its "
                "checkpoint has none)");
  llvm::Expected<ChatFormat> format = chatFormatOf(model.chatTemplate());
  if (!format)
    return format.takeError();
  std::unique_ptr<Conversation> c(new Conversation(model, sampling));
  c->format_ = *format;
  c->system_ = std::move(system);
  c->state_ = model.create(0, threads);
  if (!c->state_)
    return fail("cannot create a state (out of memory, or the weights file is not loaded)");
  c->logits_.resize(static_cast<size_t>(model.model().vocab));
  return std::move(c);
}

Conversation::~Conversation() {
  if (state_)
    model_.destroy(state_);
}

llvm::Error Conversation::say(llvm::StringRef user, int32_t maxTokens,
                              const std::function<void(llvm::StringRef)> &onText,
                              llvm::raw_ostream *verbose) {
  const bitnet_model &m = model_.model();
  std::vector<ChatMessage> messages;
  const bool first = position_ == 0;
  if (first && !system_.empty())
    messages.push_back({"system", system_});
  messages.push_back({"user", user.str()});
  std::string text = formatChat(format_, messages, /*addAssistant=*/true);
  // BOS once, at the start of the conversation; the format's markers are
  // special tokens.
  llvm::Expected<std::vector<int32_t>> ids = model_.tokenize(text, first, true);
  if (!ids)
    return ids.takeError();
  if (verbose) {
    *verbose << "chat (" << chatFormatName(format_) << "): " << text << "\n  ids:";
    for (int32_t id : *ids)
      *verbose << " " << id;
    *verbose << "\n";
  }
  if (position_ + int64_t(ids->size()) + 1 > m.context)
    return fail("the conversation no longer fits the compiled context of " +
                llvm::Twine(m.context) + " tokens");
  int32_t status = model_.forward(state_, ids->data(), int32_t(ids->size()), position_,
                                  BITNET_LOGITS_LAST, logits_.data());
  position_ += int32_t(ids->size());
  std::vector<int32_t> reply;
  size_t printed = 0;
  bool endOfTurn = false;
  int32_t i = 0;
  for (; i < maxTokens && status == 0 && position_ < m.context; ++i) {
    int32_t next = sampleToken(logits_.data(), int32_t(m.vocab), sampling_, rng_);
    // The token goes into the cache, the end of the turn included: the next
    // turn follows it.
    status = model_.forward(state_, &next, 1, position_++, BITNET_LOGITS_LAST, logits_.data());
    if (model_.isEndOfGeneration(next)) {
      endOfTurn = true;
      break;
    }
    reply.push_back(next);
    llvm::Expected<std::string> now = model_.detokenize(reply);
    if (!now)
      return now.takeError();
    if (now->size() > printed) {
      onText(llvm::StringRef(*now).substr(printed));
      printed = now->size();
    }
  }
  if (status != 0)
    return model_.failed(status);
  // Cut off by the context, not by -n or the end of the turn: said, since
  // no later turn fits either.
  if (!endOfTurn && i < maxTokens && position_ >= m.context)
    return fail("the reply reached the end of the compiled context of " +
                llvm::Twine(m.context) + " tokens");
  return llvm::Error::success();
}

} // namespace run
} // namespace bitnet
