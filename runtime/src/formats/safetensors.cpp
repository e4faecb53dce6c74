// safetensors reader and writer. The reader enforces every rule of the format
// (docs/formats.md#safetensors): header length limit and bounds, valid UTF-8 JSON, no
// duplicate names, known dtypes, byte counts that match shapes, tensors that tile the data
// section exactly (no gap, no overlap) and a file that ends where the data section does.
#include "slimtune/safetensors.h"

#include "formats/json_input.h"
#include "slimtune/atomic_file.h"
#include "slimtune/checked_math.h"

#include <algorithm>
#include <cstring>
#include <set>

namespace slimtune {
namespace {
using json = nlohmann::json;

constexpr uint64_t kMaxHeaderBytes = 100'000'000;

uint64_t readU64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | p[i];
  return v;
}

Expected<uint64_t> nonNegativeInteger(const json &v) {
  if (v.is_number_unsigned())
    return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0)
    return static_cast<uint64_t>(v.get<int64_t>());
  return Status::error("not a non-negative integer");
}

struct Entry {
  TensorView view;
  uint64_t begin, end;
};

Expected<Entry> parseEntry(const std::string &name, const json &spec) {
  auto fail = [&](const std::string &what) {
    return Status::error("tensor \"" + name + "\": " + what);
  };
  if (!spec.is_object())
    return fail("entry is not a JSON object");
  for (const char *key : {"dtype", "shape", "data_offsets"})
    if (!spec.contains(key))
      return fail(std::string("missing \"") + key + "\"");
  for (auto it = spec.begin(); it != spec.end(); ++it)
    if (it.key() != "dtype" && it.key() != "shape" && it.key() != "data_offsets")
      return fail("unknown field \"" + it.key() + "\"");

  Entry entry;
  entry.view.name = name;
  const json &dtype = spec["dtype"];
  auto parsed = dtype.is_string() ? parseDType(dtype.get<std::string>()) : std::nullopt;
  if (!parsed)
    return fail("unknown dtype " + dtype.dump());
  entry.view.dtype = *parsed;

  const json &shape = spec["shape"];
  if (!shape.is_array())
    return fail("shape is not an array");
  for (const json &d : shape) {
    auto dim = nonNegativeInteger(d);
    if (!dim || *dim > static_cast<uint64_t>(INT64_MAX))
      return fail("shape " + shape.dump() + " has a dimension that is not a non-negative integer");
    entry.view.shape.push_back(static_cast<int64_t>(*dim));
  }

  const json &offsets = spec["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2)
    return fail("data_offsets is not [begin, end]");
  auto begin = nonNegativeInteger(offsets[0]);
  auto end = nonNegativeInteger(offsets[1]);
  if (!begin || !end || *begin > *end)
    return fail("data_offsets " + offsets.dump() + " is not [begin, end] with begin <= end");
  entry.begin = *begin;
  entry.end = *end;

  auto elements = checkedProduct(entry.view.shape);
  auto needed = elements ? checkedMul(*elements, dtypeSize(entry.view.dtype)) : std::nullopt;
  if (!needed)
    return fail("shape " + shapeString(entry.view.shape) + " overflows 64-bit byte counts");
  if (*needed != entry.end - entry.begin)
    return fail("data_offsets " + offsets.dump() + " hold " +
                std::to_string(entry.end - entry.begin) + " bytes, but shape " +
                shapeString(entry.view.shape) + " of " +
                std::string(dtypeName(entry.view.dtype)) + " needs " + std::to_string(*needed));
  entry.view.bytes = *needed;
  return entry;
}
} // namespace

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

