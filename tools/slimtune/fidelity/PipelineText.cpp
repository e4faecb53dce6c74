//===- PipelineText.cpp - editing a textual pass pipeline ----------------------------------===//

#include "PipelineText.h"

#include <vector>

namespace slimtune::cli {
namespace {

bool isNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

// Where the bracket opened at `open` closes (the text's end when it does not).
size_t closing(const std::string &text, size_t open) {
  int depth = 0;
  for (size_t i = open; i < text.size(); ++i) {
    char c = text[i];
    if (c == '{' || c == '(')
      ++depth;
    else if ((c == '}' || c == ')') && --depth == 0)
      return i;
  }
  return text.size();
}

struct Entry {
  size_t begin, end;         // the whole entry: name{options}
  size_t optionsBegin = 0;   // just after '{', or 0 without options
  size_t optionsEnd = 0;     // at '}'
};

// Every entry of pass `name`: the name standing alone (after '(' or ',', before '{', ',' or ')').
std::vector<Entry> entries(const std::string &text, const std::string &name) {
  std::vector<Entry> found;
  for (size_t at = text.find(name); at != std::string::npos; at = text.find(name, at + 1)) {
    size_t after = at + name.size();
    if ((at > 0 && isNameChar(text[at - 1])) || (after < text.size() && isNameChar(text[after])))
      continue;
    Entry e{at, after};
    if (after < text.size() && text[after] == '{') {
      e.optionsBegin = after + 1;
      e.optionsEnd = closing(text, after);
      e.end = std::min(text.size(), e.optionsEnd + 1);
    }
    found.push_back(e);
  }
  return found;
}

} // namespace

std::string removePass(const std::string &pipeline, const std::string &name) {
  return rewritePass(pipeline, name, [](const std::string &) { return std::nullopt; });
}

std::string rewritePass(
    const std::string &pipeline, const std::string &name,
    const std::function<std::optional<std::string>(const std::string &options)> &rewrite) {
  std::string text = pipeline;
  std::vector<Entry> found = entries(text, name);
  for (auto it = found.rbegin(); it != found.rend(); ++it) {
    const std::string options =
        it->optionsBegin ? text.substr(it->optionsBegin, it->optionsEnd - it->optionsBegin) : "";
    std::optional<std::string> replaced = rewrite(options);
    if (replaced) {
      text.replace(it->begin, it->end - it->begin, name + "{" + *replaced + "}");
      continue;
    }
    size_t begin = it->begin, end = it->end;
    // Take one separating comma with it: the one after, or else the one before.
    if (end < text.size() && text[end] == ',')
      ++end;
    else if (begin > 0 && text[begin - 1] == ',')
      --begin;
    text.erase(begin, end - begin);
  }
  return text;
}

namespace {
// Options are "key=value" separated by spaces; a value may hold brackets.
std::vector<std::string> optionItems(const std::string &options) {
  std::vector<std::string> items;
  for (size_t i = 0; i < options.size();) {
    if (options[i] == ' ') {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < options.size() && options[j] != ' ') {
      if (options[j] == '{' || options[j] == '(')
        j = closing(options, j);
      ++j;
    }
    items.push_back(options.substr(i, std::min(j, options.size()) - i));
    i = j;
  }
  return items;
}
} // namespace

std::string optionValue(const std::string &options, const std::string &key) {
  for (const std::string &item : optionItems(options))
    if (item.rfind(key + "=", 0) == 0)
      return item.substr(key.size() + 1);
  return "";
}

std::string withOption(const std::string &options, const std::string &key, const std::string &value) {
  std::string kept;
  for (const std::string &item : optionItems(options))
    if (item.rfind(key + "=", 0) != 0 && item != key)
      kept += item + " ";
  return kept + key + "=" + value;
}

} // namespace slimtune::cli
