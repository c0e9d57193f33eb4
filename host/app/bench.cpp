// The benchmark and the build/device information commands. On the GPU the DCAE step is timed
// twice in one run: eager (one launch per op) and replayed from a CUDA graph.
#include "bench.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>

#include <nlohmann/json.hpp>

#include "hep2/core/error.h"
#include "hep2/core/rng.h"
#include "hep2/dist/communicator.h"
#include "hep2/io/atomic_file.h"
#include "hep2/nn/models.h"
#include "hep2/nn/trainer.h"
#include "hep2/pipeline/texture_features.h"
#include "options.h"
#include "workbench.h"

namespace hep2::app {
namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Median wall time and median process CPU time (all threads, seconds) of a phase. On a machine
// shared with other work the wall time depends on the share of the cores the process gets; the
// CPU time is the work it did.
struct Timing {
  double wall = 0, cpu = 0;
};

// Times `fn` (which must end with the backend synchronised) `repeats` times after `warmup` runs.
template <class F>
Timing median_timing(int warmup, int repeats, F&& fn) {
  for (int i = 0; i < warmup; ++i) fn();
  std::vector<double> wall, cpu;
  for (int i = 0; i < repeats; ++i) {
    auto t0 = Clock::now();
    std::clock_t c0 = std::clock();
    fn();
    cpu.push_back(double(std::clock() - c0) / CLOCKS_PER_SEC);
    wall.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return {median(wall), median(cpu)};
}

// Per-layer timing through the network's hook: synchronises after each layer (only in this mode).
struct LayerClock {
  Backend* be;
  Clock::time_point last;
  std::map<std::pair<size_t, bool>, std::vector<double>> samples;
  static void hook(void* ctx, size_t layer, bool backward) {
    auto* c = static_cast<LayerClock*>(ctx);
    c->be->sync();
    auto now = Clock::now();
    c->samples[{layer, backward}].push_back(std::chrono::duration<double>(now - c->last).count());
    c->last = now;
  }
};

std::vector<float> random_images(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (float& x : v) x = float(rng.uniform());
  return v;
}

}  // namespace

void add_bench_options(CLI::App& app, BenchOptions& o) {
  app.add_option("--device", o.device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  app.add_option("--threads", o.threads, "CPU threads (0: all cores)")->capture_default_str();
  app.add_option("--batch", o.batch, "Batch size")->capture_default_str();
  app.add_option("--size", o.size, "Input size")->capture_default_str();
  app.add_option("--decoder", o.decoder, "deconv or upsample")->capture_default_str();
  app.add_option("--repeats", o.repeats, "Timed repeats (median reported)")->capture_default_str();
  app.add_option("--warmup", o.warmup, "Untimed warm-up runs")->capture_default_str();
  app.add_flag("--layers,!--no-layers", o.layers, "Per-layer forward/backward times");
  app.add_flag("--tf32", o.tf32, "Allow TF32 on the GPU");
  app.add_option("--json", o.json, "Also write the results as JSON to this file");
}

void run_bench(const BenchOptions& o) {
  if (o.batch < 1 || o.repeats < 1 || o.warmup < 0) fail("bench: --batch and --repeats must be >= 1");
  Options so;
  so.device = o.device;
  so.threads = o.threads;
  so.tf32 = o.tf32;
  auto be = open_backend(so);
  DcaeConfig cfg;
  cfg.height = cfg.width = o.size;
  cfg.decoder = parse_decoder(o.decoder);
  Dcae m = build_dcae(cfg);
  size_t latent_end = m.latent_end;
  Trainer ae(*be, std::move(m.net), o.batch, OptimizerConfig{});
  ae.init(InitScheme::Torch, 1);
  std::vector<float> host = random_images(size_t(o.batch) * o.size * o.size, 2);
  Buffer<float> x(*be, host.size());
  be->upload(x.data(), host.data(), host.size() * sizeof(float));

  const Timing train = median_timing(o.warmup, o.repeats, [&] {
    ae.ae_step(o.batch, x.data());
    be->sync();
  });
  // The same step replayed from a CUDA graph (the first run captures it, so at least one warm-up),
  // beside the eager step of the same run: what one launch per step saves.
  const bool graphs = be->can_capture();
  Timing graph;
  if (graphs) {
    ae.set_step_graphs(true);
    graph = median_timing(std::max(o.warmup, 1), o.repeats, [&] {
      ae.ae_step(o.batch, x.data());
      be->sync();
    });
    ae.set_step_graphs(false);
  }
  const Timing extract = median_timing(o.warmup, o.repeats, [&] {
    ae.forward(o.batch, x.data(), false, 0, latent_end);
    be->sync();
  });
  const double t_train = train.wall, t_extract = extract.wall;
  // Texture features (--features stats): 8 views of each cell through encoder stages 1-2 and the
  // channel statistics, timed as the pipeline runs them (four batches per call, so the call's own
  // allocations are spread over as many cells as a batch's worth of work).
  constexpr int kTextureBatches = 4;
  std::vector<float> cells = random_images(size_t(kTextureBatches) * host.size(), 6);
  DeviceImages cell_data =
      upload_images(*be, {kTextureBatches * o.batch, 1, o.size, o.size}, cells,
                    std::vector<int32_t>(size_t(kTextureBatches) * o.batch, 0));
  const Timing texture = median_timing(o.warmup, o.repeats, [&] {
    extract_texture_features(ae, encoder_stage_end(cfg, 2), cell_data, o.batch);
  });
  const double t_texture = texture.wall / kTextureBatches;  // per batch

  MlpConfig mc;
  mc.inputs = int(cfg.feature_size());
  mc.classes = 6;
  Trainer mlp(*be, build_mlp(mc), o.batch, OptimizerConfig{});
  mlp.init(InitScheme::Torch, 3);
  std::vector<float> fh = random_images(size_t(o.batch) * mc.inputs, 4);
  std::vector<int32_t> lh(o.batch);
  for (int i = 0; i < o.batch; ++i) lh[i] = i % mc.classes;
  Buffer<float> fx(*be, fh.size());
  Buffer<int32_t> fl(*be, lh.size());
  be->upload(fx.data(), fh.data(), fh.size() * sizeof(float));
  be->upload(fl.data(), lh.data(), lh.size() * sizeof(int32_t));
  const Timing mlp_step = median_timing(o.warmup, o.repeats, [&] {
    mlp.clf_step(o.batch, fx.data(), fl.data(), 5);
    be->sync();
  });
  const double t_mlp = mlp_step.wall;

  // A training step does the forward pass, the backward-data pass (all but the first layer) and
  // the backward-filter pass: three times the forward work, less the first layer's data gradient.
  Network& net = ae.net();
  double fwd = net.forward_flops(o.batch);
  double first = net.layer(0).forward_flops(net.input_shape(o.batch));
  double train_flops = 3 * fwd - first;

  nlohmann::json j;
  j["device"] = be->name();
  j["threads"] = be->is_gpu() ? 0 : (o.threads ? o.threads : omp_get_max_threads());
  j["batch"] = o.batch;
  j["size"] = o.size;
  j["decoder"] = o.decoder;
  j["repeats"] = o.repeats;
  j["train"] = {{"step_ms", 1e3 * t_train}, {"images_per_s", o.batch / t_train},
                {"gflop_per_step", train_flops * 1e-9}, {"gflops", train_flops / t_train * 1e-9},
                {"cpu_ms", 1e3 * train.cpu}};
  if (graphs)
    j["train_graph"] = {{"step_ms", 1e3 * graph.wall}, {"images_per_s", o.batch / graph.wall},
                        {"cpu_ms", 1e3 * graph.cpu}, {"speedup_vs_eager", t_train / graph.wall}};
  else
    j["train_graph"] = nullptr;  // the backend cannot capture (CPU)
  j["extract"] = {{"batch_ms", 1e3 * t_extract}, {"images_per_s", o.batch / t_extract},
                  {"cpu_ms", 1e3 * extract.cpu}};
  double enc_flops = 0;
  for (size_t i = 0; i < latent_end; ++i) {
    Shape4 in = i ? net.output_shape(i - 1, o.batch) : net.input_shape(o.batch);
    enc_flops += net.layer(i).forward_flops(in);
  }
  j["extract"]["gflops"] = enc_flops / t_extract * 1e-9;
  j["texture_extract"] = {{"batch_ms", 1e3 * t_texture}, {"images_per_s", o.batch / t_texture},
                          {"cpu_ms", 1e3 * texture.cpu / kTextureBatches}};
  j["mlp"] = {{"step_ms", 1e3 * t_mlp}, {"cpu_ms", 1e3 * mlp_step.cpu}};
  j["memory_bytes"] = {{"dcae", ae.device_bytes()}, {"mlp", mlp.device_bytes()},
                       {"peak", be->peak_bytes()}};

  std::printf("hep2 bench on %s, batch %d, %dx%d, decoder %s (median of %d after %d warm-up)\n",
              be->name().c_str(), o.batch, o.size, o.size, o.decoder.c_str(), o.repeats, o.warmup);
  std::printf("  DCAE training     %8.2f ms/step  %8.1f images/s  %6.1f GFLOP/s  (cpu %.1f ms)\n",
              1e3 * t_train, o.batch / t_train, train_flops / t_train * 1e-9, 1e3 * train.cpu);
  if (graphs)
    std::printf("  DCAE train, graph %8.2f ms/step  %8.1f images/s  %.2fx the eager step  (cpu %.1f ms)\n",
                1e3 * graph.wall, o.batch / graph.wall, t_train / graph.wall, 1e3 * graph.cpu);
  else
    std::printf("  DCAE train, graph   (CUDA graphs need the CUDA backend: not measured on %s)\n",
                be->name().c_str());
  std::printf("  feature extraction%8.2f ms/batch %8.1f images/s  %6.1f GFLOP/s  (cpu %.1f ms)\n",
              1e3 * t_extract, o.batch / t_extract, enc_flops / t_extract * 1e-9,
              1e3 * extract.cpu);
  std::printf("  texture features  %8.2f ms/batch %8.1f images/s  (8 views, stages 1-2; cpu %.1f ms)\n",
              1e3 * t_texture, o.batch / t_texture, 1e3 * texture.cpu / kTextureBatches);
  std::printf("  MLP step          %8.2f ms  (cpu %.1f ms)\n", 1e3 * t_mlp, 1e3 * mlp_step.cpu);
  std::printf("  memory: DCAE %.1f MiB, MLP %.1f MiB (parameters, moments, activations); peak "
              "with workspaces %.1f MiB\n",
              ae.device_bytes() / 1048576.0, mlp.device_bytes() / 1048576.0,
              be->peak_bytes() / 1048576.0);

  if (o.layers) {
    LayerClock lc{be.get(), Clock::now(), {}};
    net.set_layer_hook(&LayerClock::hook, &lc);
    for (int r = 0; r < o.warmup + o.repeats; ++r) {
      if (r == o.warmup) lc.samples.clear();
      be->sync();
      lc.last = Clock::now();
      ae.ae_step(o.batch, x.data());
    }
    net.set_layer_hook(nullptr, nullptr);
    std::printf("  %-14s %-34s %10s %10s\n", "layer", "", "fwd ms", "bwd ms");
    nlohmann::json layers = nlohmann::json::array();
    for (size_t i = 0; i < net.layer_count(); ++i) {
      double f = median(lc.samples[{i, false}]) * 1e3, b = median(lc.samples[{i, true}]) * 1e3;
      std::printf("  %-14s %-34s %10.3f %10.3f\n", net.layer_name(i).c_str(),
                  net.layer(i).describe().c_str(), f, b);
      layers.push_back({{"name", net.layer_name(i)}, {"layer", net.layer(i).describe()},
                        {"forward_ms", f}, {"backward_ms", b}});
    }
    j["layers"] = layers;
  }
  if (!o.json.empty()) write_file_atomic(o.json, j.dump(2) + "\n");
}

void print_info(bool json) {
  nlohmann::json j;
  j["version"] = HEP2_VERSION;
  j["cuda_built"] = cuda_built();
  j["cuda_devices"] = cuda_device_count();
  j["openmp_threads"] = omp_get_max_threads();
  j["cuda_info"] = cuda_info();
  j["mpi_built"] = dist::mpi_built();
  j["mpi_version"] = dist::mpi_version();
  j["nccl_built"] = dist::nccl_built();
  j["nccl_version"] = dist::nccl_version();
  const dist::Communicator& job = dist::world();
  j["ranks"] = job.size();
  j["rank"] = job.rank();
  if (json) {
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf("hep2 %s\n", HEP2_VERSION);
  std::printf("CPU backend: OpenMP, %d threads\n", omp_get_max_threads());
  std::printf("CUDA backend: %s, %d device(s)\n", cuda_built() ? "built" : "not built",
              cuda_device_count());
  std::printf("%s", cuda_info().c_str());
  std::printf("MPI: %s\n", dist::mpi_built() ? ("built (" + dist::mpi_version() + ")").c_str()
                                              : "not built (HEP2_MPI=OFF or no MPI library at build time)");
  std::printf("NCCL: %s\n", dist::nccl_built() ? ("built (" + dist::nccl_version() + ")").c_str()
                                                : "not built (needs CUDA and MPI at build time)");
  std::printf("job: %s, this is rank %d\n", job.describe().c_str(), job.rank());
}

}  // namespace hep2::app
