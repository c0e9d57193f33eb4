// Reading CSV manifests, and the CSV dialect reader shared with the ICPR2012 reader.
#include "hep2/pipeline/manifest.h"

#include <filesystem>

#include "hep2/core/error.h"
#include "hep2/core/lower_case.h"
#include "hep2/io/atomic_file.h"

namespace hep2 {

namespace {

namespace fs = std::filesystem;

std::string trimmed(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// The separator is the candidate that occurs most often (outside quotes) in the header line;
// a header is plain names, so this is unambiguous in practice. Ties prefer ',' then ';'.
char detect_separator(const std::string& text) {
  size_t comma = 0, semicolon = 0, tab = 0;
  bool quoted = false;
  for (char c : text) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '\n') break;
    comma += c == ',';
    semicolon += c == ';';
    tab += c == '\t';
  }
  if (tab > comma && tab > semicolon) return '\t';
  if (semicolon > comma) return ';';
  return ',';
}

bool exists_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

}  // namespace

int CsvTable::column(const std::string& name) const {
  const std::string want = lower_case(name);
  for (size_t i = 0; i < header.size(); ++i)
    if (lower_case(trimmed(header[i])) == want) return int(i);
  return -1;
}

int CsvTable::require_column(const std::string& name) const {
  const int c = column(name);
  if (c >= 0) return c;
  std::string have;
  for (size_t i = 0; i < header.size(); ++i) have += (i ? ", " : "") + std::string("'") + header[i] + "'";
  fail("'", source, "' has no column '", name, "' (the header row names: ", have,
       "; separator detected: '", separator == '\t' ? std::string("tab") : std::string(1, separator),
       "'): add the column, or fix the header row");
}

CsvTable parse_csv(const std::string& raw, const std::string& source) {
  CsvTable table;
  table.source = source;
  size_t pos = 0;
  if (raw.size() >= 3 && raw.compare(0, 3, "\xEF\xBB\xBF") == 0) pos = 3;  // UTF-8 BOM
  table.separator = detect_separator(raw.substr(pos, std::min<size_t>(raw.size() - pos, 1 << 16)));
  const char sep = table.separator;

  std::vector<std::vector<std::string>> records;
  std::vector<int> record_lines;
  std::vector<std::string> record;
  std::string field;
  bool field_quoted = false;  // the field began with a quote: keep its blanks
  bool in_quotes = false;
  int line = 1, record_line = 1;
  bool record_has_content = false;
  auto end_field = [&] {
    record.push_back(field_quoted ? field : trimmed(field));
    field.clear();
    field_quoted = false;
  };
  auto end_record = [&] {
    end_field();
    if (record_has_content) {
      records.push_back(std::move(record));
      record_lines.push_back(record_line);
    }
    record.clear();
    record_has_content = false;
  };
  for (size_t i = pos; i < raw.size(); ++i) {
    const char c = raw[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < raw.size() && raw[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && trimmed(field).empty()) {
      in_quotes = true;
      field_quoted = true;
      field.clear();
      record_has_content = true;
    } else if (c == sep) {
      end_field();
      record_has_content = true;
    } else if (c == '\n') {
      end_record();
      ++line;
      record_line = line;
    } else if (c != '\r') {
      if (field_quoted && (c == ' ' || c == '\t')) continue;  // blanks after a closing quote
      if (c != ' ' && c != '\t') record_has_content = true;
      field += c;
    }
  }
  if (in_quotes) fail("'", source, "' line ", record_line, ": a quoted field is not closed (missing '\"')");
  end_record();

  if (records.empty()) fail("'", source, "' is empty: a header row (e.g. path,label) is required");
  table.header = std::move(records[0]);
  for (size_t r = 1; r < records.size(); ++r) {
    records[r].resize(std::max(records[r].size(), table.header.size()));
    table.rows.push_back(std::move(records[r]));
    table.lines.push_back(record_lines[r]);
  }
  return table;
}

CsvTable read_csv(const std::string& path) { return parse_csv(read_file(path), path); }

CellList read_manifest(const std::string& csv, LabelColumn labels) {
  const CsvTable table = read_csv(csv);
  const int path_col = table.require_column("path");
  const int label_col =
      labels == LabelColumn::Required ? table.require_column("label") : table.column("label");
  const int mask_col = table.column("mask");
  const int split_col = table.column("split");
  const int group_col = table.column("group");
  const fs::path base = fs::path(csv).parent_path();

  auto resolve = [&](const std::string& p) {
    const fs::path given(p);
    return (given.is_absolute() || base.empty() ? given : base / given).lexically_normal();
  };

  CellList list;
  list.source = csv;
  list.has_split = split_col >= 0;
  list.has_groups = group_col >= 0;
  std::vector<std::string> label_names;
  for (size_t r = 0; r < table.rows.size(); ++r) {
    const auto& row = table.rows[r];
    const int line = table.lines[r];
    CellRecord cell;
    if (row[size_t(path_col)].empty()) fail("'", csv, "' line ", line, ": the path is empty");
    const fs::path image = resolve(row[size_t(path_col)]);
    if (!exists_file(image))
      fail("'", csv, "' line ", line, ": image '", row[size_t(path_col)], "' does not exist (looked for '",
           image.string(), "'; paths are relative to the manifest's folder)");
    cell.path = image.string();
    const std::string label = label_col >= 0 ? row[size_t(label_col)] : "";
    if (label_col >= 0 && label.empty())
      fail("'", csv, "' line ", line, ": the label is empty (every cell needs its class)");
    if (mask_col >= 0 && !row[size_t(mask_col)].empty()) {
      const fs::path mask = resolve(row[size_t(mask_col)]);
      if (!exists_file(mask))
        fail("'", csv, "' line ", line, ": mask '", row[size_t(mask_col)], "' does not exist (looked for '",
             mask.string(), "'); fix the path or leave the mask field empty");
      cell.mask = mask.string();
    }
    if (split_col >= 0) {
      cell.split = canonical_split(row[size_t(split_col)]);
      if (cell.split.empty())
        fail("'", csv, "' line ", line, ": split '", row[size_t(split_col)],
             "' is not train, val or test; fix it or drop the split column to split by seed");
    }
    if (group_col >= 0) cell.group = row[size_t(group_col)];
    list.cells.push_back(std::move(cell));
    label_names.push_back(label);
  }
  if (list.cells.empty()) fail("'", csv, "' lists no cells (only a header row)");
  if (label_col >= 0) assign_labels(list, label_names);
  return list;
}

}  // namespace hep2
