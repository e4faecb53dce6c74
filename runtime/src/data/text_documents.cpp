// Text files as documents: plain UTF-8 text cut at separator lines or blank lines, or JSON
// Lines with a "text" field.
#include "slimtune/data.h"

#include "formats/json_input.h"
#include "slimtune/mapped_file.h"
#include "support/utf8.h"

#include <algorithm>

namespace slimtune {
namespace {

bool isBlank(std::string_view line) {
  return std::all_of(line.begin(), line.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

// Trims surrounding newlines (not spaces: leading indentation is part of the text).
std::string_view trimNewlines(std::string_view text) {
  while (!text.empty() && (text.front() == '\n' || text.front() == '\r'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.remove_suffix(1);
  return text;
}

// The 1-based line holding byte `offset`.
size_t lineOf(std::string_view text, size_t offset) {
  return 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + offset, '\n'));
}

template <typename Visit> void forEachLine(std::string_view text, Visit visit) {
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string_view::npos)
      end = text.size();
    visit(text.substr(begin, end - begin), begin);
    begin = end + 1;
  }
}

std::vector<std::string> splitPlainText(std::string_view text, const std::string &separator) {
  std::vector<std::string> documents;
  size_t start = 0;
  auto close = [&](size_t end) {
    std::string_view document = trimNewlines(text.substr(start, end - start));
    if (!isBlank(document))
      documents.emplace_back(document);
  };
  forEachLine(text, [&](std::string_view line, size_t at) {
    std::string_view bare = !line.empty() && line.back() == '\r' ? line.substr(0, line.size() - 1) : line;
    if (separator.empty() ? isBlank(bare) : bare == separator) {
      close(at);
      start = at + line.size() + 1;
    }
  });
  if (start < text.size())
    close(text.size());
  return documents;
}

Expected<std::vector<std::string>> splitJsonLines(std::string_view text, const std::string &path) {
  std::vector<std::string> documents;
  Status status = Status::ok();
  forEachLine(text, [&](std::string_view line, size_t at) {
    if (!status || isBlank(line))
      return;
    std::string where = path + ": line " + std::to_string(lineOf(text, at));
    auto parsed = parseJsonStrict(line.data(), line.data() + line.size());
    if (!parsed) {
      status = Status::error(where + ": " + parsed.status().message());
      return;
    }
    if (!parsed->is_object() || !parsed->contains("text") || !(*parsed)["text"].is_string()) {
      status = Status::error(where + ": expected an object with a string field \"text\"");
      return;
    }
    std::string document = (*parsed)["text"].get<std::string>();
    if (!document.empty())
      documents.push_back(std::move(document));
  });
  if (!status)
    return status;
  return documents;
}

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

Expected<std::vector<std::string>> parseTextDocuments(std::string_view text,
                                                      const std::string &name,
                                                      const std::string &separator) {
  if (text.empty())
    return Status::error(name + ": the file is empty");
  size_t bad = firstInvalidUtf8(text);
  if (bad != std::string_view::npos)
    return Status::error(name + ": line " + std::to_string(lineOf(text, bad)) +
                         ": invalid UTF-8 at byte " + std::to_string(bad) + " of the file" +
                         " (is it a text file in another encoding?)");
  std::vector<std::string> documents;
  if (endsWith(name, ".jsonl")) {
    SLIMTUNE_TRY(lines, splitJsonLines(text, name));
    documents = std::move(lines);
  } else {
    documents = splitPlainText(text, separator);
  }
  if (documents.empty())
    return Status::error(name + ": holds no text" +
                         (separator.empty() ? "" : " (only separator lines \"" + separator + "\")"));
  return documents;
}

Expected<std::vector<std::string>> readTextDocuments(const std::string &path,
                                                     const std::string &separator) {
  SLIMTUNE_TRY(file, MappedFile::open(path));
  return parseTextDocuments(
      std::string_view(reinterpret_cast<const char *>(file->data()), file->size()), path, separator);
}

} // namespace slimtune
