// The settings table without the binary: every setting goes through JSON and back, a run folder's
// config.json leaves the machine settings to the command line while a --config file may set them,
// unknown keys and bad names are refused naming the key, the layering defaults < preset < config <
// flags, the shipped presets, and settings named in errors rendered as flags.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "app/presets.h"
#include "app/settings.h"
#include "hep2/core/error.h"
#include "support/run_folder.h"

namespace {

using hep2::Error;
using hep2::FeatureScaling;
using namespace hep2::app;

// A value in range other than the default for every setting (together they need not make a
// valid run: validate() checks combinations, this table each setting).
nlohmann::json non_defaults() {
  return {{"data", "cells/manifest.csv"}, {"synth_count", 321},   {"classes", {"B", "A"}},
          {"no_mask", true},             {"norm", "minmax"},      {"channel", "green"},
          {"test_fraction", 0.3},         {"method", "supervised"},    {"size", 32},
          {"decoder", "upsample"},        {"channels", {8, 16}},   {"init", "he"},
          {"features", "stats"},          {"stats_stage", 1},      {"stats_sizes", {32, 16}},
          {"epochs", 7},                  {"batch", 16},           {"lr", 0.002},
          {"ae_loss", "bce"},             {"lr_warmup", 2.5},      {"dcae_ensemble", 3},
          {"grad_lr", 0.0005},            {"no_augment", true},    {"ae_noise", 0.1},
          {"classifier", "linear"},       {"clf_scale", "pooled"},  {"clf_ridge", 0.01},     {"clf_self_train", 4}, {"clf_augment", {"gamma2", "blur1"}}, {"clf_augment_below", 1234}, {"clf_epochs", 9},
          {"clf_batch", 32},              {"clf_lr", 0.0002},      {"dropout", 0.25},
          {"weight_decay", 0.001},        {"patience", 4},         {"clf_ensemble", 2},
          {"clf_balance", true},          {"val_fraction", 0.2},   {"holdout", "random"},
          {"views", 2},                   {"device", "cpu"},       {"threads", 3},
          {"seed", 42},                   {"tf32", true},          {"train_cells", 700},
          {"ae_min_steps", 2000},         {"unlabeled", "train"},  {"transductive", true},
          {"data_parallel", true},        {"cuda_graph", true}};
}

TEST(Settings, EverySettingGoesThroughJsonAndBack) {
  const nlohmann::json j = non_defaults();
  std::set<std::string> keys;
  for (const Setting& s : settings()) keys.insert(s.key);
  std::set<std::string> covered;
  for (const auto& [k, v] : j.items()) covered.insert(k);
  EXPECT_EQ(keys, covered) << "a setting without a non-default value here is not tested";
  Options o;
  merge_json(o, j, JsonSource::ConfigFile);
  const nlohmann::json back = to_json(o);
  for (const auto& [k, v] : j.items()) EXPECT_EQ(back.at(k), v) << k;
  // ... and none of them is the default (so each key really moved its own field).
  const nlohmann::json defaults = to_json(Options{});
  for (const auto& [k, v] : j.items()) EXPECT_NE(defaults.at(k), v) << k;
}

TEST(Settings, ARunFolderLeavesTheMachineToTheCommandLine) {
  Options cli;
  cli.device = "cuda:1";
  cli.threads = 5;
  Options from_run = cli;
  merge_json(from_run, non_defaults(), JsonSource::RunFolder);
  EXPECT_EQ(from_run.device, "cuda:1");
  EXPECT_EQ(from_run.threads, 5);
  EXPECT_FALSE(from_run.tf32);
  EXPECT_FALSE(from_run.cuda_graph);
  EXPECT_EQ(from_run.epochs, 7);  // the method's settings do come from the run
  EXPECT_EQ(from_run.seed, 42u);
  // A run folder's config.json records more than settings; only a --config file is strict.
  nlohmann::json recorded = non_defaults();
  recorded["backend"] = "cpu (2 threads)";
  recorded["version"] = "0.1.0";
  recorded["unknown_key"] = 1;
  EXPECT_NO_THROW(merge_json(from_run, recorded, JsonSource::RunFolder));
  recorded.erase("unknown_key");
  EXPECT_NO_THROW(merge_json(from_run, recorded, JsonSource::ConfigFile));
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Settings, BadKeysAndValuesAreRefusedNamingThem) {
  Options o;
  std::string m = error_of([&] { merge_json(o, {{"epochs", 3}, {"epoch", 3}}, JsonSource::ConfigFile); });
  EXPECT_NE(m.find("\"epoch\" is not a hep2 setting"), std::string::npos) << m;
  m = error_of([&] { merge_json(o, {{"ae_loss", "l1"}}, JsonSource::ConfigFile); });
  EXPECT_NE(m.find("\"ae_loss\""), std::string::npos) << m;
  EXPECT_NE(m.find("must be mse or bce (not 'l1')"), std::string::npos) << m;
  m = error_of([&] { merge_json(o, {{"epochs", "many"}}, JsonSource::ConfigFile); });
  EXPECT_NE(m.find("\"epochs\": \"many\" is not a value of --epochs"), std::string::npos) << m;
  m = error_of([&] { merge_json(o, nlohmann::json::array({1}), JsonSource::ConfigFile); });
  EXPECT_NE(m.find("expected a JSON object"), std::string::npos) << m;
  // Ranges come from the table, with the flag's name.
  o = Options{};
  o.dcae_ensemble = 21;
  m = error_of([&] { validate(o); });
  EXPECT_EQ(m, "option --dcae-ensemble: must be in 1..20");
  o = Options{};
  o.epochs = 2;
  o.lr_warmup = 3;
  m = error_of([&] { validate(o); });
  EXPECT_EQ(m, "option --lr-warmup: must be a number of epochs in [0, --epochs]");
}

TEST(Settings, FlagsOverrideConfigOverridesPresetOverridesDefaults) {
  const std::string dir = hep2::test::fresh_temp_dir("hep2_settings_", "layers");
  std::filesystem::create_directories(dir);
  const std::string config = dir + "/config.json";
  std::ofstream(config) << R"({"dcae_ensemble": 2, "epochs": 4, "clf_ridge": 0.5})";
  Options cli;
  CLI::App app;
  add_settings(app, cli, kAllSections);
  app.parse("--epochs 3", false);
  const Options o = layered_settings(app, cli, "real", config, kAllSections);
  EXPECT_EQ(o.epochs, 3);                           // flag over config
  EXPECT_EQ(o.dcae_ensemble, 2);                    // config over preset (6)
  EXPECT_EQ(o.clf_ridge, 0.5);                      // config over preset (1e-3)
  EXPECT_EQ(o.features, hep2::FeatureKind::Stats);  // preset over default
  EXPECT_EQ(o.stats_sizes, (std::vector<int>{64, 56, 48, 40}));
  EXPECT_EQ(o.size, 64);                            // default: named by none of them
  // Neither a preset nor a config: the flags over the defaults, as parsed.
  EXPECT_EQ(layered_settings(app, cli, "", "", kAllSections).epochs, 3);
  EXPECT_EQ(layered_settings(app, cli, "", "", kAllSections).dcae_ensemble, 1);
  std::filesystem::remove_all(dir);
}

// copy_given takes exactly the settings whose flag (in either of its forms) was given.
TEST(Settings, OnlyTheFlagsGivenOverrideAStoredRun) {
  Options cli;
  CLI::App app;
  add_settings(app, cli, kClf | kSystem);
  app.parse("--no-clf-balance --clf-lr 0.01 --seed 4", false);
  Options stored;
  stored.clf_balance = true;
  stored.clf_epochs = 9;
  stored.seed = 2;
  copy_given(app, cli, stored, kClf | kSystem);
  EXPECT_FALSE(stored.clf_balance);
  EXPECT_EQ(stored.clf_lr, 0.01);
  EXPECT_EQ(stored.seed, 4u);
  EXPECT_EQ(stored.clf_epochs, 9);  // not given: the run's
  Options other;
  other.clf_lr = 0.5;
  copy_given(app, cli, other, kData);  // not in these sections: nothing copied
  EXPECT_EQ(other.clf_lr, 0.5);
}

TEST(Settings, TheShippedPresetsAreValidSettings) {
  std::set<std::string> names;
  for (const ShippedPreset& p : shipped_presets()) {
    SCOPED_TRACE(p.name);
    names.insert(p.name);
    Options o;
    EXPECT_NO_THROW(merge_json(o, load_preset(p.name), JsonSource::ConfigFile));
    EXPECT_NO_THROW(validate(o));
  }
  EXPECT_EQ(names, (std::set<std::string>{"paper", "real"}));
  Options real;
  merge_json(real, load_preset("real"), JsonSource::ConfigFile);
  EXPECT_EQ(real.dcae_ensemble, 6);
  EXPECT_EQ(real.classifier, hep2::ClassifierKind::Linear);
  EXPECT_EQ(real.ae_loss, hep2::AeObjective::CrossEntropy);
  EXPECT_TRUE(real.clf_balance);
  // The paper's preset is hep2's defaults spelled out.
  Options paper;
  merge_json(paper, load_preset("paper"), JsonSource::ConfigFile);
  EXPECT_EQ(to_json(paper), to_json(Options{}));
  const std::string m = error_of([] { load_preset("no-such-preset"); });
  EXPECT_NE(m.find("no such preset (hep2 ships paper, real)"), std::string::npos) << m;
}

// The DCAE trains at least 1000 steps by default; a run folder written before that floor existed
// (its config.json records hep2's version but no ae_min_steps) repeats what it trained: --epochs
// alone. A settings file of the user's own keeps the default.
TEST(Settings, NewDefaultsAreNotThoseOfRunsWrittenBeforeTheirKeys) {
  EXPECT_EQ(Options{}.ae_min_steps, 1000);
  EXPECT_EQ(Options{}.clf_scale, FeatureScaling::Auto);
  for (JsonSource source : {JsonSource::RunFolder, JsonSource::ConfigFile}) {
    Options old;
    merge_json(old, {{"version", "0.1.0"}, {"epochs", 15}}, source);
    EXPECT_EQ(old.ae_min_steps, 0);
    EXPECT_EQ(old.clf_scale, FeatureScaling::PerFeature);
    Options recorded;
    merge_json(recorded, {{"version", "0.1.0"}, {"ae_min_steps", 500}, {"clf_scale", "pooled"}}, source);
    EXPECT_EQ(recorded.ae_min_steps, 500);
    EXPECT_EQ(recorded.clf_scale, FeatureScaling::Pooled);
  }
  Options mine;
  merge_json(mine, {{"epochs", 30}}, JsonSource::ConfigFile);
  EXPECT_EQ(mine.ae_min_steps, 1000);
  EXPECT_EQ(mine.clf_scale, FeatureScaling::Auto);
  Options real;
  merge_json(real, load_preset("real"), JsonSource::ConfigFile);
  EXPECT_EQ(real.ae_min_steps, 0);  // its figures were measured at 15 epochs whatever the size
}

TEST(Settings, ErrorsNameSettingsThatTheCommandLineShowsAsFlags) {
  EXPECT_EQ(with_flags("lower the learning rate ({lr}) or use {ae_loss} bce; {not_a_key} stays"),
            "lower the learning rate (--lr) or use --ae-loss bce; {not_a_key} stays");
  EXPECT_EQ(with_flags("{clf_ridge} and {clf_ridge}"), "--clf-ridge and --clf-ridge");
}

TEST(Settings, HelpGroupsTheOptions) {
  CLI::App app;
  register_commands(app);
  const std::string help = app.get_subcommand("run")->help();
  for (const char* group : {"Data:", "Method:", "DCAE:", "Features:", "Classifier:", "Evaluation:",
                            "Device and run:", "Settings files:"})
    EXPECT_NE(help.find(group), std::string::npos) << group << "\n" << help;
  EXPECT_NE(help.find("--preset"), std::string::npos);
  EXPECT_NE(help.find("paper, real"), std::string::npos);
}

}  // namespace