Expected<SafetensorsHeader> parseSafetensors(const uint8_t *data, size_t size,
                                             const std::string &name) {
  auto fail = [&](const std::string &what) { return Status::error(name + ": " + what); };
  if (size < 8)
    return fail("file is " + std::to_string(size) +
                " bytes; a safetensors file starts with an 8-byte header length");
  uint64_t n = readU64(data);
  if (n > kMaxHeaderBytes)
    return fail("header length " + std::to_string(n) + " exceeds the limit of " +
                std::to_string(kMaxHeaderBytes) + " bytes");
  if (n > size - 8)
    return fail("header length " + std::to_string(n) + " runs past the end of the file (" +
                std::to_string(size) + " bytes)");
  const char *text = reinterpret_cast<const char *>(data + 8);
  if (n == 0 || text[0] != '{')
    return fail("header does not start with '{'");
  auto parsed = parseJsonStrict(text, text + n);
  if (!parsed)
    return fail("header: " + parsed.status().message());
  const json &header = *parsed;
  if (!header.is_object())
    return fail("header is not a JSON object");

  SafetensorsHeader result;
  result.headerBytes = 8 + n;
  std::vector<Entry> entries;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object())
        return fail("__metadata__ is not an object");
      for (auto m = it->begin(); m != it->end(); ++m) {
        if (!m->is_string())
          return fail("__metadata__ value of \"" + m.key() + "\" is not a string");
        result.metadata[m.key()] = m->get<std::string>();
      }
      continue;
    }
    auto entry = parseEntry(it.key(), *it);
    if (!entry)
      return fail(entry.status().message());
    entries.push_back(entry.take());
  }

  // The tensors must tile the data section: sorted by offset, each begins where the previous
  // one ends, the first at 0 and the last at the end of the file.
  std::stable_sort(entries.begin(), entries.end(), [](const Entry &a, const Entry &b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t dataBytes = size - result.headerBytes;
  uint64_t cursor = 0;
  const std::string *previous = nullptr;
  for (const Entry &e : entries) {
    if (e.begin < cursor)
      return fail("tensor \"" + e.view.name + "\" overlaps tensor \"" + *previous + "\"");
    if (e.begin > cursor)
      return fail("gap of " + std::to_string(e.begin - cursor) + " bytes before tensor \"" +
                  e.view.name + "\"");
    if (e.end > dataBytes)
      return fail("tensor \"" + e.view.name + "\" ends at byte " + std::to_string(e.end) +
                  " of a " + std::to_string(dataBytes) + "-byte data section");
    cursor = e.end;
    previous = &e.view.name;
  }
  if (cursor != dataBytes)
    return fail("file is " + std::to_string(size) + " bytes but header and tensors end at " +
                std::to_string(result.headerBytes + cursor));

  for (Entry &e : entries) {
    e.view.data = data + result.headerBytes + e.begin;
    result.tensors.push_back(std::move(e.view));
  }
  return result;
}

//===-- Files ---------------------------------------------------------------------===//

Expected<SafetensorsFile> SafetensorsFile::open(const std::string &path) {
  auto file = MappedFile::open(path);
  if (!file)
    return file.status();
  auto header = parseSafetensors((*file)->data(), (*file)->size(), path);
  if (!header)
    return header.status();
  SafetensorsFile result;
  result.file_ = file.take();
  result.header_ = header.take();
  for (size_t i = 0; i < result.header_.tensors.size(); ++i)
    result.index_[result.header_.tensors[i].name] = i;
  return result;
}

const TensorView *SafetensorsFile::find(std::string_view name) const {
  auto it = index_.find(std::string(name));
  return it == index_.end() ? nullptr : &header_.tensors[it->second];
}

//===-- Sharded checkpoints -------------------------------------------------------===//

namespace {
bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string folderOf(const std::string &path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}
} // namespace

Expected<SafetensorsCheckpoint> SafetensorsCheckpoint::open(const std::string &path) {
  SafetensorsCheckpoint result;
  std::vector<std::string> shards;
  // Each tensor the index names, with the shard it must be in.
  std::map<std::string, std::string> expected;
  if (endsWith(path, ".json")) {
    auto parsed = readJsonFile(path);
    if (!parsed)
      return parsed.status();
    const json &index = *parsed;
    if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object())
      return Status::error(path + ": no \"weight_map\" object");
    std::set<std::string> seen;
    for (auto it = index["weight_map"].begin(); it != index["weight_map"].end(); ++it) {
      if (!it->is_string())
        return Status::error(path + ": weight_map entry \"" + it.key() + "\" is not a file name");
      std::string shard = it->get<std::string>();
      if (shard.empty() || shard.find('/') != std::string::npos || shard == "." || shard == "..")
        return Status::error(path + ": weight_map entry \"" + it.key() + "\" names \"" + shard +
                             "\", not a file in the index's folder");
      expected[it.key()] = shard;
      if (seen.insert(shard).second)
        shards.push_back(shard);
    }
    for (std::string &shard : shards)
      shard = folderOf(path) + "/" + shard;
  } else {
    shards.push_back(path);
  }

  for (const std::string &shard : shards) {
    auto file = SafetensorsFile::open(shard);
    if (!file)
      return file.status();
    result.files_.push_back(file.take());
  }
  for (const SafetensorsFile &file : result.files_) {
    for (const TensorView &t : file.tensors()) {
      if (!result.index_.emplace(t.name, &t).second)
        return Status::error(file.path() + ": tensor \"" + t.name +
                             "\" is also in another shard");
    }
  }
  for (const auto &[name, shard] : expected) {
    const TensorView *t = result.find(name);
    if (!t)
      return Status::error(path + ": tensor \"" + name + "\" is listed for " + shard +
                           " but not found there");
  }
  return result;
}

std::vector<const TensorView *> SafetensorsCheckpoint::tensors() const {
  std::vector<const TensorView *> all;
  for (const SafetensorsFile &file : files_)
    for (const TensorView &t : file.tensors())
      all.push_back(&t);
  return all;
}

const TensorView *SafetensorsCheckpoint::find(std::string_view name) const {
  auto it = index_.find(std::string(name));
  return it == index_.end() ? nullptr : it->second;
}

//===-- Writer --------------------------------------------------------------------===//

Status writeSafetensors(const std::string &path, const std::vector<TensorToWrite> &tensors,
                        const std::map<std::string, std::string> &metadata) {
  json header = json::object();
  if (!metadata.empty())
    header["__metadata__"] = metadata;
  uint64_t offset = 0;
  std::set<std::string> names;
  for (const TensorToWrite &t : tensors) {
    if (!names.insert(t.name).second)
      return Status::error(path + ": duplicate tensor name \"" + t.name + "\"");
    auto elements = checkedProduct(t.shape);
    if (!elements || *elements * dtypeSize(t.dtype) != t.bytes)
      return Status::error(path + ": tensor \"" + t.name + "\" has " + std::to_string(t.bytes) +
                           " bytes, which does not match shape " + shapeString(t.shape));
    header[t.name] = {{"dtype", std::string(dtypeName(t.dtype))},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + t.bytes}}};
    offset += t.bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  uint8_t length[8];
  uint64_t n = text.size();
  for (int i = 0; i < 8; ++i)
    length[i] = static_cast<uint8_t>(n >> (8 * i));
  std::vector<ByteChunk> chunks = {{length, 8}, {text.data(), text.size()}};
  for (const TensorToWrite &t : tensors)
    chunks.push_back({t.data, t.bytes});
  return writeFileAtomically(path, chunks);
}

} // namespace slimtune
