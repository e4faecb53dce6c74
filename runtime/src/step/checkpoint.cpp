// Checkpoint folders: atomic writing, checksum verification, restoring a session.
#include "slimtune/checkpoint.h"

#include "formats/json_input.h"
#include "slimtune/atomic_file.h"
#include "slimtune/mapped_file.h"
#include "slimtune/safetensors.h"
#include "slimtune/sha256.h"
#include "step/checkpoint_files.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <map>
#include <memory>
#include <new>
#include <signal.h>
#include <sstream>
#include <string_view>
#include <unistd.h>

namespace fs = std::filesystem;

namespace slimtune {
namespace {

constexpr const char *kFormat = "slimtune-checkpoint";
constexpr int kVersion = 1;
constexpr const char *kParameters = "adapter_model.safetensors";
constexpr const char *kOptimizer = "optimizer.safetensors";
constexpr const char *kState = "trainer_state.json";
constexpr const char *kAdapterConfig = "adapter_config.json";
constexpr const char *kChecksums = "checksums.sha256";
// A save's folders beside the checkpoint's, each followed by the saving process's id: the one
// being written, and an earlier checkpoint of the same step set aside while it is replaced.
constexpr std::string_view kPartialMark = ".partial.";
constexpr std::string_view kOldMark = ".old.";

Status syncFolder(const std::string &folder) {
  int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return Status::error(folder + ": cannot open: " + std::strerror(errno));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0)
    return Status::error(folder + ": fsync failed: " + std::strerror(err));
  return Status::ok();
}

std::string parentOf(const std::string &folder) {
  fs::path parent = fs::path(folder).parent_path();
  return parent.empty() ? "." : parent.string();
}

// The session's buffers of one role as a safetensors file (manifest names, types and shapes),
// copied out of step memory into one host buffer the file is written from.
Status writeRole(const Session &session, const std::string &role, const std::string &path,
                 const std::map<std::string, std::string> &metadata = {}) {
  int64_t total = 0;
  for (const StepBufferInfo &b : session.buffers())
    if (b.role == role)
      total += b.bytes;
  std::unique_ptr<uint8_t[]> host(new (std::nothrow) uint8_t[static_cast<size_t>(total)]);
  if (!host)
    return Status::error(path + ": cannot allocate " + std::to_string(total) + " bytes to write");
  std::vector<TensorToWrite> tensors;
  int64_t offset = 0;
  for (const StepBufferInfo &b : session.buffers()) {
    if (b.role != role)
      continue;
    if (Status s = session.readBytes(b.name, host.get() + offset, b.bytes); !s)
      return s;
    tensors.push_back({b.name, b.elementType(), b.shape, host.get() + offset,
                       static_cast<uint64_t>(b.bytes)});
    offset += b.bytes;
  }
  return writeSafetensors(path, tensors, metadata);
}

Status writeText(const std::string &path, const std::string &text) {
  return writeFileAtomically(path, {{text.data(), text.size()}});
}

// Fills the session's buffers of `role` from one safetensors file of the checkpoint.
Status restoreRole(Session &session, const std::string &file, const std::string &role) {
  SLIMTUNE_TRY(stored, SafetensorsFile::open(file));
  size_t expected = 0;
  for (const StepBufferInfo &b : session.buffers()) {
    if (b.role != role)
      continue;
    ++expected;
    const TensorView *t = stored.find(b.name);
    if (!t)
      return Status::error(file + ": has no tensor \"" + b.name +
                           "\": the checkpoint was written for a different adapter or step");
    if (t->dtype != b.elementType() || t->shape != b.shape)
      return Status::error(file + ": tensor \"" + b.name + "\" is " + std::string(dtypeName(t->dtype)) + " " +
                           shapeString(t->shape) + "; the step expects " +
                           std::string(dtypeName(b.elementType())) + " " + shapeString(b.shape));
    if (Status s = session.bindBytes(b.name, t->data, static_cast<int64_t>(t->bytes)); !s)
      return Status::error(file + ": tensor " + s.message());
  }
  if (stored.tensors().size() != expected)
    return Status::error(file + ": holds " + std::to_string(stored.tensors().size()) +
                         " tensors; the step has " + std::to_string(expected) +
                         ": the checkpoint was written for a different adapter or step");
  return Status::ok();
}

// The checkpoint's adapter was trained on the base model the session holds now.
Status checkBaseModel(const Session &session, const CheckpointContents &contents,
                      const std::string &folder) {
  if (contents.baseModelSha256.empty())
    return Status::ok(); // written without a base model bound: nothing to compare
  if (!session.allBound("frozen"))
    return Status::error(folder + ": bind the base model before loading this checkpoint: it "
                         "records which base model it was trained on");
  SLIMTUNE_TRY(fingerprint, session.frozenFingerprint());
  if (fingerprint != contents.baseModelSha256)
    return Status::error(folder + ": was trained on another base model (its frozen weights' "
                         "SHA-256 is " + contents.baseModelSha256.substr(0, 12) + "..., this "
                         "model's is " + fingerprint.substr(0, 12) +
                         "...); load it with the model it was trained on");
  return Status::ok();
}

} // namespace

