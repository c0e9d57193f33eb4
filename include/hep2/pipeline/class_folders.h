// Class folders: root/<Class>/*.png|tif|tiff|bmp|jpg|jpeg, one folder per class, with optional
// masks in root/masks/<Class>/<stem>_Mask.png or <stem>_mask.png (or beside the image as
// <stem>_mask.png). A folder of images with no class folders is read as unlabelled cells.
#pragma once
#include <string>

#include "hep2/pipeline/cell_list.h"

namespace hep2 {

// Classes are the folder names, sorted (see sorted_class_names); cells are sorted by file name
// within a class. Hidden folders and a folder named "masks" are not classes; files named
// *_mask.* are not cells. Throws Error naming the folder when root is missing, a class folder
// holds no image, root has neither class folders nor images, or a class has a mask folder but
// an image of it has no mask.
CellList read_class_folders(const std::string& root);

// True for the image file extensions the readers accept (case-insensitive, with the dot).
bool is_image_extension(const std::string& extension);

}  // namespace hep2
