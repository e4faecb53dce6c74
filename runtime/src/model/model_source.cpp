// Opening a model: a Hugging Face folder or a GGUF file.
#include "model/gguf_model.h"
#include "model/hf_model.h"

#include <sys/stat.h>

namespace slimtune {

Expected<std::unique_ptr<ModelSource>> ModelSource::open(const std::string &path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return Status::error(path + ": no such file or folder");
  if (S_ISDIR(st.st_mode))
    return HfModelSource::open(path);
  std::string folder = path.substr(0, path.find_last_of('/') == std::string::npos
                                          ? 0
                                          : path.find_last_of('/'));
  if (path.size() >= 11 && path.compare(path.size() - 11, 11, "config.json") == 0)
    return HfModelSource::open(folder.empty() ? "." : folder);
  // Anything else must be a GGUF file; its reader reports a wrong magic clearly.
  return GgufModelSource::open(path);
}

} // namespace slimtune