Expected<std::map<std::string, std::string>> parseCheckpointChecksums(std::string_view text,
                                                                      const std::string &path) {
  std::istringstream sums{std::string(text)};
  std::map<std::string, std::string> listed;
  for (std::string line; std::getline(sums, line);) {
    size_t space = line.find("  ");
    std::string digest = line.substr(0, space), file = space == std::string::npos ? "" : line.substr(space + 2);
    if (digest.size() != 64 || file.empty() || file.find('/') != std::string::npos)
      return Status::error(path + ": malformed line \"" + line + "\": the checkpoint is corrupt");
    listed[file] = digest;
  }
  for (const char *required : {kParameters, kOptimizer, kState})
    if (!listed.count(required))
      return Status::error(path + ": does not list " + required + ": the checkpoint is corrupt");
  return listed;
}

Expected<CheckpointContents> parseTrainerState(std::string_view text, const std::string &path) {
  auto parsed = parseJsonStrict(text.data(), text.data() + text.size());
  if (!parsed)
    return Status::error(path + ": " + parsed.status().message());
  nlohmann::json state = parsed.take();
  // Compared as JSON values: value<T>() throws on a field of another type, and converting the
  // version to int first would wrap (4294967297 read as 1) or overflow (1e300, undefined).
  if (!state.is_object() || !state.contains("format") || state["format"] != kFormat)
    return Status::error(path + ": not a slimtune checkpoint");
  if (!state.contains("version") || state["version"] != kVersion)
    return Status::error(path + ": checkpoint version " +
                         (state.contains("version") ? state["version"].dump() : "-1") +
                         "; this slimtune reads " + std::to_string(kVersion));
  if (!state.contains("step") || !state["step"].is_number_integer() || state["step"].get<int64_t>() < 0 ||
      !state.contains("trainer") || !state["trainer"].is_object())
    return Status::error(path + ": lacks a step count or the trainer's state");
  CheckpointContents contents;
  contents.step = state["step"].get<int64_t>();
  contents.trainerJson = state["trainer"].dump();
  if (state.contains("base_model_sha256")) {
    const nlohmann::json &sha = state["base_model_sha256"];
    if (!sha.is_string() || sha.get<std::string>().size() != 64)
      return Status::error(path + ": \"base_model_sha256\" is not a SHA-256 digest");
    contents.baseModelSha256 = sha.get<std::string>();
  }
  if (state.contains("base_model_path")) {
    if (!state["base_model_path"].is_string())
      return Status::error(path + ": \"base_model_path\" is not text");
    contents.baseModelPath = state["base_model_path"].get<std::string>();
  }
  return contents;
}

