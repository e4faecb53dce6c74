//===- RunFolder.cpp - the folder a training run works in ---------------------------------===//

#include "RunFolder.h"

#include "slimtune/checkpoint.h"

#include "llvm/Support/FileSystem.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/file.h>
#include <unistd.h>

namespace slimtune::cli {

WorkFolder::~WorkFolder() {
  if (temporary)
    llvm::sys::fs::remove_directories(path);
}

RunFolderCleanup::~RunFolderCleanup() {
  if (path.empty() || !listCheckpoints(path).empty())
    return;
  std::error_code ec;
  for (const char *file : {"step.so", "eval.so", ".lock"})
    std::filesystem::remove(path + "/" + file, ec);
  std::filesystem::remove(path + "/checkpoints", ec); // only when empty
  if (createdFolder)
    std::filesystem::remove(path, ec); // only when empty
}

RunFolderLock::~RunFolderLock() {
  if (fd_ >= 0)
    ::close(fd_);
}

Status RunFolderLock::acquire(const std::string &folder) {
  std::string path = folder + "/.lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0)
    return Status::error(path + ": cannot create: " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0)
    return Status::error(folder + ": another slimtune train is running in this run folder; "
                                  "wait for it, or choose another --out");
  return Status::ok();
}

Status prepareRunFolder(const std::string &path) {
  std::error_code ec;
  std::filesystem::create_directories(path + "/checkpoints", ec);
  if (ec)
    return Status::error(path + ": cannot create the run folder: " + ec.message());
  std::string probe = path + "/.write-test." + std::to_string(::getpid());
  FILE *f = std::fopen(probe.c_str(), "w");
  if (!f || std::fputs("ok", f) < 0 || std::fclose(f) != 0)
    return Status::error(path + ": cannot write to the run folder: " + std::strerror(errno));
  std::remove(probe.c_str());
  return Status::ok();
}

std::string runFolderOf(const std::string &checkpoint) {
  std::filesystem::path p = std::filesystem::path(checkpoint).lexically_normal();
  if (p.filename().empty())
    p = p.parent_path();
  if (p.parent_path().filename() == "checkpoints")
    return p.parent_path().parent_path().string();
  return "";
}

} // namespace slimtune::cli
