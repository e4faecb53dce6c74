// Opening the CUDA device: the runtime itself links nothing of CUDA, so that every binary
// starts on a machine without a GPU or its libraries; the CUDA device and kernels are a
// separate library, libslimtune_cuda.so (cuda_device.h), loaded the first time a session asks
// for target "cuda". Every way this fails is one line starting "no CUDA device: ".
#include "device/cuda_plugin.h"

#include "device/cuda_device.h"

#include <dlfcn.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace slimtune {
namespace {

constexpr const char *kLibrary = "libslimtune_cuda.so";

// Where to look: SLIMTUNE_CUDA_LIBRARY when set; else beside the binary or library that holds
// the runtime (build/bin and build/lib, or an installation's bin and lib).
std::vector<std::string> candidates() {
  if (const char *path = std::getenv("SLIMTUNE_CUDA_LIBRARY"); path && *path)
    return {path};
  std::vector<std::string> paths;
  Dl_info info{};
  if (dladdr(reinterpret_cast<void *>(&openCudaDevice), &info) && info.dli_fname) {
    std::string self = info.dli_fname;
    const std::string folder = self.find('/') == std::string::npos ? "." : self.substr(0, self.rfind('/'));
    paths.push_back(folder + "/" + kLibrary);
    paths.push_back(folder + "/../lib/" + kLibrary);
  }
  return paths;
}

using OpenFunction = Device *(*)(char *, size_t);

// The library's open function, loaded once per process.
Expected<OpenFunction> loadLibrary() {
  static const Expected<OpenFunction> loaded = []() -> Expected<OpenFunction> {
    std::string tried;
    for (const std::string &path : candidates()) {
      if (void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL)) {
        if (void *open = dlsym(handle, SLIMTUNE_CUDA_OPEN_SYMBOL))
          return reinterpret_cast<OpenFunction>(open);
        return Status::error(path + " has no " SLIMTUNE_CUDA_OPEN_SYMBOL);
      }
      const char *why = dlerror();
      tried += (tried.empty() ? "" : "; ") + std::string(why ? why : path);
    }
    return Status::error("cannot load " + std::string(kLibrary) +
                         (tried.empty() ? "" : " (" + tried + ")"));
  }();
  return loaded;
}

} // namespace

Expected<std::unique_ptr<Device>> openCudaDevice() {
#ifndef SLIMTUNE_HAVE_CUDA
  return Status::error("no CUDA device: this build of slimtune has no CUDA backend (nvcc was not "
                       "found when it was built)");
#else
  auto open = loadLibrary();
  if (!open)
    return Status::error("no CUDA device: " + open.status().message());
  char error[512] = {};
  Device *device = (*open)(error, sizeof error);
  if (!device)
    return Status::error("no CUDA device: " + std::string(error));
  return std::unique_ptr<Device>(device);
#endif
}

} // namespace slimtune
