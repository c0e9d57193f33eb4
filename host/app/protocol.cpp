// run_protocol: folds x seeds runs of the method and their summary.
#include "protocol.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

#include "choices.h"
#include "hep2/core/error.h"
#include "hep2/dist/communicator.h"
#include "hep2/dist/units.h"
#include "hep2/io/atomic_file.h"
#include "settings.h"
#include "workbench.h"

namespace fs = std::filesystem;

namespace hep2::app {
namespace {

struct Summary {
  std::vector<double> v;
  double mean() const {
    double s = 0;
    for (double x : v) s += x;
    return v.empty() ? 0 : s / double(v.size());
  }
  double std() const {  // sample standard deviation
    if (v.size() < 2) return 0;
    double m = mean(), s = 0;
    for (double x : v) s += (x - m) * (x - m);
    return std::sqrt(s / double(v.size() - 1));
  }
};

}  // namespace

Evaluation run_unit(const Workbench& shared, Options opt, uint64_t seed, SplitIndices split,
                    const std::string& dir) {
  opt.seed = seed;
  Workbench unit(std::move(opt), dir, shared, std::move(split));
  unit.save_config();
  return unit.run_method(false);
}

namespace {

// One unit of the protocol: a seed's fold (or its split of the data's own train/test cells).
struct Unit {
  uint64_t seed = 0;
  size_t fold = 0, folds = 0;  // 0-based; of `folds` splits of this seed
  SplitIndices split;
  std::string dir;
  std::string name() const {
    return "seed " + std::to_string(seed) + ", " + (folds > 1 ? "fold " : "split ") +
           std::to_string(fold + 1) + "/" + std::to_string(folds);
  }
};

// What protocol.json says of one unit, from its evaluation.
nlohmann::json record_of(const Unit& u, const Evaluation& e) {
  const Metrics& m = e.cells;
  nlohmann::json r = {{"seed", u.seed}, {"fold", u.fold + 1}, {"accuracy", m.accuracy},
                      {"mca", m.mca}, {"test_cells", m.count}, {"folder", u.dir}};
  nlohmann::json recall = nlohmann::json::array();
  for (size_t c = 0; c < m.recall.size(); ++c)
    recall.push_back(m.support[c] > 0 ? nlohmann::json(m.recall[c]) : nlohmann::json());
  r["per_class_recall"] = recall;
  if (!e.members.empty()) {
    nlohmann::json each = nlohmann::json::array();
    for (const MemberFigures& mm : e.members) each.push_back(mm.metrics.mca);
    r["member_mca"] = each;
  }
  if (!e.readings.empty()) {
    nlohmann::json each = nlohmann::json::array();
    for (const ReadingFigures& rm : e.readings)
      each.push_back({{"member", rm.member}, {"size", rm.size}, {"mca", rm.metrics.mca}});
    r["reading_mca"] = each;
  }
  if (e.groups) {
    r["group_accuracy"] = e.groups->accuracy;
    r["group_mca"] = e.groups->mca;
  }
  return r;
}

// The same record of a unit that finished earlier, from its metrics.json (JSON numbers read back
// are the doubles written: the figures are those of the run that made them).
nlohmann::json record_of_finished(const Unit& u) {
  const std::string file = u.dir + "/metrics.json";
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(file));
    nlohmann::json r = {{"seed", u.seed}, {"fold", u.fold + 1}, {"accuracy", j.at("accuracy")},
                        {"mca", j.at("mca")}, {"test_cells", j.at("count")}, {"folder", u.dir}};
    nlohmann::json recall = nlohmann::json::array();
    for (const nlohmann::json& name : j.at("classes")) {
      const nlohmann::json& pc = j.at("per_class").at(name.get<std::string>());
      recall.push_back(pc.at("support").get<int64_t>() > 0 ? pc.at("recall") : nlohmann::json());
    }
    r["per_class_recall"] = recall;
    if (j.contains("members")) {
      nlohmann::json each = nlohmann::json::array();
      for (const nlohmann::json& mm : j.at("members")) each.push_back(mm.at("mca"));
      r["member_mca"] = each;
    }
    if (j.contains("readings")) {
      nlohmann::json each = nlohmann::json::array();
      for (const nlohmann::json& rm : j.at("readings"))
        each.push_back({{"member", rm.at("member")}, {"size", rm.at("size")}, {"mca", rm.at("mca")}});
      r["reading_mca"] = each;
    }
    if (j.contains("groups")) {
      r["group_accuracy"] = j.at("groups").at("accuracy");
      r["group_mca"] = j.at("groups").at("mca");
    }
    return r;
  } catch (const nlohmann::json::exception& e) {
    fail(file, ": not the metrics.json hep2 writes (", e.what(), "); delete ", u.dir,
         " and resume to run that unit again");
  }
}

