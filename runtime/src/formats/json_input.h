// Reading untrusted JSON files (safetensors headers, config.json, adapter_config.json,
// index files): strict parsing, small-file reading, and typed field access with errors that
// name the file and key. Internal to the runtime: it exposes nlohmann::json, which the public
// headers do not.
#ifndef SLIMTUNE_FORMATS_JSON_INPUT_H
#define SLIMTUNE_FORMATS_JSON_INPUT_H

#include "slimtune/status.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace slimtune {

namespace detail {
constexpr int kMaxJsonDepth = 64;
struct JsonTooDeep {};
} // namespace detail

// Parses JSON text; rejects invalid JSON or UTF-8, duplicate keys in any object (nlohmann
// would silently keep the last) and nesting deeper than 64 levels. `Json` is nlohmann::json,
// or nlohmann::ordered_json where the order of keys in the file matters.
template <typename Json = nlohmann::json>
Expected<Json> parseJsonStrict(const char *begin, const char *end) {
  std::vector<std::set<std::string>> keys;
  std::string duplicate;
  auto callback = [&](int depth, typename Json::parse_event_t event, Json &value) {
    if (depth > detail::kMaxJsonDepth)
      throw detail::JsonTooDeep{};
    if (event == Json::parse_event_t::object_start)
      keys.emplace_back();
    else if (event == Json::parse_event_t::object_end && !keys.empty())
      keys.pop_back();
    else if (event == Json::parse_event_t::key && !keys.empty() &&
             !keys.back().insert(value.template get<std::string>()).second && duplicate.empty())
      duplicate = value.template get<std::string>();
    return true;
  };
  try {
    Json parsed = Json::parse(begin, end, callback);
    if (!duplicate.empty())
      return Status::error("duplicate key \"" + duplicate + "\"");
    return parsed;
  } catch (const detail::JsonTooDeep &) {
    return Status::error("JSON nested deeper than " + std::to_string(detail::kMaxJsonDepth) +
                         " levels");
  } catch (const nlohmann::json::exception &e) {
    return Status::error(std::string("invalid JSON: ") + e.what());
  }
}

// Reads a whole file of at most `limit` bytes.
Expected<std::string> readSmallFile(const std::string &path, size_t limit = 100'000'000);

// Reads and strictly parses a JSON file; errors are "<path>: <what>".
template <typename Json = nlohmann::json> Expected<Json> readJsonFile(const std::string &path) {
  SLIMTUNE_TRY(text, readSmallFile(path));
  auto parsed = parseJsonStrict<Json>(text.data(), text.data() + text.size());
  if (!parsed)
    return Status::error(path + ": " + parsed.status().message());
  return parsed;
}

// Typed reads of a JSON object's fields with errors that name the file and key, e.g.
// `config.json: "num_hidden_layers" must be a positive integer, got "two"`.
template <typename Json = nlohmann::json> class JsonFields {
public:
  JsonFields(const Json &object, std::string file) : object_(object), file_(std::move(file)) {}

  bool has(const std::string &key) const { return object_.is_object() && object_.contains(key); }
  // Present and not null.
  bool hasValue(const std::string &key) const { return has(key) && !object_[key].is_null(); }
  const Json *get(const std::string &key) const { return has(key) ? &object_[key] : nullptr; }

  Status error(const std::string &key, const std::string &what) const {
    return Status::error(file_ + ": \"" + key + "\" " + what);
  }

  Expected<int64_t> positiveInt(const std::string &key) const {
    if (!hasValue(key))
      return Status::error(file_ + ": missing \"" + key + "\"");
    const Json &v = object_[key];
    if (!v.is_number_integer() || v.template get<int64_t>() <= 0)
      return error(key, "must be a positive integer, got " + v.dump());
    return v.template get<int64_t>();
  }

  Expected<int64_t> positiveInt(const std::string &key, int64_t fallback) const {
    return hasValue(key) ? positiveInt(key) : Expected<int64_t>(fallback);
  }

  Expected<double> number(const std::string &key, double fallback) const {
    if (!hasValue(key))
      return fallback;
    const Json &v = object_[key];
    if (!v.is_number())
      return error(key, "must be a number, got " + v.dump());
    return v.template get<double>();
  }

  Expected<bool> boolean(const std::string &key, bool fallback) const {
    if (!hasValue(key))
      return fallback;
    const Json &v = object_[key];
    if (!v.is_boolean())
      return error(key, "must be true or false, got " + v.dump());
    return v.template get<bool>();
  }

  Expected<std::string> string(const std::string &key, const std::string &fallback) const {
    if (!hasValue(key))
      return fallback;
    const Json &v = object_[key];
    if (!v.is_string())
      return error(key, "must be a string, got " + v.dump());
    return v.template get<std::string>();
  }

  // A non-negative integer or a list of them (eos_token_id, layers_to_transform); empty when
  // absent or null.
  Expected<std::vector<int64_t>> intOrIntList(const std::string &key) const {
    std::vector<int64_t> ids;
    if (!hasValue(key))
      return ids;
    const Json &v = object_[key];
    auto one = [&](const Json &x) {
      if (!x.is_number_integer() || x.template get<int64_t>() < 0)
        return false;
      ids.push_back(x.template get<int64_t>());
      return true;
    };
    bool ok = v.is_array() ? std::all_of(v.begin(), v.end(), one) : one(v);
    if (!ok)
      return error(key, "must be a non-negative integer or a list of them, got " + v.dump());
    return ids;
  }

  const std::string &file() const { return file_; }

private:
  const Json &object_;
  std::string file_;
};

} // namespace slimtune

#endif // SLIMTUNE_FORMATS_JSON_INPUT_H
