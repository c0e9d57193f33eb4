// --data-parallel: the pieces (parts of a batch with the whole batch's augmentation, dropout
// masks and denoising noise, the weighted sum in rank order, the trainer's hook over the whole
// padded gradient section) and the whole (2 and 3 ranks against one process: the DCAE's and the
// MLP's loss curves to 1e-4 relative, the accuracy to half a point, bit-for-bit repeats, a resume
// on another rank count, refusals before any work). The mpirun tests skip in a build without
// MPI; the NCCL test skips without NCCL or a GPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hep2/backend/backend.h"
#include "hep2/core/rng.h"
#include "hep2/dist/communicator.h"
#include "hep2/dist/gradient_sum.h"
#include "hep2/nn/models.h"
#include "hep2/nn/trainer.h"
#include "hep2/pipeline/checkpoint.h"
#include "hep2/pipeline/training.h"
#include "support/random.h"
#include "support/run_folder.h"
#include "support/run_hep2.h"
#include "support/run_mpi.h"

namespace fs = std::filesystem;

namespace {

using hep2::test::Result;
using hep2::test::run_hep2;

std::vector<float> bits_of(hep2::Backend& be, const float* p, size_t n) {
  std::vector<float> v(n);
  be.download(v.data(), p, n * sizeof(float));
  return v;
}

// ---- the pieces ---------------------------------------------------------------------------------

TEST(BatchParts, AreContiguousNearEqualAndCoverTheBatch) {
  for (int batch : {1, 2, 5, 11, 16, 64})
    for (int parts : {1, 2, 3, 4, 7}) {
      int next = 0;
      for (int p = 0; p < parts; ++p) {
        const hep2::BatchPart part = hep2::batch_part(batch, p, parts);
        EXPECT_EQ(part.begin, next) << batch << "/" << parts;
        EXPECT_TRUE(part.count == batch / parts || part.count == batch / parts + 1);
        next += part.count;
      }
      EXPECT_EQ(next, batch) << batch << "/" << parts;
    }
}

// The parts of a batch, gathered apart, are the whole batch's cells with the whole batch's
// rotations/flips (which gather_batch numbers within what it gathers), for equal and unequal
// parts.
TEST(BatchParts, GatheredApartAreTheWholeAugmentedBatch) {
  auto be = hep2::make_cpu_backend(1);
  const hep2::Shape4 sample{1, 1, 8, 8};
  const int cells = 40;
  const std::vector<float> data = hep2::test::random_floats(7, size_t(cells) * 64);
  hep2::Buffer<float> d(*be, data.size());
  be->upload(d.data(), data.data(), d.bytes());
  std::vector<int32_t> order;
  for (int i = 0; i < cells; ++i) order.push_back((i * 17) % cells);
  hep2::Buffer<int32_t> idx(*be, order.size());
  be->upload(idx.data(), order.data(), idx.bytes());
  for (int batch : {12, 11, 5})
    for (int parts : {2, 3, 4}) {
      const hep2::AugmentSpec aug{true, 99, (uint64_t(3) << 32) + 5};
      hep2::Buffer<float> whole(*be, size_t(batch) * 64), apart(*be, size_t(batch) * 64);
      be->gather_batch(sample, d.data(), idx.data() + 3, batch, aug, whole.data());
      for (int p = 0; p < parts; ++p) {
        const hep2::BatchPart part = hep2::batch_part(batch, p, parts);
        if (part.count == 0) continue;
        hep2::gather_part(*be, sample, d.data(), idx.data() + 3, batch, part, aug,
                          apart.data() + size_t(part.begin) * 64);
      }
      EXPECT_EQ(bits_of(*be, whole.data(), whole.size()), bits_of(*be, apart.data(), apart.size()))
          << "batch " << batch << " in " << parts << " parts";
    }
}

// A part of a batch that starts at element `offset` of the whole batch draws, with
// seed_at(seed, offset), what the whole batch draws there: the denoising noise and the dropout
// masks of a cell do not depend on how the batch was cut.
TEST(BatchParts, DrawTheWholeBatchsNoiseAtTheirPlace) {
  for (uint64_t seed : {0ull, 1ull, 0xd15eull, 0xffffffffffffffffull})
    for (uint64_t offset : {0ull, 1ull, 255ull, 6ull * 256, 1ull << 40})
      for (uint64_t i : {0ull, 1ull, 1000ull})
        EXPECT_EQ(hep2::hash_u32(hep2::seed_at(seed, offset), i), hep2::hash_u32(seed, offset + i))
            << seed << " " << offset << " " << i;
  EXPECT_EQ(hep2::seed_at(12345, 0), 12345u);
  auto be = hep2::make_cpu_backend(1);
  const size_t per = 64, batch = 11;
  const std::vector<float> x = hep2::test::random_floats(3, batch * per, 0.0, 1.0);
  hep2::Buffer<float> dx(*be, x.size()), mask(*be, x.size()), whole(*be, x.size()),
      apart(*be, x.size());
  be->upload(dx.data(), x.data(), dx.bytes());
  const uint64_t seed = hep2::hash_u32(77, 5);
  be->dropout_forward(batch * per, 0.3f, seed, dx.data(), mask.data(), whole.data());
  for (int parts : {2, 3}) {
    for (int p = 0; p < parts; ++p) {
      const hep2::BatchPart part = hep2::batch_part(int(batch), p, parts);
      const size_t at = size_t(part.begin) * per;
      be->dropout_forward(size_t(part.count) * per, 0.3f, hep2::seed_at(seed, at), dx.data() + at,
                          mask.data() + at, apart.data() + at);
    }
    EXPECT_EQ(bits_of(*be, whole.data(), whole.size()), bits_of(*be, apart.data(), apart.size()))
        << parts << " parts";
  }
}

TEST(RankSum, WeighsEachRankByItsShareOfTheBatchAndAddsInRankOrder) {
  // Three ranks of [two values, batch]: batches 5, 3 and 0 (an empty part).
  const std::vector<float> rows = {0.1f, -2.f, 5.f,  //
                                   0.7f, 4.f, 3.f,   //
                                   0.f, 0.f, 0.f};
  std::vector<float> out(2);
  hep2::dist::sum_in_rank_order(rows.data(), 3, 3, out.data());
  for (int j = 0; j < 2; ++j) {
    float want = (5.f / 8.f) * rows[size_t(j)];
    want = want + (3.f / 8.f) * rows[size_t(3 + j)];
    want = want + (0.f / 8.f) * rows[size_t(6 + j)];
    EXPECT_EQ(out[size_t(j)], want) << j;
  }
  EXPECT_FLOAT_EQ(out[0], (5 * 0.1f + 3 * 0.7f) / 8);
  // One rank alone keeps its values exactly (weight 1), signed zeros and all.
  const std::vector<float> alone = {1e-30f, -0.f, 3.25f, 7.f};
  std::vector<float> same(3);
  hep2::dist::sum_in_rank_order(alone.data(), 1, 4, same.data());
  EXPECT_EQ(std::memcmp(same.data(), alone.data(), 3 * sizeof(float)), 0);
}

// A trainer whose hook sums over one rank alone steps exactly as one without a hook.
TEST(GradientHook, OverOneRankAloneLeavesTrainingBitForBit) {
  auto be = hep2::make_cpu_backend(1);
  hep2::DcaeConfig cfg;
  cfg.height = cfg.width = 16;
  cfg.channels = {4, 8};
  auto trained = [&](bool hooked) {
    hep2::Trainer t(*be, hep2::build_dcae(cfg).net, 8, hep2::OptimizerConfig{});
    t.init(hep2::InitScheme::Torch, 3);
    std::unique_ptr<hep2::dist::GradientSum> sum;
    if (hooked) {
      sum = hep2::dist::make_host_gradient_sum(hep2::dist::alone(), *be, t.block().stride());
      t.set_gradient_hook(hep2::dist::gradient_hook(*sum));
    }
    const std::vector<float> x = hep2::test::random_floats(5, 8 * 256, 0.0, 1.0);
    hep2::Buffer<float> xb(*be, x.size());
    be->upload(xb.data(), x.data(), xb.bytes());
    std::vector<float> losses;
    for (int s = 0; s < 3; ++s) {
      t.ae_step(8, xb.data());
      losses.push_back(t.read_loss());
    }
    std::vector<float> p = t.block().get_params(*be);
    p.insert(p.end(), losses.begin(), losses.end());
    return p;
  };
  const std::vector<float> plain = trained(false), hooked = trained(true);
  ASSERT_EQ(plain.size(), hooked.size());
  EXPECT_EQ(std::memcmp(plain.data(), hooked.data(), plain.size() * sizeof(float)), 0);
}

// Rank 0 of two, played in one process: the other rank's row of floats is given; broadcasts
// leave rank 0's values as they are.
class RankZeroOfTwo final : public hep2::dist::Communicator {
 public:
  explicit RankZeroOfTwo(std::vector<float> other) : other_(std::move(other)) {}
  int rank() const override { return 0; }
  int size() const override { return 2; }
  int local_rank() const override { return 0; }
  int local_size() const override { return 2; }
  std::string describe() const override { return "rank 0 of 2, in one process"; }
  void barrier() override {}
  std::vector<std::string> gather(const std::string& mine) override { return {mine, ""}; }
  void gather_floats(const float* mine, size_t count, float* all) override {
    if (count != other_.size()) throw std::runtime_error("the other rank's row has another size");
    std::memcpy(all, mine, count * sizeof(float));
    std::memcpy(all + count, other_.data(), count * sizeof(float));
  }
  void broadcast(std::string&) override {}
  void broadcast(void*, size_t) override {}
  [[noreturn]] void abort(int) override { std::abort(); }

