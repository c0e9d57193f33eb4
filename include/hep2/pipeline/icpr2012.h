// The ICPR2012 (MIVIA) HEp-2 contest layout (paper/NOTES.md):
//   cells.csv                 ...;Set;Image;...   (Image = the source image, one patient each)
//   training/NNN.png, NNN_mask.png, gt_training.csv (ID;pattern)
//   test/NNN.png, NNN_mask.png, gt_test.csv
// Cells of training/ get split "train", of test/ split "test"; groups are the Image column of
// cells.csv when that file is present. read_icpr2012 is declared in cell_list.h.
#pragma once
#include <string>

namespace hep2 {

// True when `root` looks like the contest folder (training/gt_training.csv or test/gt_test.csv).
bool is_icpr2012_folder(const std::string& root);

}  // namespace hep2
