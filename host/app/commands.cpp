// The subcommands: run, train-ae, extract, train-clf, eval, classify, synth, info, bench.
#include "commands.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include "bench.h"
#include "protocol.h"
#include "hep2/core/error.h"
#include "hep2/io/atomic_file.h"
#include "hep2/io/npy.h"
#include "hep2/pipeline/cell_list.h"
#include "hep2/pipeline/preprocess.h"
#include "hep2/pipeline/synth.h"
#include "hep2/report/predictions.h"
#include "unlabelled.h"
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
    o.merge_json(nlohmann::json::parse(read_file(file)));
  } catch (const nlohmann::json::exception& e) {
    fail(file, ": unreadable settings (", e.what(), "); rerun `hep2 train-ae`");
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


void print_summary(Workbench& wb, const Metrics& m, double seconds) {
  std::printf("\n%s", metrics_table(m, wb.class_names).c_str());
  std::printf("\nhep2 %s on %s: accuracy %.2f%%, mean class accuracy %.2f%% on %zu test cells\n",
              wb.opt.data.empty() ? "(synthetic cells)" : wb.opt.data.c_str(), wb.be->name().c_str(),
              100 * m.accuracy, 100 * m.mca, m.count);
  if (!wb.member_metrics.empty()) {
    std::printf("each DCAE alone, mean class accuracy:");
    for (const Workbench::MemberMetrics& mm : wb.member_metrics)
      std::printf(" %.2f%% (seed %llu)", 100 * mm.metrics.mca, (unsigned long long)mm.seed);
    std::printf("\n");
  }
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
  s.features.values = Buffer<float>(*wb.be, values.size());
  wb.be->upload(s.features.values.data(), values.data(), values.size() * sizeof(float));
  int classes = 0;
  for (int32_t l : s.labels) classes = std::max(classes, l + 1);
  if (wb.class_names.empty() && fs::exists(wb.path("classes.json"))) {
    try {
      wb.class_names =
          nlohmann::json::parse(read_file(wb.path("classes.json"))).get<std::vector<std::string>>();
    } catch (const nlohmann::json::exception& e) {
      fail(wb.path("classes.json"), ": not a list of class names (", e.what(),
           "); rerun `hep2 extract --out ", wb.run_dir, "`");
    }
    if (int(wb.class_names.size()) < classes)
      fail(wb.path("classes.json"), " names ", wb.class_names.size(), " classes but labels.npy has ",
           classes, "; rerun `hep2 extract --out ", wb.run_dir, "`");
  }
  if (fs::exists(wb.path("groups.json"))) {
    try {
      wb.data.groups =
          nlohmann::json::parse(read_file(wb.path("groups.json"))).get<std::vector<std::string>>();
    } catch (const nlohmann::json::exception& e) {
      fail(wb.path("groups.json"), ": not a list of specimen names (", e.what(),
           "); rerun `hep2 extract --out ", wb.run_dir, "`");
    }
    if (wb.data.groups.size() != s.labels.size())
      fail(wb.path("groups.json"), " names ", wb.data.groups.size(), " cells but labels.npy has ",
           s.labels.size(), "; rerun `hep2 extract --out ", wb.run_dir, "`");
  }
  if (wb.class_names.empty())  // a folder from before classes.json
    for (int c = 0; c < classes; ++c) wb.class_names.push_back("class" + std::to_string(c));
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

}  // namespace

void register_commands(CLI::App& app) {
  static Options opt;  // CLI11 binds flags to storage that outlives parsing
  static std::string out, images, predictions;
  static int count = 0;
  static bool json = false;
  static BenchOptions bench;

  // ---- run ----
  CLI::App* run = app.add_subcommand(
      "run", "The whole method: train the DCAE, extract features, train the classifier, evaluate");
  add_data_options(*run, opt);
  add_model_options(*run, opt);
  add_ae_options(*run, opt);
  add_clf_options(*run, opt);
  add_view_options(*run, opt);
  add_system_options(*run, opt);
  run->add_option("--out", out, "Run folder (default runs/<date-time>)");
  add_resume_options(*run, opt);
  run->callback([] {
    auto t0 = Clock::now();
    Workbench wb(settings_for(opt, out), out.empty() ? default_run_dir() : out);
    wb.load_data();
    wb.save_config();
    wb.upload_data();
    Metrics m = wb.run_method(true);
    print_summary(wb, m, std::chrono::duration<double>(Clock::now() - t0).count());
  });

  // ---- cv ----
  static int folds = 5;
  static std::vector<uint64_t> seeds = {1};
  CLI::App* cvc = app.add_subcommand(
      "cv", "The evaluation protocol: stratified k-fold cross-validation (grouped by specimen/image "
            "when the data has groups), or the data's own train/test split with --folds 0, "
            "repeated over seeds; mean +- std of accuracy and MCA");
  add_data_options(*cvc, opt);
  add_model_options(*cvc, opt);
  add_ae_options(*cvc, opt);
  add_clf_options(*cvc, opt);
  add_view_options(*cvc, opt);
  add_system_options(*cvc, opt);
  cvc->add_option("--folds", folds, "Folds (0: the data's own split)")->capture_default_str();
  cvc->add_option("--seeds", seeds,
                  "Seeds to repeat the protocol with (with --dcae-ensemble N: at least N apart, "
                  "as seed s trains the DCAEs of seeds s..s+N-1)")->delimiter(',');
  cvc->add_option("--out", out, "Protocol folder (default runs/<date-time>)");
  cvc->callback([] { run_protocol(opt, folds, seeds, out.empty() ? default_run_dir() : out); });

  // ---- train-ae ----
  CLI::App* tae = app.add_subcommand("train-ae", "Train the DCAE on the training cells");
  add_data_options(*tae, opt);
  add_model_options(*tae, opt);
  add_ae_options(*tae, opt);
  add_system_options(*tae, opt);
  tae->add_option("--out", out, "Run folder (default runs/<date-time>)");
  add_resume_options(*tae, opt);
  tae->callback([] {
    Workbench wb(settings_for(opt, out), out.empty() ? default_run_dir() : out);
    wb.command = "train-ae";
    wb.load_data();
    wb.save_config();
    wb.upload_data();
    for (const DcaeMember& m : wb.dcae_members()) wb.train_member(opt.resume, m);
    std::printf("DCAE trained at %.0f images/s; checkpoint %s\n", wb.times.train_ae_images_per_s,
                member_files(wb, "dcae", ".ckpt", false).c_str());
  });

  // ---- extract ----
  CLI::App* ext = app.add_subcommand(
      "extract", "Write the DCAE features of every cell: features.npy, labels.npy, split.npy");
  add_system_options(*ext, opt);
  ext->add_option("--out", out, "Run folder of a trained DCAE")->required();
  ext->callback([] {
    Workbench wb(options_of_run(out, opt), out);
    wb.load_data();
    wb.upload_data();
    for (const Reading& r : wb.readings()) {
      DeviceFeatures f = wb.method_features(r);
      wb.save_features(f, r);
      std::printf("%d features of %d values at %.0f images/s: %s\n", f.count, f.dim,
                  f.images_per_s, wb.path("features" + r.tag + ".npy").c_str());
    }
  });

  // ---- train-clf ----
  CLI::App* tclf = app.add_subcommand(
      "train-clf", "Train the classifier (MLP or linear) on the extracted features");
  add_clf_options(*tclf, opt);
  add_system_options(*tclf, opt);
  tclf->add_option("--out", out, "Run folder with features.npy")->required();
  tclf->callback([tclf] {
    Options o = options_of_run(out, opt);
    // The classifier's flags given now win over the run's stored settings; the others keep them.
    auto given = [tclf](const char* flag) { return tclf->count(flag) > 0; };
    if (given("--classifier")) o.classifier = opt.classifier;
    if (given("--clf-ridge")) o.clf_ridge = opt.clf_ridge;
    if (given("--clf-epochs")) o.clf_epochs = opt.clf_epochs;
    if (given("--clf-batch")) o.clf_batch = opt.clf_batch;
    if (given("--clf-lr")) o.clf_lr = opt.clf_lr;
    if (given("--dropout")) o.dropout = opt.dropout;
    if (given("--weight-decay")) o.weight_decay = opt.weight_decay;
    if (given("--patience")) o.patience = opt.patience;
    if (given("--clf-ensemble")) o.clf_ensemble = opt.clf_ensemble;
    if (given("--clf-balance") || given("--no-clf-balance")) o.clf_balance = opt.clf_balance;
    if (given("--val-fraction")) o.val_fraction = opt.val_fraction;
    if (given("--holdout")) o.holdout = opt.holdout;
    if (given("--seed")) o.seed = opt.seed;  // a new classifier; the split is in split.npy
    Workbench wb(o, out);
    for (const Reading& r : wb.readings()) {
      SavedFeatures s = load_saved_features(wb, r);
      wb.data.labels = s.labels;
      Buffer<int32_t> labels(*wb.be, s.labels.size());
      wb.be->upload(labels.data(), s.labels.data(), s.labels.size() * sizeof(int32_t));
      wb.train_clf(s.features, labels, s.train, r);
    }
    std::printf("classifier trained: %s\n", member_files(wb, "mlp", ".ckpt", true).c_str());
  });

  // ---- eval ----
  CLI::App* ev = app.add_subcommand("eval", "Evaluate the classifier on the test cells");
  add_system_options(*ev, opt);
  ev->add_option("--out", out, "Run folder with mlp.ckpt and features.npy")->required();
  ev->callback([] {
    auto t0 = Clock::now();
    Workbench wb(options_of_run(out, opt), out);
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
    Metrics m = wb.evaluate(probs, test, truth);
    print_summary(wb, m, std::chrono::duration<double>(Clock::now() - t0).count());
  });

  // ---- classify ----
  CLI::App* cls = app.add_subcommand(
      "classify", "Predict the pattern of new cell images with a trained run");
  add_system_options(*cls, opt);
  cls->add_option("--out", out, "Run folder with dcae.ckpt and mlp.ckpt")->required();
  cls->add_option("--images", images,
                  "An image file, a folder of images, or a manifest CSV (labels optional)")
      ->required();
  cls->add_option("--predictions", predictions,
                  "Output file: .csv or .json (default <run>/predictions.csv)");
  cls->callback([] {
    Workbench wb(options_of_run(out, opt), out);
    const CellList list = open_unlabelled(images);
    wb.cell_source = [list](const PreprocessOptions& pp) { return load_dataset(list, pp); };
    wb.data = wb.cell_source(wb.preprocess_options(wb.opt.size));
    wb.device_data = std::make_unique<DeviceImages>(upload_images(
        *wb.be, wb.data.shape, wb.data.images, std::vector<int32_t>(wb.data.size(), -1)));
    std::vector<int> rows(wb.data.size());
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
    std::vector<int32_t> pred = argmax_rows(probs, int(wb.class_names.size()));
    std::string file = predictions.empty() ? wb.path("predictions.csv") : predictions;
    bool as_json = file.size() > 5 && file.substr(file.size() - 5) == ".json";
    if (as_json)
      write_predictions_json(file, wb.data.paths, pred, probs, wb.class_names);
    else
      write_predictions_csv(file, wb.data.paths, pred, probs, wb.class_names);
    std::printf("%zu cells classified: %s\n", rows.size(), file.c_str());
  });

  // ---- synth ----
  CLI::App* syn = app.add_subcommand(
      "synth", "Write synthetic HEp-2 cells (PNG + masks + manifest.csv), the embedded default data");
  syn->add_option("--out", out, "Output folder")->required();
  syn->add_option("--count", count, "Number of cells")->default_val(1000);
  syn->add_option("--size", opt.size, "Crop size in pixels")->capture_default_str();
  syn->add_option("--seed", opt.seed, "Seed")->capture_default_str();
  syn->callback([] {
    if (count < 1) fail("option --count: must be at least 1");
    SynthOptions so;
    so.count = count;
    so.size = opt.size;
    so.seed = opt.seed;
    write_synth(out, so);
    std::printf("%d synthetic cells written to %s (manifest.csv)\n", count, out.c_str());
  });

  // ---- info ----
  CLI::App* info = app.add_subcommand("info", "Build options, CUDA/cuDNN versions, devices found");
  info->add_flag("--json", json, "Print JSON");
  info->callback([] { print_info(json); });

  // ---- bench ----
  CLI::App* bn = app.add_subcommand(
      "bench", "Benchmark DCAE training, feature extraction and the MLP step; per-layer times");
  add_bench_options(*bn, bench);
  bn->callback([] { run_bench(bench); });
}

}  // namespace hep2::app
