// Cells without labels: open_unlabelled lists images to classify; unlabelled_sources reads what
// --unlabeled names.
#include "hep2/pipeline/unlabelled_cells.h"

#include <algorithm>
#include <filesystem>

#include "hep2/core/error.h"
#include "hep2/core/lower_case.h"

namespace fs = std::filesystem;

namespace hep2 {
namespace {
bool is_image(const fs::path& p) {
  const std::string e = lower_case(p.extension().string());
  return e == ".png" || e == ".tif" || e == ".tiff" || e == ".bmp" || e == ".jpg" || e == ".jpeg";
}
bool is_mask(const fs::path& p) {
  const std::string s = lower_case(p.stem().string());
  return s.size() > 5 && s.substr(s.size() - 5) == "_mask";
}
}  // namespace

CellList open_unlabelled(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) fail(path, ": no such file or folder; give an image, a folder of images or a manifest CSV");
  CellList list;
  list.source = path;
  if (fs::is_regular_file(path)) {
    if (lower_case(fs::path(path).extension().string()) == ".csv") return read_manifest(path, LabelColumn::Optional);
    if (!is_image(path)) fail(path, ": not an image file (png, tif, bmp, jpg) or a manifest CSV");
    list.cells.push_back({path, -1, "", "", ""});
    return list;
  }
  const fs::path manifest = fs::path(path) / "manifest.csv";
  if (fs::is_regular_file(manifest, ec)) return read_manifest(manifest.string(), LabelColumn::Optional);
  bool has_images = false, has_dirs = false;
  for (const auto& e : fs::directory_iterator(path)) {
    if (e.is_regular_file() && is_image(e.path())) has_images = true;
    if (e.is_directory()) has_dirs = true;
  }
  if (!has_images && has_dirs) return open_cell_list(path);  // class folders
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(path))
    if (e.is_regular_file() && is_image(e.path()) && !is_mask(e.path())) files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  if (files.empty()) fail(path, ": the folder holds no images (png, tif, bmp, jpg)");
  for (const std::string& f : files) {
    fs::path p(f);
    fs::path mask = p.parent_path() / (p.stem().string() + "_mask.png");
    list.cells.push_back({f, -1, fs::exists(mask) ? mask.string() : "", "", ""});
  }
  return list;
}

UnlabelledSources unlabelled_sources(const std::string& value) {
  UnlabelledSources u;
  if (value.empty()) return u;
  bool keywords = true;
  for (size_t start = 0; start <= value.size();) {
    const size_t end = std::min(value.find(',', start), value.size());
    const std::string word = value.substr(start, end - start);
    if (word == "train") u.train = true;
    else if (word == "test") u.test = true;
    else keywords = false;
    start = end + 1;
  }
  if (!keywords) return {false, false, value};
  return u;
}

}  // namespace hep2
