// The subcommands: run, train-ae, extract, train-clf, eval, classify, synth, info, bench.
#include "commands.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include "bench.h"
#include "data_parallel.h"
#include "presets.h"
#include "protocol.h"
#include "settings.h"
#include "hep2/core/error.h"
#include "hep2/dist/communicator.h"
#include "hep2/dist/units.h"
#include "hep2/io/atomic_file.h"
#include "hep2/io/npy.h"
#include "hep2/pipeline/cell_list.h"
#include "hep2/pipeline/preprocess.h"
#include "hep2/pipeline/synth.h"
#include "hep2/pipeline/unlabelled_cells.h"
#include "hep2/report/predictions.h"
#include "workbench.h"

namespace fs = std::filesystem;

namespace hep2::app {
namespace {

std::string default_run_dir() {
  std::time_t t = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof buf, "runs/%Y%m%d-%H%M%S", std::localtime(&t));
  return buf;
}

// Settings of an existing run folder, overridden by nothing: later steps must preprocess and
// build exactly what the earlier steps did.
Options options_of_run(const std::string& dir, const Options& cli) {
  std::string file = dir + "/config.json";
  if (!fs::exists(file))
    fail(file, " does not exist: --out must name a run folder made by `hep2 train-ae` or `hep2 run`");
  Options o = cli;
  try {
    merge_json(o, nlohmann::json::parse(read_file(file)), JsonSource::RunFolder);
  } catch (const nlohmann::json::exception& e) {
    fail(file, ": unreadable settings (", e.what(), "); rerun `hep2 train-ae`");
  } catch (const Error& e) {
    fail(file, ": ", e.what(), "; rerun `hep2 train-ae`");
  }
  return o;
}

// A resumed run uses the settings it was started with (config.json), not today's flags: only the
// device, threads and the resume controls come from the command line.
Options settings_for(const Options& cli, const std::string& dir) {
  if (!cli.resume) return cli;
  if (dir.empty()) fail("--resume needs --out: the run folder to continue");
  Options o = options_of_run(dir, cli);
  o.resume = true;
  o.stop_after_steps = cli.stop_after_steps;
  return o;
}


void print_summary(const Workbench& wb, const Evaluation& e, double seconds) {
  const Metrics& m = e.cells;
  std::printf("\n%s", metrics_table(m, wb.class_names()).c_str());
  std::printf("\nhep2 %s on %s: accuracy %.2f%%, mean class accuracy %.2f%% on %zu test cells\n",
              wb.opt.data.empty() ? "(synthetic cells)" : wb.opt.data.c_str(),
              wb.backend().name().c_str(), 100 * m.accuracy, 100 * m.mca, m.count);
  if (!e.members.empty()) {
    std::printf("each DCAE alone, mean class accuracy:");
    for (const MemberFigures& mm : e.members)
      std::printf(" %.2f%% (seed %llu)", 100 * mm.metrics.mca, (unsigned long long)mm.seed);
    std::printf("\n");
  }
  const TrainingRecord& t = wb.record;
  if (!t.dcae.empty()) {
    const nlohmann::json& d = t.dcae[0];
    std::printf("trained: each DCAE on %zu cells", d.at("cells").get<size_t>());
    if (t.unlabelled_cells)
      std::printf(" (%zu of them unlabelled%s)", t.unlabelled_cells,
                  wb.opt.transductive ? ", transductive" : "");
    std::printf(", %d epochs = %zu steps; ", d.at("epochs").get<int>(), d.at("steps").get<size_t>());
  }
  if (!t.classifiers.empty())
    std::printf("%sclassifier on %zu labelled cells, %s\n", t.dcae.empty() ? "trained: " : "",
                t.labelled_cells, t.classifiers[0].at("stopping").get<std::string>().c_str());
  if (wb.times.train_ae_images_per_s > 0)
    std::printf("throughput: DCAE training %.0f images/s, feature extraction %.0f images/s; "
                "total %.1f s\n",
                wb.times.train_ae_images_per_s, wb.times.extract_images_per_s, seconds);
  else
    std::printf("total %.1f s\n", seconds);
  std::printf("run folder: %s (metrics.json, confusion.png, recon_grid.png, loss_curve.png, "
              "features.npy, labels.npy)\n", wb.run_dir.c_str());
}

// A reading's features, with the labels and split, written by `extract`, uploaded for the
// classifier steps.
struct SavedFeatures {
  DeviceFeatures features;
  std::vector<int32_t> labels;
  std::vector<std::string> groups;  // empty when the data names no specimens
  std::vector<int> train, test;
};
SavedFeatures load_saved_features(Workbench& wb, const Reading& reading) {
  const std::string features = "features" + reading.tag + ".npy";
  for (const std::string& f : {features, std::string("labels.npy"), std::string("split.npy")})
    if (!fs::exists(wb.path(f)))
      fail(wb.path(f), " does not exist: run `hep2 extract --out ", wb.run_dir, "` first");
  npy::Array fa = npy::load(wb.path(features));
  if (fa.shape.size() != 2) fail(wb.path(features), ": expected a 2-D array (cells x features)");
  SavedFeatures s;
  s.labels = npy::load(wb.path("labels.npy")).to_i32();
  std::vector<int32_t> side = npy::load(wb.path("split.npy")).to_i32();
  if (s.labels.size() != fa.shape[0] || side.size() != fa.shape[0])
    fail(wb.run_dir, ": ", features, ", labels.npy and split.npy disagree on the number of cells; "
         "rerun `hep2 extract`");
  for (size_t i = 0; i < side.size(); ++i) (side[i] ? s.test : s.train).push_back(int(i));
  std::vector<float> values = fa.to_f32();
  s.features.count = int(fa.shape[0]);
  s.features.dim = int(fa.shape[1]);
  s.features.values = Buffer<float>(wb.backend(), values.size());
  wb.backend().upload(s.features.values.data(), values.data(), values.size() * sizeof(float));
  int classes = 0;
  for (int32_t l : s.labels) classes = std::max(classes, l + 1);
  if (wb.class_names().empty() && fs::exists(wb.path("classes.json"))) {
    std::vector<std::string> names;
    try {
      names =
          nlohmann::json::parse(read_file(wb.path("classes.json"))).get<std::vector<std::string>>();
    } catch (const nlohmann::json::exception& e) {
      fail(wb.path("classes.json"), ": not a list of class names (", e.what(),
           "); rerun `hep2 extract --out ", wb.run_dir, "`");
    }
    if (int(names.size()) < classes)
      fail(wb.path("classes.json"), " names ", names.size(), " classes but labels.npy has ",
           classes, "; rerun `hep2 extract --out ", wb.run_dir, "`");
    wb.set_class_names(std::move(names));
  }
  if (fs::exists(wb.path("groups.json"))) {
    std::vector<std::string> groups;
    try {
      groups =
          nlohmann::json::parse(read_file(wb.path("groups.json"))).get<std::vector<std::string>>();
    } catch (const nlohmann::json::exception& e) {
      fail(wb.path("groups.json"), ": not a list of specimen names (", e.what(),
           "); rerun `hep2 extract --out ", wb.run_dir, "`");
    }
    if (groups.size() != s.labels.size())
      fail(wb.path("groups.json"), " names ", groups.size(), " cells but labels.npy has ",
           s.labels.size(), "; rerun `hep2 extract --out ", wb.run_dir, "`");
    s.groups = groups;
    wb.set_groups(std::move(groups));
  }
  if (wb.class_names().empty()) {  // a folder from before classes.json
    std::vector<std::string> names;
    for (int c = 0; c < classes; ++c) names.push_back("class" + std::to_string(c));
    wb.set_class_names(std::move(names));
  }
  return s;
}

using Clock = std::chrono::steady_clock;

// "dcae.ckpt" or, for an ensemble, "dcae.ckpt, dcae_m2.ckpt, ...": the files a step wrote, one
// per member (per_reading = false) or per reading (features, classifiers).
std::string member_files(const Workbench& wb, const std::string& stem, const std::string& ext,
                         bool per_reading) {
  std::vector<std::string> tags;
  if (per_reading)
    for (const Reading& r : wb.readings()) tags.push_back(r.tag);
  else
    for (const DcaeMember& m : wb.dcae_members()) tags.push_back(m.tag);
  std::string list;
  for (const std::string& t : tags) list += (list.empty() ? "" : ", ") + wb.path(stem + t + ext);
  return list;
}

std::vector<int32_t> labels_of(const std::vector<int32_t>& labels, const std::vector<int>& rows) {
  std::vector<int32_t> t;
  for (int i : rows) t.push_back(labels[size_t(i)]);
  return t;
}

// What CLI11 binds the flags to: storage that outlives parsing, shared by the subcommands (only
// one of them runs).
struct Args {
  Options opt;
  std::string out, preset, config, images, predictions;
  int count = 1000, folds = 5;
  std::vector<uint64_t> seeds = {1};
  ProtocolRun protocol;
  bool json = false;
  BenchOptions bench;
};

// The flags of a command that starts a run: --preset and --config, then the settings of
// `sections`, then --out.
void add_run_settings(CLI::App& cmd, Args& a, unsigned sections, const char* out_help) {
  cmd.add_option("--preset", a.preset,
                 "Start from a preset: a name (" + shipped_preset_names() +
                     "; tools/presets/) or a JSON file of settings; --config and flags override it")
      ->group("Settings files");
  cmd.add_option("--config", a.config,
                 "Start from a JSON file of settings (e.g. a run folder's config.json; its "
                 "keys are the flags' names with underscores); flags given override it")
      ->group("Settings files");
  add_settings(cmd, a.opt, sections);
  cmd.add_option("--out", a.out, out_help)->group("Device and run");
}

void add_resume_flags(CLI::App& cmd, Options& o) {
  cmd.add_flag("--resume", o.resume,
               "Continue an interrupted run from the checkpoint in its --out folder")
      ->group("Device and run");
  cmd.add_option("--stop-after-steps", o.stop_after_steps,
                 "Save a checkpoint and stop after this many training steps (time-boxing; "
                 "continue with --resume)")
      ->group("Device and run");
}

// The settings of a command that starts a run, from the defaults, --preset, --config and flags.
Options starting_settings(const CLI::App& cmd, const Args& a, unsigned sections) {
  return layered_settings(cmd, a.opt, a.preset, a.config, sections);
}

// --out, or runs/<date-time> of rank 0's clock (every rank of a job writes into one folder).
std::string run_dir_of(const Args& a) {
  std::string dir = a.out.empty() ? default_run_dir() : a.out;
  dist::world().broadcast(dir);
  return dir;
}

void add_run_command(CLI::App& app, Args& a) {
  CLI::App* cmd = app.add_subcommand(
      "run", "The whole method: train the DCAE, extract features, train the classifier, evaluate");
  add_run_settings(*cmd, a, kAllSections, "Run folder (default runs/<date-time>)");
  add_resume_flags(*cmd, a.opt);
  cmd->callback([cmd, &a] {
    auto t0 = Clock::now();
    // Under mpirun/srun the DCAEs of --dcae-ensemble are spread over the ranks; rank 0 writes
    // the run folder's summary files.
    dist::Communicator& job = dist::world();
    const Options o = settings_for(starting_settings(*cmd, a, kAllSections), a.out);
    check_data_parallel(o, "run");
    Workbench wb(o, run_dir_of(a));
    wb.load_data();
    if (job.rank() == 0) wb.save_config();
    job.barrier();  // the folder exists before any rank writes into it
    Evaluation e = wb.run_method(true, job);
    if (job.rank() == 0) print_summary(wb, e, std::chrono::duration<double>(Clock::now() - t0).count());
  });
}

void add_cv_command(CLI::App& app, Args& a) {
  CLI::App* cmd = app.add_subcommand(
      "cv", "The evaluation protocol: stratified k-fold cross-validation (grouped by specimen/image "
            "when the data has groups), or the data's own train/test split with --folds 0, "
            "repeated over seeds; mean +- std of accuracy and MCA");
  add_run_settings(*cmd, a, kAllSections, "Protocol folder (default runs/<date-time>)");
  cmd->add_option("--folds", a.folds, "Folds (0: the data's own split)")
      ->capture_default_str()
      ->group("Evaluation");
  cmd->add_option("--seeds", a.seeds,
                  "Seeds to repeat the protocol with (with --dcae-ensemble N: at least N apart, "
                  "as seed s trains the DCAEs of seeds s..s+N-1)")
      ->delimiter(',')
      ->group("Evaluation");
  cmd->add_flag("--resume", a.opt.resume,
                "Continue an interrupted protocol in its --out folder: finished units (those with "
                "metrics.json) are read, the others run (their DCAEs from their checkpoints)")
      ->group("Device and run");
  cmd->add_option("--unit", a.protocol.only_unit,
                  "Run only this unit (1-based, seed by seed, fold by fold: seed i's fold f is "
                  "(i-1)*folds+f) and write no summary: one task of an array job (tools/slurm/)")
      ->group("Device and run");
  cmd->add_flag("--merge", a.protocol.merge,
                "Only summarise the finished units of --out into protocol.json (after an array "
                "job's --unit tasks); a unit that has not finished is an error")
      ->group("Device and run");
  cmd->callback([cmd, &a] {
    if (a.protocol.merge && (a.opt.resume || a.protocol.only_unit > 0))
      fail("option --merge: runs nothing, so it takes neither --resume nor --unit");
    if ((a.protocol.merge || a.opt.resume) && a.out.empty())
      fail(a.protocol.merge ? "--merge" : "--resume", " needs --out: the protocol folder");
    Options o = starting_settings(*cmd, a, kAllSections);
    if (a.protocol.merge) o.resume = true;  // the folder's settings, as for --resume
    o = settings_for(o, a.out);
    o.resume = a.opt.resume;
    check_data_parallel(o, "cv");
    run_protocol(o, a.folds, a.seeds, run_dir_of(a), a.protocol);
  });
}

void add_train_ae_command(CLI::App& app, Args& a) {
  CLI::App* cmd = app.add_subcommand("train-ae", "Train the DCAE on the training cells");
  constexpr unsigned sections = kData | kModel | kAe | kLabelled | kSystem;
  add_run_settings(*cmd, a, sections, "Run folder (default runs/<date-time>)");
  add_resume_flags(*cmd, a.opt);
  cmd->callback([cmd, &a] {
    dist::Communicator& job = dist::world();
    const Options o = settings_for(starting_settings(*cmd, a, sections), a.out);
    check_data_parallel(o, "train-ae");
    Workbench wb(o, run_dir_of(a));
    wb.command = "train-ae";
    wb.load_data();
    if (job.rank() == 0) wb.save_config();
    job.barrier();
    // With --data-parallel every rank trains each DCAE together; otherwise the DCAEs are dealt
    // to the ranks.
    const std::vector<DcaeMember> members = wb.dcae_members();
    dist::run_units(
        wb.opt.data_parallel ? dist::alone() : job, members.size(),
        [&](size_t k) { return "DCAE " + std::to_string(k + 1); },
        [&](size_t k) {
          wb.train_member(wb.opt.resume, members[k]);
          return std::string();
        });
    if (job.rank() != 0) return;
    std::printf("DCAE trained at %.0f images/s; checkpoint %s\n", wb.times.train_ae_images_per_s,
                member_files(wb, "dcae", ".ckpt", false).c_str());
  });
}

void add_extract_command(CLI::App& app, Args& a) {
  CLI::App* cmd = app.add_subcommand(
      "extract", "Write the DCAE features of every cell: features.npy, labels.npy, split.npy");
  add_settings(*cmd, a.opt, kSystem);
  cmd->add_option("--out", a.out, "Run folder of a trained DCAE")->required();
  cmd->callback([&a] {
    Workbench wb(options_of_run(a.out, a.opt), a.out);
    wb.load_data();
    for (const Reading& r : wb.readings()) {
      DeviceFeatures f = wb.method_features(r);
      wb.save_features(f, r);
      std::printf("%d features of %d values at %.0f images/s: %s\n", f.count, f.dim,
                  f.images_per_s, wb.path("features" + r.tag + ".npy").c_str());
    }
  });
}

void add_train_clf_command(CLI::App& app, Args& a) {
  CLI::App* cmd = app.add_subcommand(
      "train-clf", "Train the classifier (MLP or linear) on the extracted features");
  add_settings(*cmd, a.opt, kClf | kLabelled | kSystem);
  cmd->add_option("--out", a.out, "Run folder with features.npy")->required();
  cmd->callback([cmd, &a] {
    // The classifier's flags given now (and --seed: a new classifier; the split is in split.npy)
    // win over the run's stored settings; the others keep them.
    Options o = options_of_run(a.out, a.opt);
    copy_given(*cmd, a.opt, o, kClf | kLabelled | kSystem);
    Workbench wb(o, a.out);
    for (const Reading& r : wb.readings()) {
      SavedFeatures s = load_saved_features(wb, r);
      Buffer<int32_t> labels(wb.backend(), s.labels.size());
      wb.backend().upload(labels.data(), s.labels.data(), s.labels.size() * sizeof(int32_t));
      const std::vector<int> labelled = wb.labelled_subset(s.train, s.labels, s.groups);
      // The cells of --unlabeled PATH are not in features.npy: read again through the DCAE, as
      // `run` did, so that a refit with the run's settings gives the run's classifier.
      std::vector<int> unlabelled = wb.unlabelled_subset(s.train, labelled, s.test);
      const std::vector<int> path_rows = wb.append_path_features(s.features, r, s.test);
      unlabelled.insert(unlabelled.end(), path_rows.begin(), path_rows.end());
      wb.train_clf(s.features, labels, s.labels, labelled, unlabelled, r);
    }
    std::printf("classifier trained: %s\n", member_files(wb, "mlp", ".ckpt", true).c_str());
  });
}

void add_eval_command(CLI::App& app, Args& a) {
  CLI::App* cmd = app.add_subcommand("eval", "Evaluate the classifier on the test cells");
  add_settings(*cmd, a.opt, kSystem);
  cmd->add_option("--out", a.out, "Run folder with mlp.ckpt and features.npy")->required();
  cmd->callback([&a] {
    auto t0 = Clock::now();
    Workbench wb(options_of_run(a.out, a.opt), a.out);
    if (wb.opt.views > 1)
      std::fprintf(stderr, "note: features.npy holds each cell as it is; the %d-view average of "
                   "`hep2 run` is not repeated here, so the figures can differ slightly\n",
                   wb.opt.views);
    std::vector<ProbabilityMean> probs;
    std::vector<int> test;
    std::vector<int32_t> truth;
    for (const DcaeMember& member : wb.dcae_members()) {
      ProbabilityMean& member_probs = probs.emplace_back();
      for (const Reading& r : wb.readings(member)) {
        SavedFeatures s = load_saved_features(wb, r);
        member_probs.add(wb.reading_probabilities(s.features, r, s.test));
        test = s.test;
        truth = labels_of(s.labels, s.test);
      }
    }
    Evaluation e = wb.evaluate(probs, test, truth);
    print_summary(wb, e, std::chrono::duration<double>(Clock::now() - t0).count());
  });
}

void add_classify_command(CLI::App& app, Args& a) {
  CLI::App* cmd = app.add_subcommand(
      "classify", "Predict the pattern of new cell images with a trained run");
  add_settings(*cmd, a.opt, kSystem);
  cmd->add_option("--out", a.out, "Run folder with dcae.ckpt and mlp.ckpt")->required();
  cmd->add_option("--images", a.images,
                  "An image file, a folder of images, or a manifest CSV (labels optional)")
      ->required();
  cmd->add_option("--predictions", a.predictions,
                  "Output file: .csv or .json (default <run>/predictions.csv)");
  cmd->callback([&a] {
    Workbench wb(options_of_run(a.out, a.opt), a.out);
    const CellList list = open_unlabelled(a.images);
    wb.use_cells(cells_of(list));
    std::vector<int> rows(wb.data().size());
    for (size_t i = 0; i < rows.size(); ++i) rows[i] = int(i);
    std::vector<ProbabilityMean> members;
    for (const DcaeMember& member : wb.dcae_members()) {
      ProbabilityMean& member_probs = members.emplace_back();
      for (const Reading& r : wb.readings(member)) {
        DeviceFeatures f = wb.method_features(r);
        member_probs.add(wb.reading_probabilities(f, r, rows));
      }
    }
    std::vector<float> probs = mean_of_members(members);
    std::vector<int32_t> pred = argmax_rows(probs, int(wb.class_names().size()));
    std::string file = a.predictions.empty() ? wb.path("predictions.csv") : a.predictions;
    bool as_json = file.size() > 5 && file.substr(file.size() - 5) == ".json";
    if (as_json)
      write_predictions_json(file, wb.data().paths, pred, probs, wb.class_names());
    else
      write_predictions_csv(file, wb.data().paths, pred, probs, wb.class_names());
    std::printf("%zu cells classified: %s\n", rows.size(), file.c_str());
  });
}

void add_synth_command(CLI::App& app, Args& a) {
  CLI::App* cmd = app.add_subcommand(
      "synth", "Write synthetic HEp-2 cells (PNG + masks + manifest.csv), the embedded default data");
  cmd->add_option("--out", a.out, "Output folder")->required();
  cmd->add_option("--count", a.count, "Number of cells")->capture_default_str();
  cmd->add_option("--size", a.opt.size, "Crop size in pixels")->capture_default_str();
  cmd->add_option("--seed", a.opt.seed, "Seed")->capture_default_str();
  cmd->callback([&a] {
    if (a.count < 1) fail("option --count: must be at least 1");
    SynthOptions so;
    so.count = a.count;
    so.size = a.opt.size;
    so.seed = a.opt.seed;
    write_synth(a.out, so);
    std::printf("%d synthetic cells written to %s (manifest.csv)\n", a.count, a.out.c_str());
  });
}

void add_info_command(CLI::App& app, Args& a) {
  CLI::App* cmd = app.add_subcommand("info", "Build options, CUDA/cuDNN versions, devices found");
  cmd->add_flag("--json", a.json, "Print JSON");
  cmd->callback([&a] { print_info(a.json); });
}

void add_bench_command(CLI::App& app, Args& a) {
  CLI::App* cmd = app.add_subcommand(
      "bench", "Benchmark DCAE training, feature extraction and the MLP step; per-layer times");
  add_bench_options(*cmd, a.bench);
  cmd->callback([&a] { run_bench(a.bench); });
}

}  // namespace

void register_commands(CLI::App& app) {
  static Args args;  // CLI11 binds flags to storage that outlives parsing
  add_run_command(app, args);
  add_cv_command(app, args);
  add_train_ae_command(app, args);
  add_extract_command(app, args);
  add_train_clf_command(app, args);
  add_eval_command(app, args);
  add_classify_command(app, args);
  add_synth_command(app, args);
  add_info_command(app, args);
  add_bench_command(app, args);
}

}  // namespace hep2::app
