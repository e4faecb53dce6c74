// A temporary folder for a test, removed with everything in it at the end of the test.
#ifndef SLIMTUNE_TEST_TEMP_DIR_H
#define SLIMTUNE_TEST_TEMP_DIR_H

#include <filesystem>
#include <fstream>
#include <string>

namespace slimtune::testing {

class TempDir {
public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "slimtune-test-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string path(const std::string &name) const { return path_ + "/" + name; }
  std::string write(const std::string &name, const std::string &bytes) const {
    std::ofstream(path(name), std::ios::binary) << bytes;
    return path(name);
  }

private:
  std::string path_;
};

} // namespace slimtune::testing

#endif // SLIMTUNE_TEST_TEMP_DIR_H
