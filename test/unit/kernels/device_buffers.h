// Host vectors and their device copies, for tests that run kernels on a Device
// (slimtune/device.h) on device memory: every buffer is allocated through the device and
// filled by copyIn, and read back by copyOut (after the device's synchronize()). A refusal
// fails the test and the buffer's pointer is null; ok() says whether every call so far
// succeeded, so that a test never hands a kernel a null buffer it did not mean to.
#ifndef SLIMTUNE_TEST_UNIT_KERNELS_DEVICE_BUFFERS_H
#define SLIMTUNE_TEST_UNIT_KERNELS_DEVICE_BUFFERS_H

#include "slimtune/device.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace slimtune::testing {

class DeviceBuffers {
public:
  explicit DeviceBuffers(Device &device) : device_(device) {}
  DeviceBuffers(const DeviceBuffers &) = delete;
  DeviceBuffers &operator=(const DeviceBuffers &) = delete;

  // Device memory holding a copy of `host` (at least 64 bytes are allocated, so that an empty
  // vector still has a valid address); null when the device refuses.
  template <typename T> T *upload(const std::vector<T> &host) {
    return static_cast<T *>(
        uploadBytes(host.data(), static_cast<int64_t>(host.size() * sizeof(T))));
  }
  // `count` elements of device memory, each `value`.
  template <typename T> T *filled(size_t count, T value) {
    return upload(std::vector<T>(count, value));
  }
  // `count` elements copied out of device memory at `from` (call after synchronize()).
  template <typename T> std::vector<T> download(const T *from, size_t count) {
    std::vector<T> host(count);
    if (!from || count == 0)
      return host;
    Status copied = device_.copyOut(host.data(), from, static_cast<int64_t>(count * sizeof(T)));
    if (!copied.isOk()) {
      ok_ = false;
      ADD_FAILURE() << "copyOut of " << count * sizeof(T) << " bytes from " << device_.target()
                    << ": " << copied.message();
    }
    return host;
  }

  bool ok() const { return ok_; }

private:
  void *uploadBytes(const void *host, int64_t bytes) {
    Expected<DeviceMemory> memory = device_.allocate(std::max<int64_t>(bytes, 64));
    if (!memory.isOk()) {
      ok_ = false;
      ADD_FAILURE() << "allocate " << bytes << " bytes on " << device_.target() << ": "
                    << memory.status().message();
      return nullptr;
    }
    void *data = memory->data();
    memory_.push_back(memory.take());
    if (bytes > 0) {
      Status copied = device_.copyIn(data, host, bytes);
      if (!copied.isOk()) {
        ok_ = false;
        ADD_FAILURE() << "copyIn of " << bytes << " bytes to " << device_.target() << ": "
                      << copied.message();
        return nullptr;
      }
    }
    return data;
  }

  Device &device_;
  std::vector<DeviceMemory> memory_;
  bool ok_ = true;
};

} // namespace slimtune::testing

#endif // SLIMTUNE_TEST_UNIT_KERNELS_DEVICE_BUFFERS_H
