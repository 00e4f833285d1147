//===- Input.cpp - Bounded, checked reading of untrusted input ------------===//

#include "bitnet/Support/Input.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_set>
#include <vector>

namespace bitnet {
namespace {

const char *fileKind(mode_t mode) {
  if (S_ISDIR(mode))
    return "a directory";
  if (S_ISFIFO(mode))
    return "a FIFO";
  if (S_ISCHR(mode))
    return "a character device";
  if (S_ISBLK(mode))
    return "a block device";
  if (S_ISSOCK(mode))
    return "a socket";
  return "not a regular file";
}

/// Appends up to `maxBytes` + 1 bytes of `fd` to `contents`; false past the
/// bound or on a read error (errno set).
bool readAll(int fd, uint64_t maxBytes, std::string &contents, bool &tooLarge) {
  tooLarge = false;
  char chunk[1 << 16];
  for (;;) {
    ssize_t got = ::read(fd, chunk, sizeof(chunk));
    if (got < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    if (got == 0)
      return true;
    if (static_cast<uint64_t>(got) > maxBytes - contents.size()) {
      tooLarge = true;
      return false;
    }
    contents.append(chunk, static_cast<size_t>(got));
  }
}

void appendUtf8(std::string &out, uint32_t code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

/// Four hex digits at text[at..at+4) as a UTF-16 code unit, or -1.
int32_t hex4(std::string_view text, size_t at) {
  if (at + 4 > text.size())
    return -1;
  int32_t value = 0;
  for (size_t i = at; i < at + 4; ++i) {
    char c = text[i];
    int digit = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
    if (digit < 0)
      return -1;
    value = value * 16 + digit;
  }
  return value;
}

} // namespace

std::string openRegularFile(const std::string &path, uint64_t maxBytes, int &fd,
                            uint64_t &size) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
  fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return path + ": cannot open: " + std::strerror(errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    std::string why = path + ": cannot stat: " + std::strerror(errno);
    ::close(fd);
    fd = -1;
    return why;
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    fd = -1;
    return path + ": is " + fileKind(st.st_mode) + ", not a regular file";
  }
  size = static_cast<uint64_t>(st.st_size);
  if (size > maxBytes) {
    ::close(fd);
    fd = -1;
    return path + ": " + std::to_string(size) + " bytes, more than the " +
           std::to_string(maxBytes) + " this kind of file may have";
  }
  // Reads block as usual from here on.
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0)
    ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  return "";
}

std::string readRegularFile(const std::string &path, uint64_t maxBytes,
                            std::string &contents) {
  int fd;
  uint64_t size;
  std::string why = openRegularFile(path, maxBytes, fd, size);
  if (!why.empty())
    return why;
  contents.clear();
  contents.reserve(static_cast<size_t>(size));
  bool tooLarge;
  bool ok = readAll(fd, maxBytes, contents, tooLarge);
  int savedErrno = errno;
  ::close(fd);
  if (tooLarge)
    return path + ": grew past the " + std::to_string(maxBytes) +
           " bytes this kind of file may have while it was read";
  if (!ok)
    return path + ": cannot read: " + std::strerror(savedErrno);
  return "";
}

std::string readStandardInput(uint64_t maxBytes, std::string &contents) {
  contents.clear();
  bool tooLarge;
  if (readAll(STDIN_FILENO, maxBytes, contents, tooLarge))
    return "";
  if (tooLarge)
    return "<stdin>: more than the " + std::to_string(maxBytes) +
           " bytes standard input may carry";
  return std::string("<stdin>: cannot read: ") + std::strerror(errno);
}

std::string quoteForDiagnostic(std::string_view text, size_t maxBytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "'";
  const size_t shown = text.size() < maxBytes ? text.size() : maxBytes;
  for (size_t i = 0; i < shown; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    switch (c) {
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    case '\\': out += "\\\\"; break;
    case '\'': out += "\\'"; break;
    default:
      if (c < 0x20 || c >= 0x7f) {
        out += "\\x";
        out += kHex[c >> 4];
        out += kHex[c & 15];
      } else {
        out += static_cast<char>(c);
      }
    }
  }
  out += "'";
  if (shown < text.size())
    out += "... (cut, " + std::to_string(text.size()) + " bytes)";
  return out;
}

std::string checkJsonStructure(std::string_view text, unsigned maxDepth) {
  struct Scope {
    bool object;
    std::unordered_set<std::string> keys;
  };
  std::vector<Scope> open;
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"') {
      const size_t start = i++;
      std::string value;
      bool closed = false;
      while (i < text.size()) {
        char d = text[i++];
        if (d == '"') {
          closed = true;
          break;
        }
        if (d != '\\' || i >= text.size()) {
          value += d;
          continue;
        }
        char e = text[i++];
        switch (e) {
        case 'b': value += '\b'; break;
        case 'f': value += '\f'; break;
        case 'n': value += '\n'; break;
        case 'r': value += '\r'; break;
        case 't': value += '\t'; break;
        case 'u': {
          int32_t unit = hex4(text, i);
          if (unit < 0) {
            value += e; // malformed: the parser reports it
            break;
          }
          i += 4;
          uint32_t code = static_cast<uint32_t>(unit);
          int32_t low = -1;
          if (unit >= 0xD800 && unit < 0xDC00 && i + 6 <= text.size() &&
              text[i] == '\\' && text[i + 1] == 'u')
            low = hex4(text, i + 2);
          if (low >= 0xDC00 && low < 0xE000) {
            code = 0x10000 + ((code - 0xD800) << 10) + (static_cast<uint32_t>(low) - 0xDC00);
            i += 6;
          }
          appendUtf8(value, code);
          break;
        }
        default: value += e; // \" \\ \/ and malformed escapes
        }
      }
      if (!closed)
        return ""; // unterminated string: the parser reports it
      if (!open.empty() && open.back().object) {
        size_t j = i;
        while (j < text.size() && (text[j] == ' ' || text[j] == '\t' ||
                                   text[j] == '\n' || text[j] == '\r'))
          ++j;
        if (j < text.size() && text[j] == ':' &&
            !open.back().keys.insert(value).second)
          return "duplicate key " + quoteForDiagnostic(value) + " at byte " +
                 std::to_string(start);
      }
      continue;
    }
    if (c == '{' || c == '[') {
      if (open.size() >= maxDepth)
        return "nested deeper than " + std::to_string(maxDepth) +
               " arrays/objects at byte " + std::to_string(i);
      open.push_back(Scope{c == '{', {}});
    } else if ((c == '}' || c == ']') && !open.empty()) {
      open.pop_back();
    }
    ++i;
  }
  return "";
}

std::string checkMlirNesting(std::string_view text, unsigned maxDepth) {
  size_t depth = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    if (c == '"') { // a string: up to the unescaped closing quote
      for (++i; i < text.size() && text[i] != '"'; ++i)
        if (text[i] == '\\')
          ++i;
    } else if (c == '/' && next == '/') { // a comment: up to the line's end
      while (i < text.size() && text[i] != '\n')
        ++i;
    } else if (c == '(' || c == '[' || c == '{' || (c == '<' && next != '=')) {
      if (++depth > maxDepth)
        return "MLIR nested deeper than " + std::to_string(maxDepth) + " brackets at byte " +
               std::to_string(i);
    } else if (c == ')' || c == ']' || c == '}' ||
               (c == '>' && next != '=' && (i == 0 || text[i - 1] != '-'))) {
      // Unbalanced closers are the parser's to report; they never deepen it.
      if (depth > 0)
        --depth;
    }
  }
  return "";
}

bool parseInt64(const std::string &text, int64_t &out) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0])))
    return false;
  errno = 0;
  char *end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0')
    return false;
  out = v;
  return true;
}

} // namespace bitnet
