// The settings table: each setting of Options declared once, with its JSON key (the flag is the
// key with dashes), help group, help text, the commands that take it and its valid range. The
// command-line flags, config.json in both directions, the precedence of --config files and flags,
// and validation all come from this one table.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "options.h"

namespace hep2::app {

// Which commands take a setting: run and cv take every section; train-ae data, model, DCAE,
// labelled cells and system; train-clf classifier, labelled cells and system; extract, eval and
// classify system.
enum Section : unsigned {
  kData = 1,
  kModel = 2,
  kAe = 4,
  kClf = 8,
  kViews = 16,
  kSystem = 32,
  kLabelled = 64,  // which training cells carry labels
  kAllSections = 127,
};

struct Setting {
  std::string key;   // in config.json
  std::string flag;  // --key, with dashes for underscores
  const char* group;
  unsigned section;
  // Read back from a run folder's config.json by the later steps; false for what describes the
  // machine of one invocation (device, threads, tf32), which always comes from the command line.
  bool from_run = true;
  // The value a config.json written by hep2 (it records the version) before this key existed
  // meant, where that differs from today's default: such a run resumed, repeated or refitted
  // does what it did. Null when the default never changed.
  nlohmann::json before_it_existed;
  std::function<void(CLI::App&, Options&)> add_flag;
  std::function<nlohmann::json(const Options&)> get;
  std::function<void(Options&, const nlohmann::json&)> set;  // throws Error or json::exception
  std::function<void(Options&, const Options&)> copy;
  std::function<std::string(const Options&)> problem;  // what is wrong with the value, or ""
};

const std::vector<Setting>& settings();

// The flags of the settings in `sections`, bound to o, under their help groups.
void add_settings(CLI::App& cmd, Options& o, unsigned sections);

// Every setting by its key (the run folder's config.json).
nlohmann::json to_json(const Options& o);

// Settings read from JSON; keys not in it keep their values. A run folder's config.json also
// records the run's backend, version and folder (ignored here) and is read without the machine
// settings; a --config file may set any setting, and any other key in it is refused.
enum class JsonSource { RunFolder, ConfigFile };
void merge_json(Options& o, const nlohmann::json& j, JsonSource source);

// Copies from `given` into `to` each setting of `sections` whose flag appeared on cmd's command
// line: flags win over a run folder's or a --config file's settings.
void copy_given(const CLI::App& cmd, const Options& given, Options& to, unsigned sections);

// The message of an Error with each "{key}" of a setting (error.h) written as its flag.
std::string with_flags(std::string message);

// Throws Error naming the flag and the accepted range: each setting's own range, then the
// combinations that contradict each other.
void validate(const Options& o);

}  // namespace hep2::app