// The protocol's units, seed by seed, fold by fold (the order of protocol.json's runs).
std::vector<Unit> plan_units(const Workbench& wb, const Options& opt, int folds,
                             const std::vector<uint64_t>& seeds, const std::string& dir) {
  std::vector<Unit> units;
  for (uint64_t seed : seeds) {
    std::vector<SplitIndices> splits;
    if (folds == 0) {
      splits.push_back(split_dataset(wb.data(), opt.test_fraction, seed));
    } else {
      std::vector<std::vector<int>> f = stratified_folds(wb.data(), folds, seed);
      for (int k = 0; k < folds; ++k) splits.push_back(fold_split(f, k));
    }
    for (size_t k = 0; k < splits.size(); ++k)
      units.push_back({seed, k, splits.size(), std::move(splits[k]),
                       dir + "/seed-" + std::to_string(seed) +
                           (folds ? "/fold-" + std::to_string(k + 1) : std::string("/split"))});
  }
  return units;
}

// units.json: the folds and seeds a protocol folder was started with, so that --resume, --merge
// and the --unit runs of an array job work on the same units.
void check_units_file(const std::string& dir, int folds, const std::vector<uint64_t>& seeds,
                      bool must_exist) {
  const std::string file = dir + "/units.json";
  const nlohmann::json want = {{"folds", folds}, {"seeds", seeds}};
  if (!fs::exists(file)) {
    if (must_exist)
      fail(file, " does not exist: --out must name a folder made by `hep2 cv`");
    return;
  }
  nlohmann::json have;
  try {
    have = nlohmann::json::parse(read_file(file));
  } catch (const nlohmann::json::exception& e) {
    fail(file, ": unreadable (", e.what(), ")");
  }
  if (have != want)
    fail(dir, " holds the units of --folds ", have.value("folds", nlohmann::json()).dump(),
         " --seeds ", have.value("seeds", nlohmann::json()).dump(), ", not of --folds ", folds,
         " --seeds ", nlohmann::json(seeds).dump(), ": give the same --folds and --seeds");
}

}  // namespace

