// The images `hep2 classify` is given: one image file, a flat folder of images, or any layout the
// training readers accept (labels then are kept but not needed).
#pragma once
#include <string>

#include "hep2/pipeline/cell_list.h"

namespace hep2::app {

CellList open_unlabelled(const std::string& path);

}  // namespace hep2::app