Status saveCheckpoint(const Session &session, const std::string &folder,
                      const CheckpointContents &contents) {
  std::string temp = folder + std::string(kPartialMark) + std::to_string(::getpid());
  std::error_code ec;
  fs::remove_all(temp, ec);
  fs::create_directories(temp, ec);
  if (ec)
    return Status::error(temp + ": cannot create: " + ec.message());

  auto write = [&]() -> Status {
    std::vector<std::string> files = {kParameters, kOptimizer, kState};
    if (Status s = writeRole(session, "trainable", temp + "/" + kParameters, {{"format", "pt"}}); !s)
      return s;
    if (Status s = writeRole(session, "state", temp + "/" + kOptimizer); !s)
      return s;
    auto trainer = parseJsonStrict(contents.trainerJson.data(),
                                   contents.trainerJson.data() + contents.trainerJson.size());
    if (!trainer || !trainer->is_object())
      return Status::error(folder + ": the trainer's state is not a JSON object");
    nlohmann::json state = {{"format", kFormat},
                            {"version", kVersion},
                            {"step", session.stepCount()},
                            {"trainer", *trainer}};
    // Which base model the adapter was trained on (its frozen weights as bound): a resume or
    // a load into a session with other weights of the same shapes is refused.
    if (session.allBound("frozen")) {
      SLIMTUNE_TRY(fingerprint, session.frozenFingerprint());
      state["base_model_sha256"] = fingerprint;
    }
    if (!contents.baseModelPath.empty())
      state["base_model_path"] = contents.baseModelPath;
    if (Status s = writeText(temp + "/" + kState, state.dump(2) + "\n"); !s)
      return s;
    if (!contents.adapterConfig.empty()) {
      if (Status s = writeText(temp + "/" + kAdapterConfig, contents.adapterConfig); !s)
        return s;
      files.push_back(kAdapterConfig);
    }
    // Digests of what is on disk, so that the checksums also cover the write itself.
    std::string sums;
    for (const std::string &file : files) {
      SLIMTUNE_TRY(digest, sha256OfFile(temp + "/" + file));
      sums += digest + "  " + file + "\n";
    }
    if (Status s = writeText(temp + "/" + kChecksums, sums); !s)
      return s;
    return syncFolder(temp);
  };
  Status status = write();
  if (status) {
    // Replace an existing checkpoint of the same step only now that the new one is whole.
    std::string old = folder + std::string(kOldMark) + std::to_string(::getpid());
    bool replaced = fs::exists(folder, ec);
    if (replaced && ::rename(folder.c_str(), old.c_str()) != 0)
      status = Status::error(folder + ": cannot move aside: " + std::strerror(errno));
    else if (::rename(temp.c_str(), folder.c_str()) != 0)
      status = Status::error(folder + ": cannot rename into place: " + std::strerror(errno));
    else {
      status = syncFolder(parentOf(folder));
      if (replaced)
        fs::remove_all(old, ec);
    }
  }
  if (!status)
    fs::remove_all(temp, ec);
  return status;
}

Expected<CheckpointContents> verifyCheckpoint(const std::string &folder) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec))
    return Status::error(folder + ": not a checkpoint folder" +
                         (fs::exists(folder, ec) ? "" : " (it does not exist)"));
  std::string sumsPath = folder + "/" + kChecksums;
  auto sumsFile = MappedFile::open(sumsPath);
  if (!sumsFile)
    return Status::error(folder + ": not a complete checkpoint (no " + kChecksums + ")");
  SLIMTUNE_TRY(listed, parseCheckpointChecksums(
                           std::string_view(reinterpret_cast<const char *>((*sumsFile)->data()),
                                            (*sumsFile)->size()),
                           sumsPath));
  for (const auto &[file, digest] : listed) {
    auto actual = sha256OfFile(folder + "/" + file);
    if (!actual)
      return Status::error(folder + "/" + file + ": missing or unreadable: the checkpoint is incomplete");
    if (*actual != digest)
      return Status::error(folder + "/" + file +
                           ": checksum mismatch: the file is corrupt or was changed");
  }

  std::string statePath = folder + "/" + kState;
  SLIMTUNE_TRY(stateText, readSmallFile(statePath));
  SLIMTUNE_TRY(contents, parseTrainerState(stateText, statePath));
  if (listed.count(kAdapterConfig)) {
    SLIMTUNE_TRY(config, readSmallFile(folder + "/" + kAdapterConfig));
    contents.adapterConfig = std::move(config);
  }
  return contents;
}

