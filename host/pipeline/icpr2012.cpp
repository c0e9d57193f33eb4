// Reading the ICPR2012 (MIVIA) contest folder: official train/test split, groups by source image.
#include "hep2/pipeline/icpr2012.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <system_error>

#include "hep2/core/error.h"
#include "hep2/pipeline/cell_list.h"
#include "hep2/pipeline/manifest.h"

namespace hep2 {

namespace {

namespace fs = std::filesystem;

struct SetLayout {
  const char* folder;
  const char* gt;
  const char* split;
};
constexpr SetLayout kSets[] = {{"training", "gt_training.csv", "train"}, {"test", "gt_test.csv", "test"}};

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// Class names compare loosely between cells.csv and the gt files ("Coarse speckled" vs
// "coarse_speckled").
std::string class_key(const std::string& s) {
  std::string out;
  for (char c : s)
    if (std::isalnum(static_cast<unsigned char>(c))) out += char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

long parse_id(const std::string& text, const std::string& file, int line) {
  try {
    size_t used = 0;
    const long id = std::stol(text, &used);
    if (used == text.size() && id >= 0) return id;
  } catch (const std::exception&) {
  }
  fail("'", file, "' line ", line, ": ID '", text, "' is not a non-negative integer");
}

struct GtCell {
  long id;
  std::string pattern;
  size_t index;  // into the CellList
};

// The source image (group) of each cell, from cells.csv. The contest gives every cell a global
// ID there; the gt files may number cells per set instead. We take the IDs as global when they
// all occur in cells.csv for that set, else match them by rank within the set, and in either
// case check the mapping against cells.csv's own class column, so a wrong guess is an error
// rather than wrong groups.
void assign_groups(const fs::path& cells_csv, const std::map<std::string, std::vector<GtCell>>& by_split,
                   CellList& list) {
  const CsvTable table = read_csv(cells_csv.string());
  const int id_col = table.require_column("ICPR2012Contest_Cell_ID");
  const int image_col = table.require_column("Image");
  const int set_col = table.column("Set");
  const int class_col = table.column("Cell_class");
  struct Row {
    long id;
    std::string image, cls;
  };
  std::map<std::string, std::vector<Row>> rows;  // by split ("" when there is no Set column)
  for (size_t r = 0; r < table.rows.size(); ++r) {
    const auto& row = table.rows[r];
    const std::string split = set_col >= 0 ? canonical_split(row[size_t(set_col)]) : "";
    rows[split].push_back({parse_id(row[size_t(id_col)], table.source, table.lines[r]), row[size_t(image_col)],
                           class_col >= 0 ? row[size_t(class_col)] : ""});
  }
  for (auto& [split, set_rows] : rows)
    std::sort(set_rows.begin(), set_rows.end(), [](const Row& a, const Row& b) { return a.id < b.id; });

  for (const auto& [split, gt] : by_split) {
    const std::vector<Row>& candidates = rows[set_col >= 0 ? split : ""];
    std::map<long, const Row*> by_id;
    for (const Row& row : candidates) by_id[row.id] = &row;
    const bool global_ids =
        std::all_of(gt.begin(), gt.end(), [&](const GtCell& g) { return by_id.count(g.id) > 0; });
    std::vector<GtCell> ranked = gt;
    std::sort(ranked.begin(), ranked.end(), [](const GtCell& a, const GtCell& b) { return a.id < b.id; });
    if (!global_ids && ranked.size() != candidates.size())
      fail("'", cells_csv.string(), "' cannot be matched to the ", split, " cells: ", gt.size(),
           " cells in the gt file but ", candidates.size(), " rows for that set, and the IDs differ. ",
           "Fix cells.csv, or remove it to read the folder without groups");
    for (size_t k = 0; k < ranked.size(); ++k) {
      const Row& row = global_ids ? *by_id.at(ranked[k].id) : candidates[k];
      if (!row.cls.empty() && class_key(row.cls) != class_key(ranked[k].pattern))
        fail("'", cells_csv.string(), "': cell ", row.id, " is '", row.cls, "' there but the ", split,
             " gt file's cell ", ranked[k].id, " matched to it is '", ranked[k].pattern,
             "': the files do not describe the same cells. Fix cells.csv, or remove it to read the ",
             "folder without groups");
      list.cells[ranked[k].index].group = row.image;
    }
  }
  list.has_groups = true;
}

}  // namespace

bool is_icpr2012_folder(const std::string& root) {
  for (const SetLayout& set : kSets)
    if (is_file(fs::path(root) / set.folder / set.gt)) return true;
  return false;
}

CellList read_icpr2012(const std::string& root_path) {
  const fs::path root(root_path);
  if (!is_icpr2012_folder(root_path))
    fail("'", root_path, "' is not an ICPR2012 contest folder: expected training/gt_training.csv ",
         "and/or test/gt_test.csv");
  CellList list;
  list.source = root_path;
  list.has_split = true;
  std::vector<std::string> patterns;
  std::map<std::string, std::vector<GtCell>> by_split;
  for (const SetLayout& set : kSets) {
    const fs::path dir = root / set.folder;
    const fs::path gt_path = dir / set.gt;
    if (!is_file(gt_path)) continue;
    const CsvTable gt = read_csv(gt_path.string());
    const int id_col = gt.require_column("ID");
    const int pattern_col = gt.require_column("pattern");
    for (size_t r = 0; r < gt.rows.size(); ++r) {
      const auto& row = gt.rows[r];
      const int line = gt.lines[r];
      const long id = parse_id(row[size_t(id_col)], gt.source, line);
      const std::string& pattern = row[size_t(pattern_col)];
      if (pattern.empty()) fail("'", gt.source, "' line ", line, ": the pattern (class) is empty");
      // Files are named NNN.png (zero-padded to three digits); accept the ID as written too.
      char padded[32];
      std::snprintf(padded, sizeof padded, "%03ld", id);
      fs::path image = dir / (std::string(padded) + ".png");
      const fs::path as_written = dir / (row[size_t(id_col)] + ".png");
      if (!is_file(image) && is_file(as_written)) image = as_written;
      if (!is_file(image))
        fail("'", gt.source, "' line ", line, ": the image of cell ", id, " is missing (looked for '",
             image.string(), "')");
      const fs::path mask = dir / (image.stem().string() + "_mask.png");
      if (!is_file(mask))
        fail("'", gt.source, "' line ", line, ": the mask of cell ", id, " is missing (looked for '",
             mask.string(), "')");
      CellRecord cell;
      cell.path = image.string();
      cell.mask = mask.string();
      cell.split = set.split;
      by_split[set.split].push_back({id, pattern, list.cells.size()});
      list.cells.push_back(std::move(cell));
      patterns.push_back(pattern);
    }
  }
  if (list.cells.empty()) fail("ICPR2012 folder '", root_path, "': the gt files list no cells");
  assign_labels(list, patterns);
  if (is_file(root / "cells.csv")) assign_groups(root / "cells.csv", by_split, list);
  return list;
}

}  // namespace hep2
