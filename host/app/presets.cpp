// Preset and config files, and the layering defaults < preset < config < flags.
#include "presets.h"

#include <filesystem>

#include "hep2/core/error.h"
#include "hep2/io/atomic_file.h"
#include "settings.h"

namespace fs = std::filesystem;

namespace hep2::app {

std::string shipped_preset_names() {
  std::string s;
  for (const ShippedPreset& p : shipped_presets()) s += (s.empty() ? "" : ", ") + std::string(p.name);
  return s;
}

nlohmann::json load_settings_file(const std::string& file) {
  if (!fs::is_regular_file(file))
    fail(file, " does not exist or is not a file: --config needs a JSON file of settings, e.g. a "
         "run folder's config.json");
  try {
    return nlohmann::json::parse(read_file(file));
  } catch (const nlohmann::json::exception& e) {
    fail(file, ": not valid JSON (", e.what(), "); fix the file or give the settings as flags");
  }
}

nlohmann::json load_preset(const std::string& name_or_file) {
  for (const ShippedPreset& p : shipped_presets())
    if (name_or_file == p.name) return nlohmann::json::parse(p.json);
  if (fs::is_regular_file(name_or_file)) return load_settings_file(name_or_file);
  fail("--preset ", name_or_file, ": no such preset (hep2 ships ", shipped_preset_names(),
       ") and no such JSON file");
}

namespace {
void merge_file(Options& o, const nlohmann::json& j, const std::string& what) {
  try {
    merge_json(o, j, JsonSource::ConfigFile);
  } catch (const Error& e) {
    fail(what, ": ", e.what());
  }
}
}  // namespace

Options layered_settings(const CLI::App& cmd, const Options& cli, const std::string& preset,
                         const std::string& config, unsigned sections) {
  if (preset.empty() && config.empty()) return cli;
  Options o;
  if (!preset.empty()) merge_file(o, load_preset(preset), "preset " + preset);
  if (!config.empty()) merge_file(o, load_settings_file(config), config);
  copy_given(cmd, cli, o, sections);
  o.resume = cli.resume;
  o.stop_after_steps = cli.stop_after_steps;
  return o;
}

}  // namespace hep2::app
