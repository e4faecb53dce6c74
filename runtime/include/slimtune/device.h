// The device seam: everything the runtime needs from the hardware a step runs on. A session
// owns one Device; its arena and buffers come from the device's allocator, every copy between
// host and step memory goes through it, and the step is given the device's kernel table and
// kernel context (kernel_abi.h). The CPU device is one implementation (runtime/src/device/);
// another backend (CUDA) is another file that implements this interface and registers its
// target name in openDevice, with its kernels in runtime/kernels/<target>/.
//
// Device pointers are opaque to the host unless hostAccessible() says otherwise: code outside
// the device reads and writes step memory only through copyIn/copyOut.
#ifndef SLIMTUNE_DEVICE_H
#define SLIMTUNE_DEVICE_H

#include "slimtune/status.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace slimtune {

class Device;

// One allocation on a device, released when destroyed.
class DeviceMemory {
public:
  DeviceMemory() = default;
  DeviceMemory(Device *device, void *data, int64_t bytes) : device_(device), data_(data), bytes_(bytes) {}
  DeviceMemory(DeviceMemory &&other) noexcept { *this = std::move(other); }
  DeviceMemory &operator=(DeviceMemory &&other) noexcept;
  DeviceMemory(const DeviceMemory &) = delete;
  DeviceMemory &operator=(const DeviceMemory &) = delete;
  ~DeviceMemory() { reset(); }

  void *data() const { return data_; }
  // What the device holds for it: the size asked for, rounded up to the device's granule.
  int64_t bytes() const { return bytes_; }
  explicit operator bool() const { return data_ != nullptr; }
  void reset();

private:
  Device *device_ = nullptr;
  void *data_ = nullptr;
  int64_t bytes_ = 0;
};

class Device {
public:
  virtual ~Device() = default;

  // The compiler's name for this backend ("cpu"): an artifact runs only on the target its
  // manifest records.
  virtual std::string_view target() const = 0;

  // `bytes` of zeroed memory, 64-byte aligned. An error (naming the size) when refused.
  virtual Expected<DeviceMemory> allocate(int64_t bytes) = 0;
  // Host to device, device to host. Sizes in bytes.
  virtual Status copyIn(void *device, const void *host, int64_t bytes) = 0;
  virtual Status copyOut(void *host, const void *device, int64_t bytes) const = 0;
  // Whether the host may dereference device pointers (the CPU's memory is the host's).
  virtual bool hostAccessible() const = 0;

  // What a step is given: SLIMTUNE_KERNEL_COUNT kernels and the context each receives first.
  virtual void *const *kernels() const = 0;
  virtual void *kernelContext() = 0;
  // Waits for all work queued on the device; the first failure since the last call.
  virtual Status synchronize() = 0;
  // A step's failure as one line: kernel `kernelId` returned `status` (slimtune_kernel_status);
  // the device adds what it knows (a library's own error text).
  virtual Status kernelFailure(int32_t kernelId, int32_t status) const = 0;

  // Bytes allocated from this device now, and at most so far.
  virtual int64_t currentBytes() const = 0;
  virtual int64_t peakBytes() const = 0;

protected:
  friend class DeviceMemory;
  virtual void release(void *data, int64_t bytes) = 0;
};

inline DeviceMemory &DeviceMemory::operator=(DeviceMemory &&other) noexcept {
  if (this != &other) {
    reset();
    device_ = other.device_;
    data_ = other.data_;
    bytes_ = other.bytes_;
    other.device_ = nullptr;
    other.data_ = nullptr;
    other.bytes_ = 0;
  }
  return *this;
}

inline void DeviceMemory::reset() {
  if (device_ && data_)
    device_->release(data_, bytes_);
  device_ = nullptr;
  data_ = nullptr;
  bytes_ = 0;
}

// The device for a target name ("cpu"); an error naming the targets this build has, or why
// the device cannot be opened (no GPU, driver too old).
Expected<std::unique_ptr<Device>> openDevice(std::string_view target);
// The target names this build was built with, e.g. {"cpu"}.
std::vector<std::string> availableTargets();

// What every device's kernelFailure says first, in one line: "kernel cross_entropy failed:
// device error (the device or a library it calls failed)".
std::string kernelFailureText(int32_t kernelId, int32_t status);

} // namespace slimtune

#endif // SLIMTUNE_DEVICE_H