 private:
  std::vector<float> other_;
};

// The hook of rank 0 of two, given rank 1's gradients of its part, leaves the whole batch's
// gradients in every parameter. The MLP's parameter block is padded (each layer's slice starts
// on a 256-byte boundary), so its gradients spread over stride() > count() floats: a sum of the
// first count() floats left the last layer's gradients those of rank 0's part alone (the ranks'
// parameters then parted, and their loss curve drifted from one process's by 1.1e-4 relative in
// 45 steps). Dropout is on: rank 1's part, computed with first = its place in the batch, has the
// whole batch's masks.
TEST(GradientHook, TwoPartsSummedOverAPaddedBlockAreTheWholeBatch) {
  auto be = hep2::make_cpu_backend(1);
  hep2::MlpConfig cfg;
  cfg.inputs = 20;
  cfg.hidden = {30, 10};
  cfg.classes = 5;
  cfg.dropout = 0.3f;
  const int batch = 11;
  const hep2::BatchPart p0 = hep2::batch_part(batch, 0, 2), p1 = hep2::batch_part(batch, 1, 2);
  auto trainer = [&] {
    auto t = std::make_unique<hep2::Trainer>(*be, hep2::build_mlp(cfg), batch,
                                             hep2::OptimizerConfig{});
    t->init(hep2::InitScheme::Torch, 9);
    return t;
  };
  const std::vector<float> x = hep2::test::random_floats(4, size_t(batch) * 20);
  std::vector<int32_t> y;
  for (int i = 0; i < batch; ++i) y.push_back((i * 3) % 5);
  hep2::Buffer<float> xd(*be, x.size());
  hep2::Buffer<int32_t> yd(*be, y.size());
  be->upload(xd.data(), x.data(), xd.bytes());
  be->upload(yd.data(), y.data(), yd.bytes());
  const uint64_t seed = 42;

  auto whole = trainer();
  whole->clf_loss_and_grad(batch, xd.data(), yd.data(), seed);
  const std::vector<float> want = whole->block().get_grads(*be);
  const float want_loss = whole->read_loss();

  // Rank 1's row: its part's gradients over the whole padded section, its loss, its cells.
  auto rank1 = trainer();
  ASSERT_GT(rank1->block().stride(), rank1->block().count()) << "the case to test: a padded block";
  rank1->clf_loss_and_grad(p1.count, xd.data() + size_t(p1.begin) * 20, yd.data() + p1.begin, seed,
                           nullptr, p1.begin);
  std::vector<float> row = bits_of(*be, rank1->block().grads(), rank1->block().stride());
  row.push_back(rank1->read_loss());
  row.push_back(float(p1.count));

  auto rank0 = trainer();
  RankZeroOfTwo job(row);
  auto sum = hep2::dist::make_host_gradient_sum(job, *be, rank0->block().stride());
  rank0->set_gradient_hook(hep2::dist::gradient_hook(*sum));
  // The step's update leaves the gradients it applied in the block.
  rank0->clf_step(p0.count, xd.data(), yd.data(), seed, nullptr, p0.begin);
  const std::vector<float> got = rank0->block().get_grads(*be);
  ASSERT_EQ(got.size(), want.size());
  float largest = 0;
  for (float g : want) largest = std::max(largest, std::abs(g));
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(got[i], want[i], 1e-5f * largest) << "parameter " << i << " of " << want.size();
  EXPECT_NEAR(rank0->read_loss(), want_loss, 1e-6f * want_loss);
}

TEST(NcclGradientSum, MatchesTheSumOverMpiBitForBit) {
  if (!hep2::dist::nccl_built()) GTEST_SKIP() << "hep2 was built without NCCL";
  if (hep2::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device on this machine";
  auto gpu = hep2::make_cuda_backend(0, false);
  auto cpu = hep2::make_cpu_backend(1);
  const size_t n = 1000;
  const std::vector<float> g = hep2::test::random_floats(11, n);
  const float loss = 0.25f;
  auto summed = [&](hep2::Backend& be, bool nccl) {
    hep2::Buffer<float> grads(be, n), l(be, 1);
    be.upload(grads.data(), g.data(), grads.bytes());
    be.upload(l.data(), &loss, sizeof loss);
    auto sum = nccl ? hep2::dist::make_nccl_gradient_sum(hep2::dist::alone(), be, n)
                    : hep2::dist::make_host_gradient_sum(hep2::dist::alone(), be, n);
    sum->sum(grads.data(), l.data(), n, 7);
    std::vector<float> out = bits_of(be, grads.data(), n);
    out.push_back(bits_of(be, l.data(), 1)[0]);
    return out;
  };
  EXPECT_EQ(summed(*gpu, true), summed(*cpu, false));
}

// ---- the whole, over mpirun ------------------------------------------------------------------

using hep2::test::mpirun;
using hep2::test::run_shell;

// The loss column of ae_log.csv.
std::vector<double> losses_of(const std::string& dir) {
  std::ifstream f(dir + "/ae_log.csv");
  std::string line;
  std::getline(f, line);
  std::vector<double> v;
  while (std::getline(f, line)) {
    std::stringstream s(line);
    std::string epoch, loss;
    std::getline(s, epoch, ',');
    std::getline(s, loss, ',');
    v.push_back(std::stod(loss));
  }
  return v;
}

// The ranks' summed gradients round differently from one process's whole-batch gradient (the
// batch's sums are split at other places): 2 and 3 ranks stay within 5e-8 relative of one
// process over the 3 epochs (45 steps) of kTrain, measured 2026-12-07. The requirement is 1e-4.
// (A drift of 1.1e-4 by epoch 3 measured earlier was no rounding: the last layer's gradients were
// left out of the sum; GradientHook.TwoPartsSummedOverAPaddedBlockAreTheWholeBatch.)
void expect_close_curves(const std::vector<double>& a, const std::vector<double>& b,
                         double relative = 1e-4) {
  ASSERT_EQ(a.size(), b.size());
  ASSERT_FALSE(a.empty());
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_LE(std::abs(a[i] - b[i]), relative * std::abs(a[i])) << "epoch " << i + 1;
}

bool same_parameters(const std::string& a, const std::string& b) {
  return hep2::test::same_parameters(a, b);
}

// The training and validation losses of clf_log.csv, epoch by epoch (one classifier).
struct ClfCurves {
  std::vector<double> loss, val_loss;
};
ClfCurves clf_curves_of(const std::string& dir) {
  std::ifstream f(dir + "/clf_log.csv");
  std::string line;
  std::getline(f, line);  // member,epoch,loss,val_loss,val_accuracy,seconds
  ClfCurves c;
  while (std::getline(f, line)) {
    std::stringstream s(line);
    std::string member, epoch, loss, val_loss;
    std::getline(s, member, ',');
    std::getline(s, epoch, ',');
    std::getline(s, loss, ',');
    std::getline(s, val_loss, ',');
    c.loss.push_back(std::stod(loss));
    c.val_loss.push_back(std::stod(val_loss));
  }
  return c;
}

std::string bytes_of(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// 200 cells, 160 training: batch 11 cuts every batch into unequal parts (6 + 5) but the last
// (6 cells: 3 + 3); augmentation on.
const std::string kTrain =
    "--device cpu --threads 1 --synth-count 200 --size 16 --channels 4,8 --epochs 3 --ae-min-steps 0 --batch 11 "
    "--seed 2";

class DataParallel : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = hep2::test::fresh_temp_dir("hep2_dp_", "root");
    fs::create_directories(root_);
    single_ = root_ + "/single";
    Result r = run_hep2("train-ae " + kTrain + " --out " + single_);
    ASSERT_EQ(r.code, 0) << r.output;
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }
  static std::string root_, single_;
};
std::string DataParallel::root_, DataParallel::single_;

TEST_F(DataParallel, TwoRanksFollowOneProcessAndRepeatBitForBit) {
  NEED_MPI();
  const std::string a = root_ + "/dp_a", b = root_ + "/dp_b";
  Result ra = run_shell(mpirun(2) + " train-ae " + kTrain + " --data-parallel --out " + a);
  ASSERT_EQ(ra.code, 0) << ra.output;
  EXPECT_NE(ra.output.find("data parallel: 2 rank(s), gradients summed over MPI"),
            std::string::npos)
      << ra.output;
  expect_close_curves(losses_of(single_), losses_of(a));
  // Summed in a fixed order: the same rank count repeats bit for bit.
  Result rb = run_shell(mpirun(2) + " train-ae " + kTrain + " --data-parallel --out " + b);
  ASSERT_EQ(rb.code, 0) << rb.output;
  EXPECT_TRUE(same_parameters(a + "/dcae.ckpt", b + "/dcae.ckpt"));
  EXPECT_EQ(losses_of(a), losses_of(b));
  // Three ranks (parts of 4 + 4 + 3, and an empty part in no step) stay on the same curve.
  const std::string c = root_ + "/dp_c";
  Result rc = run_shell(mpirun(3) + " train-ae " + kTrain + " --data-parallel --out " + c);
  ASSERT_EQ(rc.code, 0) << rc.output;
  expect_close_curves(losses_of(single_), losses_of(c));
}

TEST_F(DataParallel, ResumesOnAnotherRankCount) {
  NEED_MPI();
  const std::string dir = root_ + "/dp_resume";
  // 15 steps on 2 ranks (inside epoch 2: 15 steps per epoch of 160 cells at batch 11), then the
  // rest on 1 rank, then on 3 ranks a finished run stays finished.
  Result s = run_shell(mpirun(2) + " train-ae " + kTrain + " --data-parallel --stop-after-steps 20 "
                       "--out " + dir);
  ASSERT_EQ(s.code, 0) << s.output;
  EXPECT_NE(s.output.find("stopped at epoch 2"), std::string::npos) << s.output;
  Result r = run_hep2("train-ae --device cpu --threads 1 --resume --out " + dir);
  ASSERT_EQ(r.code, 0) << r.output;
  expect_close_curves(losses_of(single_), losses_of(dir));
  Result again = run_shell(mpirun(3) + " train-ae --device cpu --threads 1 --resume --out " + dir);
  ASSERT_EQ(again.code, 0) << again.output;
  EXPECT_NE(again.output.find("trained (3 epochs)"), std::string::npos) << again.output;
}

TEST_F(DataParallel, RunOnTwoRanksClassifiesAsOneProcess) {
  NEED_MPI();
  // 1000 cells, 200 test cells: half a point is one cell.
  const std::string run =
      "run --device cpu --threads 1 --synth-count 1000 --size 16 --channels 4,8 --epochs 2 --ae-min-steps 0 "
      "--clf-epochs 10 --seed 3";
  const std::string one = root_ + "/run1", two = root_ + "/run2";
  Result a = run_hep2(run + " --out " + one);
  ASSERT_EQ(a.code, 0) << a.output;
  Result b = run_shell(mpirun(2) + " " + run + " --data-parallel --out " + two);
  ASSERT_EQ(b.code, 0) << b.output;
  expect_close_curves(losses_of(one), losses_of(two));
  const double acc1 = hep2::test::read_json(one + "/metrics.json").at("accuracy").get<double>();
  const double acc2 = hep2::test::read_json(two + "/metrics.json").at("accuracy").get<double>();
  EXPECT_LE(std::abs(acc1 - acc2), 0.005 + 1e-12) << acc1 << " vs " << acc2;
  EXPECT_EQ(hep2::test::read_json(two + "/config.json").at("data_parallel"), true);
}

// The MLP classifier trains on every rank: each on its part of every batch (25 cells: parts of
// 13 + 12, or 9 + 8 + 8), dropout on, early stopping decided on rank 0's validation figures. With
// no DCAE epochs every run reads the same features (the initial DCAE's), so the classifier alone
// is compared: its loss curves to 1e-4 relative, the epoch it stopped at, the accuracy to half a
// point, and a repeat on 2 ranks bit for bit.
TEST_F(DataParallel, MlpTrainsOnTwoRanksAsInOneProcess) {
  NEED_MPI();
  // Scaled per feature, this untrained latent keeps the MLP's rounding differences under 1e-4
  // for all 12 epochs. Pooled (the default for the latent) its few wide features make the
  // training amplify them: within 1e-4 for 6 epochs, then the curves part (5e-3 by epoch 11,
  // measured 2026-12-07), as two runs of any chaotic training do; the sum is what is tested.
  const std::string run =
      "run --device cpu --threads 1 --synth-count 1000 --size 16 --channels 4,8 --epochs 0 --ae-min-steps 0 "
      "--clf-epochs 12 --clf-batch 25 --patience 2 --dropout 0.2 --clf-scale feature --seed 3";
  const std::string one = root_ + "/mlp1", two = root_ + "/mlp2", again = root_ + "/mlp2b",
                    three = root_ + "/mlp3";
  Result a = run_hep2(run + " --out " + one);
  ASSERT_EQ(a.code, 0) << a.output;
  Result b = run_shell(mpirun(2) + " " + run + " --data-parallel --out " + two);
  ASSERT_EQ(b.code, 0) << b.output;
  EXPECT_NE(b.output.find("classifier data parallel: 2 rank(s), gradients summed over MPI"),
            std::string::npos)
      << b.output;
  ASSERT_EQ(bytes_of(one + "/features.npy"), bytes_of(two + "/features.npy"))
      << "the runs must give the classifier the same features";
  const ClfCurves c1 = clf_curves_of(one), c2 = clf_curves_of(two);
  ASSERT_LT(c1.loss.size(), 12u) << "the settings must stop early: the ranks must agree on when";
  EXPECT_EQ(c1.loss.size(), c2.loss.size()) << "stopped at another epoch";
  expect_close_curves(c1.loss, c2.loss);
  expect_close_curves(c1.val_loss, c2.val_loss);
  const nlohmann::json m1 = hep2::test::read_json(one + "/metrics.json"),
                       m2 = hep2::test::read_json(two + "/metrics.json");
  EXPECT_LE(std::abs(m1.at("accuracy").get<double>() - m2.at("accuracy").get<double>()),
            0.005 + 1e-12);
  // Summed in a fixed order: the same rank count repeats bit for bit.
  Result r = run_shell(mpirun(2) + " " + run + " --data-parallel --out " + again);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(same_parameters(two + "/mlp.ckpt", again + "/mlp.ckpt"));
  EXPECT_EQ(bytes_of(two + "/test_probabilities.npy"), bytes_of(again + "/test_probabilities.npy"));
  // Three ranks (unequal parts in every batch) stay on the same curves.
  Result t = run_shell(mpirun(3) + " " + run + " --data-parallel --out " + three);
  ASSERT_EQ(t.code, 0) << t.output;
  const ClfCurves c3 = clf_curves_of(three);
  EXPECT_EQ(c1.loss.size(), c3.loss.size()) << "stopped at another epoch";
  expect_close_curves(c1.loss, c3.loss);
  expect_close_curves(c1.val_loss, c3.val_loss);
}

// The denoising DCAE on 2 ranks: each cell's noise is drawn from (seed, epoch, step, its place
// in the global batch), so the ranks corrupt every cell as one process does. Other noise of the
// same strength moves this curve little: each part drawing its noise as if it were the whole
// batch gave 4.5e-5, 1.8e-5, 1.1e-4 relative at epochs 1-3 (2026-12-07), rounding alone ~5e-8;
// so the curve is held to 1e-6 here, where only the noise is in question.
TEST_F(DataParallel, DenoisingOnTwoRanksFollowsOneProcess) {
  NEED_MPI();
  const std::string one = root_ + "/noise1", two = root_ + "/noise2";
  Result a = run_hep2("train-ae " + kTrain + " --ae-noise 0.3 --out " + one);
  ASSERT_EQ(a.code, 0) << a.output;
  Result b = run_shell(mpirun(2) + " train-ae " + kTrain + " --ae-noise 0.3 --data-parallel --out " + two);
  ASSERT_EQ(b.code, 0) << b.output;
  expect_close_curves(losses_of(one), losses_of(two), 1e-6);
  // The noise changed the training (or the comparison would not test it).
  EXPECT_NE(losses_of(one), losses_of(single_));
}

TEST_F(DataParallel, IsRefusedBeforeAnyWorkWhereItCannotRun) {
#ifndef HEP2_MPIEXEC
  Result no_mpi = run_hep2("train-ae " + kTrain + " --data-parallel --out " + root_ + "/nompi");
  EXPECT_NE(no_mpi.code, 0);
  EXPECT_NE(no_mpi.output.find("built without MPI"), std::string::npos) << no_mpi.output;
  EXPECT_FALSE(fs::exists(root_ + "/nompi"));
  GTEST_SKIP() << "the GPU-count and cv refusals need MPI";
#else
  // Two ranks asking for GPUs where this node has none (or fewer than ranks).
  const std::string gpus = root_ + "/gpus";
  Result g = run_shell(mpirun(2) + " train-ae --device cuda --synth-count 100 --size 16 "
                       "--channels 4,8 --epochs 1 --ae-min-steps 0 --data-parallel --out " + gpus);
  EXPECT_NE(g.code, 0);
  EXPECT_NE(g.output.find("2 rank(s) on this node but " +
                          std::to_string(hep2::cuda_device_count()) + " GPU(s)"),
            std::string::npos)
      << g.output;
  EXPECT_FALSE(fs::exists(gpus)) << "refused before any work";
  Result cv = run_hep2("cv --device cpu --synth-count 100 --data-parallel --out " + root_ + "/cvdp");
  EXPECT_NE(cv.code, 0);
  EXPECT_NE(cv.output.find("cv already spreads its units"), std::string::npos) << cv.output;
#endif
}

}  // namespace
