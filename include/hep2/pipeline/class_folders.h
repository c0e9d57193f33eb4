// Class folders (root/<Class>/images; read_class_folders is declared in cell_list.h): which
// files count as cell images.
#pragma once
#include <string>

namespace hep2 {

// True for the image file extensions the readers accept (case-insensitive, with the dot).
bool is_image_extension(const std::string& extension);

}  // namespace hep2
