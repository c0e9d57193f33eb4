// What a dataset on disk holds before any pixel is read: the cells (image path, label, mask,
// split, group) and the class names; the three readers that produce one from the layouts hep2
// knows, and open_cell_list() that picks the reader from the layout it finds.
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

// ---- the readers (each throws hep2::Error naming the file, and the line where there is one) ----

// Whether a manifest must name each cell's class (training data) or may leave the label column
// out (cells to classify, unlabelled cells: then every label is -1 and there are no classes).
enum class LabelColumn { Required, Optional };

// A CSV manifest `path,label[,mask][,split][,group]` (manifest.h has the dialect): columns found
// by name, extra columns ignored, paths relative to the CSV's folder. Errors: a missing path or
// (when required) label column (the message lists the columns found), an empty label in a label
// column, an image or mask that does not exist, a split value other than train/val/test, no cells.
CellList read_manifest(const std::string& csv, LabelColumn labels = LabelColumn::Required);

// Class folders root/<Class>/*.png|tif|tiff|bmp|jpg|jpeg, masks optional in
// root/masks/<Class>/<stem>_Mask.png or <stem>_mask.png, or beside the image as <stem>_mask.png.
// Classes are the folder names, sorted; cells sorted by file name. Hidden folders and "masks"
// are not classes, *_mask.* files are not cells. A folder of images without class folders is
// read as unlabelled cells. Errors: root missing, a class folder without images, a class with
// a mask folder in which an image's mask is missing.
CellList read_class_folders(const std::string& root);

// The ICPR2012 (MIVIA) contest folder (see icpr2012.h and paper/NOTES.md): training/ cells get
// split "train", test/ cells split "test", groups are cells.csv's Image column when that file
// is present. Errors: a gt file without ID/pattern columns, a missing image or mask, a
// cells.csv that does not describe the same cells.
CellList read_icpr2012(const std::string& root);

// Detects the layout of `path`: a .csv manifest, a folder holding manifest.csv, an ICPR2012
// contest folder (cells.csv / training / test) or class folders (root/<Class>/images). Throws
// an Error describing the three layouts when none matches.
CellList open_cell_list(const std::string& path);

// The subset of cells whose class is in `names`, relabelled 0..k-1 in the given order (for
// --classes). Names match exactly, else case-insensitively; an unknown or repeated name is an
// error that lists the known classes. Cells without a label are dropped.
CellList keep_classes(const CellList& list, const std::vector<std::string>& names);

// The cells at `rows` (indices into list.cells, in that order), classes and columns kept: reading
// a few cells again without reading them all. Throws on an index out of range.
CellList select_cells(const CellList& list, const std::vector<int>& rows);

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
