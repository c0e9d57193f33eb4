// Choosing the reader for a dataset path, class subsets and the deterministic class order.
#include "hep2/pipeline/cell_list.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <system_error>

#include "hep2/core/error.h"
#include "hep2/core/joined.h"
#include "hep2/core/lower_case.h"
#include "hep2/pipeline/class_folders.h"
#include "hep2/pipeline/icpr2012.h"
#include "hep2/pipeline/manifest.h"

namespace hep2 {

namespace {

namespace fs = std::filesystem;

bool is_count(const std::string& s) {
  return !s.empty() && s.size() < 10 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::vector<std::string> sorted_class_names(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  // Integer labels ("0", "1", ..., "10") sort by value so that label i stays class i.
  if (std::all_of(names.begin(), names.end(), is_count))
    std::sort(names.begin(), names.end(),
              [](const std::string& a, const std::string& b) { return std::stol(a) < std::stol(b); });
  return names;
}

void assign_labels(CellList& list, const std::vector<std::string>& label_names) {
  HEP2_CHECK(label_names.size() == list.cells.size(), label_names.size(), " names for ",
             list.cells.size(), " cells");
  list.class_names = sorted_class_names(label_names);
  std::map<std::string, int> index;
  for (size_t i = 0; i < list.class_names.size(); ++i) index[list.class_names[i]] = int(i);
  for (size_t i = 0; i < list.cells.size(); ++i) list.cells[i].label = index.at(label_names[i]);
}

std::string canonical_split(const std::string& value) {
  const size_t b = value.find_first_not_of(" \t");
  const size_t e = value.find_last_not_of(" \t");
  const std::string v = b == std::string::npos ? "" : lower_case(value.substr(b, e - b + 1));
  if (v == "train" || v == "training") return "train";
  if (v == "val" || v == "valid" || v == "validation") return "val";
  if (v == "test" || v == "testing") return "test";
  return "";
}

CellList open_cell_list(const std::string& path) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) fail("dataset '", path, "' does not exist: check the {data} path");
  if (fs::is_regular_file(status)) {
    if (lower_case(fs::path(path).extension().string()) == ".csv") return read_manifest(path);
    fail("dataset '", path, "' is a file but not a .csv manifest: pass a manifest "
         "(path,label[,mask][,split][,group]) or a dataset folder");
  }
  if (!fs::is_directory(status)) fail("dataset '", path, "' is neither a file nor a folder");
  const fs::path root(path);
  if (fs::is_regular_file(root / "manifest.csv")) return read_manifest((root / "manifest.csv").string());
  if (is_icpr2012_folder(path)) return read_icpr2012(path);
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    const std::string name = entry.path().filename().string();
    const bool image = entry.is_regular_file() && is_image_extension(entry.path().extension().string());
    if ((entry.is_directory() && !name.empty() && name[0] != '.') || image)
      return read_class_folders(path);
  }
  fail("dataset folder '", path, "' has no layout hep2 knows. Use one of: (1) a manifest.csv "
       "with columns path,label[,mask][,split][,group]; (2) class folders <folder>/<Class>/*.png "
       "(masks optional in <folder>/masks/<Class>/<stem>_mask.png); (3) the ICPR2012 contest "
       "folder (cells.csv, training/gt_training.csv, test/gt_test.csv)");
}

CellList select_cells(const CellList& list, const std::vector<int>& rows) {
  CellList out = list;
  out.cells.clear();
  out.cells.reserve(rows.size());
  for (int i : rows) {
    if (i < 0 || size_t(i) >= list.cells.size())
      fail("cell ", i, " is not among the ", list.cells.size(), " cells of '", list.source, "'");
    out.cells.push_back(list.cells[size_t(i)]);
  }
  return out;
}

CellList keep_classes(const CellList& list, const std::vector<std::string>& names) {
  if (names.empty()) fail("no class names given to keep for '", list.source, "'");
  std::vector<int> new_label(list.class_names.size(), -1);
  CellList out;
  out.source = list.source;
  out.has_split = list.has_split;
  out.has_groups = list.has_groups;
  for (size_t k = 0; k < names.size(); ++k) {
    int found = -1;
    for (size_t c = 0; c < list.class_names.size(); ++c)
      if (list.class_names[c] == names[k]) found = int(c);
    if (found < 0) {  // a case-insensitive match, when it is unambiguous
      for (size_t c = 0; c < list.class_names.size(); ++c) {
        if (lower_case(list.class_names[c]) != lower_case(names[k])) continue;
        if (found >= 0)
          fail("class '", names[k], "' matches several classes of '", list.source,
               "' when case is ignored; spell it exactly. Known classes: ", joined(list.class_names));
        found = int(c);
      }
    }
    if (found < 0)
      fail("class '", names[k], "' is not in '", list.source, "'. Known classes: ", joined(list.class_names));
    if (new_label[size_t(found)] >= 0)
      fail("class '", names[k], "' is given twice in the class list for '", list.source, "'");
    new_label[size_t(found)] = int(k);
    out.class_names.push_back(list.class_names[size_t(found)]);
  }
  for (const CellRecord& cell : list.cells) {
    if (cell.label < 0 || size_t(cell.label) >= new_label.size() || new_label[size_t(cell.label)] < 0) continue;
    CellRecord kept = cell;
    kept.label = new_label[size_t(cell.label)];
    out.cells.push_back(std::move(kept));
  }
  return out;
}

}  // namespace hep2
