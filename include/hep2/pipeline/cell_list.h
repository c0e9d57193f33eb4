// What a dataset on disk holds before any pixel is read: the cells (image path, label, mask,
// split, group) and the class names. The three readers (manifest.h, class_folders.h,
// icpr2012.h) produce one; open_cell_list() picks the reader from the layout it finds.
// No OpenCV here: the app and the training code include this header freely.
#pragma once
#include <string>
#include <vector>

namespace hep2 {

struct CellRecord {
  std::string path;        // image file, absolute or relative to the working directory
  int label = -1;          // index into CellList::class_names; -1 when unknown
  std::string mask;        // mask file; empty when the cell has none
  std::string split;       // "train" / "val" / "test" when the data brings its own split, else empty
  std::string group;       // specimen / source image (cells of one group stay on one side of a split)
};

struct CellList {
  std::string source;                   // the path it came from (for messages)
  std::vector<std::string> class_names;
  std::vector<CellRecord> cells;
  bool has_split = false, has_groups = false;
};

// Detects the layout of `path`: a .csv manifest, a folder holding manifest.csv, an ICPR2012
// contest folder (cells.csv / training / test) or class folders (root/<Class>/images). Throws
// an Error describing the three layouts when none matches.
CellList open_cell_list(const std::string& path);

// The subset of cells whose class is in `names`, relabelled 0..k-1 in the given order (for
// --classes). Names match exactly, else case-insensitively; an unknown or repeated name is an
// error that lists the known classes. Cells without a label are dropped.
CellList keep_classes(const CellList& list, const std::vector<std::string>& names);

// Class names in a deterministic order: sorted numerically when every name is a non-negative
// integer ("2" before "10"), otherwise alphabetically (byte order).
std::vector<std::string> sorted_class_names(std::vector<std::string> names);

// Sets list.class_names to the sorted distinct names of `label_names` and each cell's label to
// the index of its name; label_names[i] belongs to list.cells[i].
void assign_labels(CellList& list, const std::vector<std::string>& label_names);

// "train" for train/training, "val" for val/valid/validation, "test" for test/testing (any
// case, surrounding blanks ignored); empty when `value` is none of these.
std::string canonical_split(const std::string& value);

}  // namespace hep2
