// Reading a dataset laid out as one folder per class (the I3A distribution's own layout), and which
// files of a folder are cells and which their masks.
#include "hep2/pipeline/class_folders.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "hep2/core/error.h"
#include "hep2/core/lower_case.h"
#include "hep2/pipeline/cell_list.h"

namespace hep2 {

namespace {

namespace fs = std::filesystem;

bool ends_with_mask(const std::string& stem) {
  const std::string s = lower_case(stem);
  return s.size() >= 5 && s.compare(s.size() - 5, 5, "_mask") == 0;
}

}  // namespace

// The formats io/image_io.h reads (its header check knows each of them).
constexpr const char* kImageExtensions[] = {"png", "tif", "tiff", "bmp", "jpg", "jpeg", "pbm", "pgm", "ppm"};

bool is_image_extension(const std::string& extension) {
  const std::string e = lower_case(extension);
  for (const char* known : kImageExtensions)
    if (e == std::string(".") + known) return true;
  return false;
}

std::string image_extensions() {
  std::string out;
  for (const char* known : kImageExtensions) out += (out.empty() ? "" : ", ") + std::string(known);
  return out;
}

std::vector<fs::path> cell_images_in(const fs::path& dir) {
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

std::string mask_of(const fs::path& image, const fs::path& mask_dir) {
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

CellList read_class_folders(const std::string& root_path) {
  const fs::path root(root_path);
  std::error_code ec;
  if (!fs::is_directory(root, ec)) fail("class-folder dataset '", root_path, "' is not a folder");

  std::vector<std::string> classes;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    if (!entry.is_directory()) continue;
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.' || lower_case(name) == "masks") continue;
    classes.push_back(name);
  }
  if (ec) fail("cannot list folder '", root_path, "': ", ec.message());
  classes = sorted_class_names(classes);

  CellList list;
  list.source = root_path;
  if (classes.empty()) {
    // A flat folder of images: cells to classify, with no labels.
    for (const fs::path& image : cell_images_in(root)) {
      CellRecord cell;
      cell.path = image.string();
      cell.mask = mask_of(image, root / "masks");
      list.cells.push_back(std::move(cell));
    }
    if (list.cells.empty())
      fail("folder '", root_path, "' holds neither class folders (<folder>/<Class>/*.png) nor images ",
           "(", image_extensions(), ")");
    return list;
  }

  list.class_names = classes;
  for (size_t c = 0; c < classes.size(); ++c) {
    const fs::path class_dir = root / classes[c];
    const std::vector<fs::path> images = cell_images_in(class_dir);
    if (images.empty())
      fail("class folder '", class_dir.string(), "' holds no image (", image_extensions(), "): ",
           "add its cells or remove the folder");
    // When a class has a mask folder, every one of its cells must have a mask there.
    fs::path mask_dir = root / "masks" / classes[c];
    if (!fs::is_directory(mask_dir, ec)) mask_dir = root / "Masks" / classes[c];
    const bool masks_expected = fs::is_directory(mask_dir, ec);
    for (const fs::path& image : images) {
      CellRecord cell;
      cell.path = image.string();
      cell.label = int(c);
      cell.mask = mask_of(image, masks_expected ? mask_dir : fs::path());
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
