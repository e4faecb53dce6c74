// For fuzz targets whose reader takes a path: the input written to a file on tmpfs (named so
// that readers that look at the extension see the one they expect), removed afterwards.
#ifndef SLIMTUNE_TEST_FUZZ_TEMP_INPUT_H
#define SLIMTUNE_TEST_FUZZ_TEMP_INPUT_H

#include <cstdint>
#include <cstdio>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

class TempInput {
public:
  TempInput(const uint8_t *data, size_t size, const std::string &name) {
    const std::string folder = "/dev/shm/slimtune-fuzz." + std::to_string(::getpid());
    ::mkdir(folder.c_str(), 0700);
    path_ = folder + "/" + name;
    if (FILE *f = std::fopen(path_.c_str(), "wb")) {
      if (size)
        std::fwrite(data, 1, size, f);
      std::fclose(f);
    }
  }
  ~TempInput() { std::remove(path_.c_str()); }
  const std::string &path() const { return path_; }

private:
  std::string path_;
};

#endif // SLIMTUNE_TEST_FUZZ_TEMP_INPUT_H