void run_protocol(const Options& opt, int folds, const std::vector<uint64_t>& seeds,
                  const std::string& dir, const ProtocolRun& how) {
  if (folds < 0 || folds == 1 || folds > 50) fail("option --folds: use 0 (the data's own split) or 2..50");
  if (seeds.empty()) fail("option --seeds: give at least one seed");
  // Member k of a DCAE ensemble is the DCAE of seed + k, so seeds closer than the ensemble's size
  // repeat DCAEs: the repeats would not be independent.
  if (opt.method != Method::Supervised)
    for (size_t i = 0; i < seeds.size(); ++i)
      for (size_t j = i + 1; j < seeds.size(); ++j)
        if ((seeds[i] > seeds[j] ? seeds[i] - seeds[j] : seeds[j] - seeds[i]) <
            uint64_t(opt.dcae_ensemble))
          fail("option --seeds: seeds ", seeds[i], " and ", seeds[j], " would train the same DCAEs ",
               "(with --dcae-ensemble ", opt.dcae_ensemble, ", seed s trains the DCAEs of seeds s..s+",
               opt.dcae_ensemble - 1, "); use seeds at least ", opt.dcae_ensemble,
               " apart, e.g. --seeds 1,", 1 + opt.dcae_ensemble, ",", 1 + 2 * opt.dcae_ensemble);
  const size_t unit_count = seeds.size() * size_t(folds ? folds : 1);
  if (how.only_unit > unit_count)
    fail("option --unit: ", how.only_unit, " is not a unit of ", seeds.size(), " seed(s) x ",
         folds ? folds : 1, " fold(s): use 1..", unit_count);
  auto t0 = std::chrono::steady_clock::now();
  // Under mpirun/srun the units are spread over the ranks (dist/units.h); rank 0 writes the
  // protocol folder's own files and the summary.
  dist::Communicator& job = dist::world();
  Workbench wb(opt, dir);
  wb.command = "cv";
  wb.load_data();
  bool own_split = false;
  for (const std::string& s : wb.data().splits) own_split |= !s.empty();
  if (folds == 0 && !own_split)
    fail(opt.data.empty() ? std::string("the synthetic data") : opt.data,
         " has no split of its own: use --folds k for k-fold cross-validation");
  // A fresh protocol may replace another's units; one that continues, merges or runs a unit of
  // an array job must have the folder's.
  if (opt.resume || how.merge || how.only_unit > 0)
    check_units_file(dir, folds, seeds, opt.resume || how.merge);
  if (job.rank() == 0 && !how.merge) {
    wb.save_config();
    write_file_atomic(dir + "/units.json",
                      nlohmann::json{{"folds", folds}, {"seeds", seeds}}.dump() + "\n");
    // A summary describes finished units only: the folder is about to change.
    std::error_code ec;
    fs::remove(dir + "/protocol.json", ec);
  }
  job.barrier();

  std::vector<Unit> units = plan_units(wb, opt, folds, seeds, dir);
  if (how.only_unit > 0) units = {units[how.only_unit - 1]};
  if (job.size() > 1 && job.rank() == 0)
    std::fprintf(stderr, "cv: %zu unit(s) dealt to the ranks of the job (%s)\n", units.size(),
                 job.describe().c_str());
  const std::vector<std::string> results = dist::run_units(
      job, units.size(), [&](size_t i) { return units[i].name(); },
      [&](size_t i) {
        const Unit& u = units[i];
        if ((opt.resume || how.merge) && fs::exists(u.dir + "/metrics.json")) {
          std::fprintf(stderr, "== %s: finished (%s/metrics.json)\n", u.name().c_str(), u.dir.c_str());
          return record_of_finished(u).dump();
        }
        if (how.merge)
          fail(u.dir, "/metrics.json does not exist: the unit ", u.name(), " has not finished; "
               "run it (--unit) or continue the protocol with --resume instead of --merge");
        std::fprintf(stderr, "== seed %llu, %s %zu/%zu: %zu train, %zu test cells\n",
                     (unsigned long long)u.seed, folds ? "fold" : "split", u.fold + 1, u.folds,
                     u.split.train.size(), u.split.test.size());
        const Evaluation e = run_unit(wb, opt, u.seed, u.split, u.dir);
        std::fprintf(stderr, "   accuracy %.2f%%, MCA %.2f%%\n", 100 * e.cells.accuracy,
                     100 * e.cells.mca);
        return record_of(u, e).dump();
      });
  if (job.rank() != 0 || how.only_unit > 0) return;

  Summary acc, mca, gacc, gmca, member_mca;
  std::map<int, Summary> reading_mca;  // by reading size: every member of every run
  std::vector<Summary> recall(wb.class_names().size());  // by class: where the errors are
  nlohmann::json runs = nlohmann::json::array();
  for (const std::string& text : results) {
    const nlohmann::json r = nlohmann::json::parse(text);
    acc.v.push_back(r.at("accuracy").get<double>());
    mca.v.push_back(r.at("mca").get<double>());
    if (r.contains("member_mca"))
      for (const nlohmann::json& v : r.at("member_mca")) member_mca.v.push_back(v.get<double>());
    if (r.contains("per_class_recall"))  // null: the class had no test cell in that run
      for (size_t k = 0; k < recall.size() && k < r.at("per_class_recall").size(); ++k)
        if (!r.at("per_class_recall")[k].is_null())
          recall[k].v.push_back(r.at("per_class_recall")[k].get<double>());
    if (r.contains("reading_mca"))
      for (const nlohmann::json& v : r.at("reading_mca"))
        reading_mca[v.at("size").get<int>()].v.push_back(v.at("mca").get<double>());
    if (r.contains("group_accuracy")) {
      gacc.v.push_back(r.at("group_accuracy").get<double>());
      gmca.v.push_back(r.at("group_mca").get<double>());
    }
    runs.push_back(r);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto pm = [](const Summary& s) {
    return nlohmann::json{{"mean", s.mean()}, {"std", s.std()}, {"n", s.v.size()}};
  };
  nlohmann::json j = {{"protocol", folds ? std::to_string(folds) + "-fold cross-validation"
                                         : std::string("the data's own train/test split")},
                      {"grouped", !wb.data().groups.empty() && !wb.data().groups[0].empty()},
                      {"seeds", seeds},
                      {"settings", to_json(opt)},
                      {"accuracy", pm(acc)},
                      {"mca", pm(mca)},
                      {"runs", runs},
                      {"seconds", seconds},
                      {"backend", wb.backend().name()}};
  if (!member_mca.v.empty()) j["member_mca"] = pm(member_mca);
  if (!reading_mca.empty()) {
    nlohmann::json by_size = nlohmann::json::array();
    for (const auto& [size, s] : reading_mca) {
      nlohmann::json one = pm(s);
      one["size"] = size;
      by_size.push_back(one);
    }
    j["reading_mca"] = by_size;
  }
  if (!gacc.v.empty()) {
    j["group_accuracy"] = pm(gacc);
    j["group_mca"] = pm(gmca);
  }
  nlohmann::json per_class = nlohmann::json::object();
  for (size_t c = 0; c < recall.size(); ++c) per_class[wb.class_names()[c]] = pm(recall[c]);
  j["per_class_recall"] = per_class;
  write_file_atomic(dir + "/protocol.json", j.dump(2) + "\n");

  std::printf("\nhep2 protocol: %s, method %s, %zu seed(s), %zu run(s)\n",
              j["protocol"].get<std::string>().c_str(), name_of(opt.method), seeds.size(),
              acc.v.size());
  std::printf("data: %s (%zu cells, %zu classes)\n",
              opt.data.empty() ? "synthetic" : opt.data.c_str(), wb.data().size(),
              wb.class_names().size());
  std::printf("settings: size %d, decoder %s, AE %d epochs lr %g batch %d%s loss %s",
              opt.size, name_of(opt.decoder), opt.epochs, opt.lr, opt.batch,
              opt.no_augment ? "" : " augmented", name_of(opt.ae_loss));
  if (opt.ae_min_steps > 0) std::printf(" (at least %d steps)", opt.ae_min_steps);
  if (opt.train_cells > 0)
    std::printf(", %d labelled training cells (whole specimens)%s", opt.train_cells,
                opt.unlabeled.empty() ? "" : (" + unlabelled: " + opt.unlabeled).c_str());
  if (opt.method != Method::Supervised) {
    std::printf(", %d DCAE(s) averaged, features %s", opt.dcae_ensemble, name_of(opt.features));
    if (!opt.stats_sizes.empty()) {
      std::printf(" read at");
      for (size_t i = 0; i < opt.stats_sizes.size(); ++i)
        std::printf("%s%d", i ? "," : " ", opt.stats_sizes[i]);
      std::printf(" px");
    }
  }
  if (opt.classifier == ClassifierKind::Linear && opt.method != Method::Supervised)
    std::printf(", least squares ridge %g%s\n", opt.clf_ridge,
                opt.clf_balance ? " class-balanced" : "");
  else
    std::printf(", MLP <= %d epochs lr %g dropout %g wd %g%s, %s hold-out, %d view(s), %d "
                "classifier(s) averaged\n",
                opt.clf_epochs, opt.clf_lr, opt.dropout, opt.weight_decay,
                opt.clf_balance ? " class-balanced" : "", name_of(opt.holdout), opt.views,
                opt.clf_ensemble);
  if (opt.method == Method::Hybrid && opt.grad_lr > 0) std::printf("gradient DCAE lr %g\n", opt.grad_lr);
  std::printf("%-22s %10s %10s\n", "", "mean %", "std %");
  std::printf("%-22s %10.2f %10.2f\n", "cell accuracy", 100 * acc.mean(), 100 * acc.std());
  std::printf("%-22s %10.2f %10.2f\n", "cell MCA", 100 * mca.mean(), 100 * mca.std());
  if (!member_mca.v.empty())
    std::printf("%-22s %10.2f %10.2f   (each of the %zu DCAEs alone)\n", "cell MCA, one DCAE",
                100 * member_mca.mean(), 100 * member_mca.std(), member_mca.v.size());
  for (const auto& [size, s] : reading_mca)
    std::printf("%-22s %10.2f %10.2f   (each DCAE read at %d px alone)\n",
                ("cell MCA, " + std::to_string(size) + " px").c_str(), 100 * s.mean(),
                100 * s.std(), size);
  if (!gacc.v.empty()) {
    std::printf("%-22s %10.2f %10.2f\n", "specimen accuracy", 100 * gacc.mean(), 100 * gacc.std());
    std::printf("%-22s %10.2f %10.2f\n", "specimen MCA", 100 * gmca.mean(), 100 * gmca.std());
  }
  for (size_t c = 0; c < recall.size(); ++c)
    if (!recall[c].v.empty())
      std::printf("%-22s %10.2f %10.2f\n", ("recall " + wb.class_names()[c]).substr(0, 22).c_str(),
                  100 * recall[c].mean(), 100 * recall[c].std());
  std::printf("time: %.0f s on %s; details in %s/protocol.json\n", seconds, wb.backend().name().c_str(),
              dir.c_str());
}

}  // namespace hep2::app
