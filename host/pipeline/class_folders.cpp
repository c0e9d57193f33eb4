// Reading a dataset laid out as one folder per class (the I3A distribution's own layout).
#include "hep2/pipeline/class_folders.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "hep2/core/error.h"
#include "hep2/pipeline/cell_list.h"

namespace hep2 {

namespace {

namespace fs = std::filesystem;

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool ends_with_mask(const std::string& stem) {
  const std::string s = lower(stem);
  return s.size() >= 5 && s.compare(s.size() - 5, 5, "_mask") == 0;
}

// Image files directly in `dir`, sorted by name; masks (*_mask.*) are not cells.
std::vector<fs::path> images_in(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file()) continue;
    const fs::path& p = entry.path();
    if (!is_image_extension(p.extension().string()) || ends_with_mask(p.stem().string())) continue;
    out.push_back(p);
  }
  if (ec) fail("cannot list folder '", dir.string(), "': ", ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

// The mask of `image` in `mask_dir` (root/masks/<Class>) or beside the image; empty when none.
std::string find_mask(const fs::path& image, const fs::path& mask_dir) {
  const std::string stem = image.stem().string();
  std::error_code ec;
  for (const fs::path& dir : {mask_dir, image.parent_path()}) {
    if (dir.empty()) continue;
    for (const char* suffix : {"_Mask.png", "_mask.png"}) {
      const fs::path candidate = dir / (stem + suffix);
      if (fs::is_regular_file(candidate, ec)) return candidate.string();
    }
  }
  return "";
}

}  // namespace

bool is_image_extension(const std::string& extension) {
  const std::string e = lower(extension);
  return e == ".png" || e == ".tif" || e == ".tiff" || e == ".bmp" || e == ".jpg" || e == ".jpeg";
}

CellList read_class_folders(const std::string& root_path) {
  const fs::path root(root_path);
  std::error_code ec;
  if (!fs::is_directory(root, ec)) fail("class-folder dataset '", root_path, "' is not a folder");

  std::vector<std::string> classes;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    if (!entry.is_directory()) continue;
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.' || lower(name) == "masks") continue;
    classes.push_back(name);
  }
  if (ec) fail("cannot list folder '", root_path, "': ", ec.message());
  classes = sorted_class_names(classes);

  CellList list;
  list.source = root_path;
  if (classes.empty()) {
    // A flat folder of images: cells to classify, with no labels.
    for (const fs::path& image : images_in(root)) {
      CellRecord cell;
      cell.path = image.string();
      cell.mask = find_mask(image, root / "masks");
      list.cells.push_back(std::move(cell));
    }
    if (list.cells.empty())
      fail("folder '", root_path, "' holds neither class folders (<folder>/<Class>/*.png) nor images ",
           "(png, tif, tiff, bmp, jpg, jpeg)");
    return list;
  }

  list.class_names = classes;
  for (size_t c = 0; c < classes.size(); ++c) {
    const fs::path class_dir = root / classes[c];
    const std::vector<fs::path> images = images_in(class_dir);
    if (images.empty())
      fail("class folder '", class_dir.string(), "' holds no image (png, tif, tiff, bmp, jpg, jpeg): ",
           "add its cells or remove the folder");
    // When a class has a mask folder, every one of its cells must have a mask there.
    fs::path mask_dir = root / "masks" / classes[c];
    if (!fs::is_directory(mask_dir, ec)) mask_dir = root / "Masks" / classes[c];
    const bool masks_expected = fs::is_directory(mask_dir, ec);
    for (const fs::path& image : images) {
      CellRecord cell;
      cell.path = image.string();
      cell.label = int(c);
      cell.mask = find_mask(image, masks_expected ? mask_dir : fs::path());
      if (masks_expected && cell.mask.empty())
        fail("image '", image.string(), "' has no mask: looked for '",
             (mask_dir / (image.stem().string() + "_Mask.png")).string(), "' and '",
             (mask_dir / (image.stem().string() + "_mask.png")).string(),
             "'. Add the mask, or remove the folder '", mask_dir.string(), "' to use whole images");
      list.cells.push_back(std::move(cell));
    }
  }
  return list;
}

}  // namespace hep2
