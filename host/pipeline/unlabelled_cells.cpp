// Cells without labels: open_unlabelled lists images to classify; unlabelled_sources reads what
// --unlabeled names.
#include "hep2/pipeline/unlabelled_cells.h"

#include <algorithm>
#include <filesystem>

#include "hep2/core/error.h"
#include "hep2/core/lower_case.h"
#include "hep2/pipeline/class_folders.h"

namespace fs = std::filesystem;

namespace hep2 {

CellList open_unlabelled(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) fail(path, ": no such file or folder; give an image, a folder of images or a manifest CSV");
  CellList list;
  list.source = path;
  if (fs::is_regular_file(path)) {
    if (lower_case(fs::path(path).extension().string()) == ".csv") return read_manifest(path, LabelColumn::Optional);
    if (!is_image_extension(fs::path(path).extension().string()))
      fail(path, ": not an image file (", image_extensions(), ") or a manifest CSV");
    list.cells.push_back({path, -1, mask_of(path, {}), "", ""});
    return list;
  }
  const fs::path manifest = fs::path(path) / "manifest.csv";
  if (fs::is_regular_file(manifest, ec)) return read_manifest(manifest.string(), LabelColumn::Optional);
  const std::vector<fs::path> images = cell_images_in(path);
  bool has_dirs = false;
  for (const auto& e : fs::directory_iterator(path)) has_dirs = has_dirs || e.is_directory();
  if (images.empty() && has_dirs) return open_cell_list(path);  // class folders
  if (images.empty()) fail(path, ": the folder holds no images (", image_extensions(), ")");
  // Masks as for class folders: in <folder>/masks or beside the image, <stem>_Mask.png or _mask.png.
  for (const fs::path& image : images)
    list.cells.push_back({image.string(), -1, mask_of(image, fs::path(path) / "masks"), "", ""});
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
