// libFuzzer target: the CSV dialect reader and the manifest reader (`--data manifest.csv` is
// hand-made or exported from spreadsheets: BOMs, CRLF, ';', quotes, ragged rows). The input is
// parsed as CSV text, then written as manifest.csv into a folder holding a.png, b.png and
// masks/a_mask.png and read as a manifest.
// Any input must be accepted or refused with hep2::Error; what is accepted must be consistent.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "fuzz_file.h"
#include "hep2/core/error.h"
#include "hep2/pipeline/cell_list.h"
#include "hep2/pipeline/manifest.h"

namespace {

void check_table(const hep2::CsvTable& t) {
  if (t.rows.size() != t.lines.size()) std::abort();
  for (size_t r = 0; r < t.rows.size(); ++r) {
    if (t.rows[r].size() < t.header.size()) std::abort();  // short rows are padded
    if (t.lines[r] < 2 || (r > 0 && t.lines[r] <= t.lines[r - 1])) std::abort();
  }
}

void check_list(const hep2::CellList& list) {
  if (list.cells.empty() || list.class_names.empty()) std::abort();
  if (hep2::sorted_class_names(list.class_names) != list.class_names) std::abort();
  for (const hep2::CellRecord& c : list.cells) {
    if (c.label < 0 || size_t(c.label) >= list.class_names.size()) std::abort();
    if (!c.split.empty() && c.split != "train" && c.split != "val" && c.split != "test") std::abort();
  }
  // Keeping only the last class relabels its cells 0 and drops the others.
  const int last = int(list.class_names.size()) - 1;
  const hep2::CellList kept = hep2::keep_classes(list, {list.class_names.back()});
  const auto expected = size_t(std::count_if(list.cells.begin(), list.cells.end(),
                                             [&](const hep2::CellRecord& c) { return c.label == last; }));
  if (kept.cells.size() != expected) std::abort();
  for (const hep2::CellRecord& c : kept.cells)
    if (c.label != 0) std::abort();
}

// The folder the manifest lives in, with the files its rows may name (empty files: the reader
// only checks that they exist).
struct DatasetDir {
  hep2::fuzz::ScratchDir dir{"hep2_fuzz_manifest"};
  bool has_masks = std::filesystem::create_directories(dir / "masks");
  hep2::fuzz::FuzzFile a{dir / "a.png"}, b{dir / "b.png"}, mask{dir / "masks/a_mask.png"};
  hep2::fuzz::FuzzFile manifest{dir / "manifest.csv"};
  DatasetDir() {
    for (const auto* f : {&a, &b, &mask}) f->write(nullptr, 0);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const DatasetDir folder;

  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    check_table(hep2::parse_csv(text, "fuzz.csv"));
  } catch (const hep2::Error&) {
  }
  folder.manifest.write(data, size);
  try {
    check_list(hep2::read_manifest(folder.manifest.path()));
  } catch (const hep2::Error&) {
  }
  return 0;
}
