// Atomic file replacement: temp file + fsync + rename + fsync of the folder.
#include "slimtune/atomic_file.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace slimtune {
namespace {
std::string folderOf(const std::string &path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

Status writeAll(int fd, const void *data, size_t size, const std::string &path) {
  const char *p = static_cast<const char *>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return Status::error(path + ": write failed: " + std::strerror(errno));
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return Status::ok();
}
} // namespace

Status writeFileAtomically(const std::string &path, const std::vector<ByteChunk> &chunks) {
  std::string temp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return Status::error(path + ": cannot create: " + std::strerror(errno));
  Status status = Status::ok();
  for (const ByteChunk &chunk : chunks) {
    status = writeAll(fd, chunk.data, chunk.size, path);
    if (!status)
      break;
  }
  if (status && ::fsync(fd) != 0)
    status = Status::error(path + ": fsync failed: " + std::strerror(errno));
  if (::close(fd) != 0 && status)
    status = Status::error(path + ": close failed: " + std::strerror(errno));
  if (status && ::rename(temp.c_str(), path.c_str()) != 0)
    status = Status::error(path + ": rename failed: " + std::strerror(errno));
  if (!status) {
    ::unlink(temp.c_str());
    return status;
  }
  // The rename is durable only once the folder entry is.
  int dir = ::open(folderOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return Status::ok();
}

Status makeFolders(const std::string &path) {
  for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    std::string prefix = path.substr(0, slash);
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST)
      return Status::error(prefix + ": cannot create: " + std::strerror(errno));
    if (slash == std::string::npos)
      return Status::ok();
  }
}

} // namespace slimtune
