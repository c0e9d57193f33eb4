// Class folders (root/<Class>/images; read_class_folders is declared in cell_list.h): which
// files count as cell images, and where a cell's mask lies. Also used for flat folders of cells.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace hep2 {

// True for the image file extensions the readers accept (case-insensitive, with the dot).
bool is_image_extension(const std::string& extension);
// Those extensions for messages: "png, tif, ...".
std::string image_extensions();

// The cell images directly in dir, sorted by name; masks (<stem>_mask.*, any case) are not cells.
std::vector<std::filesystem::path> cell_images_in(const std::filesystem::path& dir);

// The mask of image: <stem>_Mask.png or <stem>_mask.png in mask_dir (when not empty), else beside
// the image; "" when there is none.
std::string mask_of(const std::filesystem::path& image, const std::filesystem::path& mask_dir);

}  // namespace hep2
