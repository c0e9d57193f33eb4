// Cells without labels: the images `hep2 classify` is given, and where the unlabelled cells that
// --unlabeled names come from.
#pragma once
#include <string>

#include "hep2/pipeline/cell_list.h"

namespace hep2 {

// One image file, a flat folder of images, a manifest (a .csv, or a folder's manifest.csv) whose
// label column may be left out, or any layout the training readers accept (labels then are kept
// but not needed).
CellList open_unlabelled(const std::string& path);

// What --unlabeled names: the keywords 'train' (the training cells --train-cells leaves out) and
// 'test' (the evaluation's test cells: transductive), alone or as "train,test", or else a path.
struct UnlabelledSources {
  bool train = false, test = false;
  std::string path;
};
UnlabelledSources unlabelled_sources(const std::string& value);

}  // namespace hep2