Expected<CheckpointContents> loadCheckpoint(Session &session, const std::string &folder) {
  SLIMTUNE_TRY(contents, verifyCheckpoint(folder));
  if (Status s = checkBaseModel(session, contents, folder); !s)
    return s;
  if (Status s = restoreRole(session, folder + "/" + kParameters, "trainable"); !s)
    return s;
  if (Status s = restoreRole(session, folder + "/" + kOptimizer, "state"); !s)
    return s;
  session.setStepCount(contents.step);
  return contents;
}

Status loadCheckpointAdapters(Session &session, const std::string &folder) {
  SLIMTUNE_TRY(contents, verifyCheckpoint(folder));
  if (Status s = checkBaseModel(session, contents, folder); !s)
    return s;
  return restoreRole(session, folder + "/" + kParameters, "trainable");
}

std::vector<std::string> removeUnfinishedCheckpoints(const std::string &runFolder) {
  // <step-N>.partial.<pid> (a save that did not finish) and <step-N>.old.<pid> (a checkpoint
  // being replaced by a newer save of the same step) of processes that are gone. A live
  // process may still be writing its own: its folders stay.
  std::vector<std::string> removed;
  std::error_code ec;
  for (const fs::directory_entry &entry : fs::directory_iterator(runFolder + "/checkpoints", ec)) {
    const std::string name = entry.path().filename().string();
    size_t mark = name.find(kPartialMark);
    bool partial = mark != std::string::npos;
    if (!partial)
      mark = name.find(kOldMark);
    if (name.rfind("step-", 0) != 0 || mark == std::string::npos)
      continue;
    const std::string pidText = name.substr(mark + (partial ? kPartialMark : kOldMark).size());
    if (pidText.empty() || pidText.size() > 9 ||
        !std::all_of(pidText.begin(), pidText.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    const pid_t pid = static_cast<pid_t>(std::stol(pidText));
    if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH)
      continue;
    const fs::path final = entry.path().parent_path() / name.substr(0, mark);
    // A replacement killed between its two renames left the old checkpoint set aside and no
    // checkpoint under the final name: the old one is whole (it verified when it was made).
    if (!partial && !fs::exists(final, ec)) {
      if (::rename(entry.path().c_str(), final.c_str()) == 0)
        removed.push_back(entry.path().string() + " (restored as " + final.filename().string() + ")");
      continue;
    }
    fs::remove_all(entry.path(), ec);
    if (!ec)
      removed.push_back(entry.path().string());
  }
  std::sort(removed.begin(), removed.end());
  return removed;
}

std::string checkpointFolder(const std::string &runFolder, int64_t step) {
  return runFolder + "/checkpoints/step-" + std::to_string(step);
}

std::vector<std::pair<int64_t, std::string>> listCheckpointSteps(const std::string &runFolder) {
  std::vector<std::pair<int64_t, std::string>> found;
  std::error_code ec;
  for (const fs::directory_entry &entry : fs::directory_iterator(runFolder + "/checkpoints", ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("step-", 0) != 0 || name.size() == 5 || !entry.is_directory(ec))
      continue;
    if (!std::all_of(name.begin() + 5, name.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        name.size() > 5 + 18)
      continue; // temporary (".partial") and set-aside (".old") folders
    found.emplace_back(std::stoll(name.substr(5)), entry.path().string());
  }
  std::sort(found.begin(), found.end());
  return found;
}

std::vector<std::string> listCheckpoints(const std::string &runFolder) {
  std::vector<std::string> out;
  for (auto &[step, path] : listCheckpointSteps(runFolder))
    out.push_back(std::move(path));
  return out;
}

} // namespace slimtune
