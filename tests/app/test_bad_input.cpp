// The catalogue of unusual and bad input (docs/reliability.md has the table). Valid-but-unusual
// data must be read correctly; bad input must be refused with exactly one error line that names
// the file, says what is wrong and what to do, exit code 1, and no partial output: a run refused
// before training leaves no run folder, a step refused in an existing run folder changes nothing
// in it. The readers' own error tests (tests/pipeline, tests/core, test_resume.cpp) cover the
// library side; here each case goes through the `hep2` command line, except the training loop's
// own NaN guard and one checkpoint case found by fuzzing, which are checked on the library.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "support/run_hep2.h"
#include "hep2/backend/backend.h"
#include "hep2/io/npy.h"
#include "hep2/nn/models.h"
#include "hep2/nn/trainer.h"
#include "hep2/pipeline/checkpoint.h"
#include "hep2/pipeline/training.h"
#include "pipeline/data_fixtures.h"

namespace fs = std::filesystem;

namespace hep2 {
namespace {

using test::TempDir;

// ---- running the command -----------------------------------------------------------------------

using test::Result;
using test::run_hep2;

// The one "hep2: error: " line of a refused run (empty, and a test failure, when there is not
// exactly one).
std::string error_line(const Result& r) {
  std::istringstream in(r.output);
  std::string line, found;
  int count = 0;
  while (std::getline(in, line))
    if (line.rfind("hep2: error: ", 0) == 0) {
      found = line;
      ++count;
    }
  EXPECT_EQ(count, 1) << "expected exactly one error line in:\n" << r.output;
  return found;
}

// Exit code 1 (an Error, not a crash or an internal error) and one error line that contains every
// one of `parts` (the file, what is wrong, what to do).
void expect_refused(const Result& r, const std::vector<std::string>& parts) {
  EXPECT_EQ(r.code, 1) << r.output;
  const std::string line = error_line(r);
  for (const std::string& part : parts)
    EXPECT_NE(line.find(part), std::string::npos) << "'" << part << "' missing from: " << line;
}

// Every file under `dir` with its bytes: a refused step must leave this unchanged.
std::map<std::string, std::string> contents(const std::string& dir) {
  std::map<std::string, std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out[fs::relative(e.path(), dir).string()] = read_file(e.path().string());
  return out;
}

std::vector<std::string> temporaries_in(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp.") != std::string::npos) out.push_back(e.path().string());
  return out;
}

// The settings shared by the runs below: tiny and fast, on the CPU.
const std::string kTrain = "train-ae --device cpu --threads 1 --size 16 --epochs 1 --ae-min-steps 0 --batch 8 --no-augment ";
const std::string kRun = "run --device cpu --threads 1 --size 16 --epochs 1 --ae-min-steps 0 --batch 8 --no-augment "
                         "--clf-epochs 2 ";

// ---- fixture data ------------------------------------------------------------------------------

// A 16x16 8-bit cell whose pattern depends on `k` (cells must differ to be learnt from).
cv::Mat cell8(int k, int w = 16, int h = 16) {
  cv::Mat m(h, w, CV_8U);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) m.at<uint8_t>(y, x) = uint8_t((x * (3 + k) + y * (5 + 2 * k) + 17 * k) % 256);
  return m;
}

// `per_class` cells of each class as <dir>/<class>/<i>.png with full masks in
// <dir>/masks/<class>/<i>_mask.png, and <dir>/manifest.csv (path,label,mask) listing them.
std::string write_cells(const TempDir& dir, const std::vector<std::string>& classes, int per_class) {
  std::string csv = "path,label,mask\n";
  int k = 0;
  for (const std::string& c : classes)
    for (int i = 0; i < per_class; ++i, ++k) {
      const std::string image = c + "/" + std::to_string(i) + ".png";
      const std::string mask = "masks/" + c + "/" + std::to_string(i) + "_mask.png";
      test::write_image(dir.file(image), cell8(k));
      test::write_image(dir.file(mask), cv::Mat(16, 16, CV_8U, cv::Scalar(255)));
      csv += image + "," + c + "," + mask + "\n";
    }
  test::write_text(dir.file("manifest.csv"), csv);
  return dir.file("manifest.csv");
}

std::vector<int32_t> labels_of_run(const std::string& run) {
  return npy::load(run + "/labels.npy").to_i32();
}

void expect_finite_features(const std::string& run, size_t cells) {
  npy::Array f = npy::load(run + "/features.npy");
  ASSERT_EQ(f.shape.size(), 2u);
  EXPECT_EQ(f.shape[0], cells);
  for (float v : f.to_f32()) ASSERT_TRUE(std::isfinite(v)) << "a feature is " << v;
}

// Pillow's encoding (not OpenCV's) of a 6x5 palette PNG: 2-bit indices (x*y + x + y) % 4 into
// the palette (0,0,0) (40,200,60) (250,240,10) (90,30,220).
const unsigned char kPalettePng[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x05, 0x02, 0x03, 0x00, 0x00, 0x00, 0x1b, 0x36, 0x75,
    0x75, 0x00, 0x00, 0x00, 0x0c, 0x50, 0x4c, 0x54, 0x45, 0x00, 0x00, 0x00, 0x28, 0xc8, 0x3c, 0xfa,
    0xf0, 0x0a, 0x5a, 0x1e, 0xdc, 0x63, 0xcf, 0x04, 0x89, 0x00, 0x00, 0x00, 0x17, 0x49, 0x44, 0x41,
    0x54, 0x78, 0x9c, 0x63, 0x90, 0x16, 0x60, 0x28, 0x2f, 0x60, 0x98, 0x3c, 0x81, 0xe1, 0xff, 0x07,
    0x06, 0x69, 0x01, 0x00, 0x1d, 0x5f, 0x04, 0x50, 0x32, 0xb2, 0xbb, 0xc4, 0x00, 0x00, 0x00, 0x00,
    0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
};

// ---- valid but unusual -------------------------------------------------------------------------

// A spreadsheet export: UTF-8 BOM, CRLF line ends, ';' separators, quoted fields holding the
// separator, blanks around fields, a blank line. Every cell must arrive with its label.
TEST(ValidInput, ManifestDialectReadsEveryCellWithItsLabel) {
  TempDir dir;
  // Class names sort as "Homo;geneous" (0) < "Speckled" (1).
  std::string csv = "\xEF\xBB\xBF" "path ; label ; mask\r\n";
  std::vector<int32_t> expected;
  for (int i = 0; i < 10; ++i) {
    const bool homo = i % 2 == 0;
    const std::string image = "cell; " + std::to_string(i) + ".png";
    test::write_image(dir.file(image), cell8(i));
    test::write_image(dir.file("m" + std::to_string(i) + ".png"), cv::Mat(16, 16, CV_8U, cv::Scalar(1)));
    csv += "\"" + image + "\" ; " + (homo ? "\"Homo;geneous\"" : "Speckled") + " ; m" +
           std::to_string(i) + ".png\r\n";
    if (i == 4) csv += "\r\n";
    expected.push_back(homo ? 0 : 1);
  }
  test::write_text(dir.file("export.csv"), csv);
  const std::string run = dir.file("run");
  Result r = run_hep2(kRun + "--test-fraction 0.4 --data '" + dir.file("export.csv") + "' --out " + run);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(labels_of_run(run), expected);
  expect_finite_features(run, 10);
}

// Stored forms a cell comes in: 16-bit and float TIFF (with NaN and Inf pixels), RGBA and palette
// PNG, a 5x7 and a 600x500 cell, and a class with a single image. All load, train (the NaN pixels
// must not reach the loss) and get features.
TEST(ValidInput, UnusualImageFormsAndSizesAndASingleImageClass) {
  TempDir dir;
  std::string csv = "path,label\n";
  std::vector<std::pair<std::string, std::string>> cells;  // file, class
  auto add = [&](const std::string& file, const std::string& label) {
    csv += file + "," + label + "\n";
    cells.push_back({file, label});
  };
  for (int i = 0; i < 4; ++i) {
    test::write_image(dir.file("a" + std::to_string(i) + ".png"), cell8(i));
    add("a" + std::to_string(i) + ".png", "A");
    cv::Mat c16;
    cell8(10 + i).convertTo(c16, CV_16U, 257.0);
    test::write_image(dir.file("b" + std::to_string(i) + ".tif"), c16);
    add("b" + std::to_string(i) + ".tif", "B");
  }
  cv::Mat f32;
  cell8(20).convertTo(f32, CV_32F, 1.0 / 255);
  f32.at<float>(3, 4) = std::numeric_limits<float>::quiet_NaN();
  f32.at<float>(7, 1) = std::numeric_limits<float>::infinity();
  f32.at<float>(9, 9) = -std::numeric_limits<float>::infinity();
  test::write_image(dir.file("float.tif"), f32);
  add("float.tif", "B");
  cv::Mat rgba(16, 16, CV_8UC4);
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 16; ++x) rgba.at<cv::Vec4b>(y, x) = {uint8_t(4 * x), uint8_t(9 * y + x), uint8_t(x * y), 255};
  test::write_image(dir.file("rgba.png"), rgba);
  add("rgba.png", "C");
  test::write_text(dir.file("palette.png"),
                   std::string(reinterpret_cast<const char*>(kPalettePng), sizeof kPalettePng));
  add("palette.png", "C");
  test::write_image(dir.file("tiny.png"), cell8(30, 5, 7));
  add("tiny.png", "A");
  test::write_image(dir.file("large.png"), cell8(31, 600, 500));
  add("large.png", "C");
  test::write_image(dir.file("solo.png"), cell8(40));
  add("solo.png", "Solo");
  test::write_text(dir.file("cells.csv"), csv);

  const std::string run = dir.file("run");
  Result r = run_hep2(kRun + "--test-fraction 0.3 --data " + dir.file("cells.csv") + " --out " + run);
  ASSERT_EQ(r.code, 0) << r.output;
  const std::vector<std::string> classes = {"A", "B", "C", "Solo"};
  std::vector<int32_t> expected;
  for (const auto& [file, label] : cells)
    expected.push_back(int32_t(std::find(classes.begin(), classes.end(), label) - classes.begin()));
  EXPECT_EQ(labels_of_run(run), expected);
  expect_finite_features(run, cells.size());
  nlohmann::json metrics = nlohmann::json::parse(read_file(run + "/metrics.json"));
  EXPECT_TRUE(metrics.contains("accuracy")) << metrics.dump();
}

// ---- bad data ----------------------------------------------------------------------------------

// Image files that cannot be used: each refused naming the file, before any run folder exists.
TEST(BadInput, UnusableImageFilesAreRefusedNamingTheFile) {
  TempDir dir;
  const std::string manifest = write_cells(dir, {"A", "B"}, 4);
  const std::string victim = dir.file("B/2.png");
  const std::string good_png = read_file(victim);
  std::string random(300, '\0');
  for (size_t i = 0; i < random.size(); ++i) random[i] = char((i * 2654435761u) >> 13);
  const struct {
    const char* what;
    std::string bytes;
    std::vector<std::string> expect;
  } cases[] = {
      {"random bytes", random, {"cannot decode image", "corrupt or truncated", "re-export or remove it"}},
      {"truncated PNG", good_png.substr(0, good_png.size() / 2),
       {"cannot decode image", "truncated", "re-export or remove it"}},
      {"zero bytes", "", {"is empty (0 bytes)", "copy the file again"}},
      {"text named .png", "path,label\nnot,an image\n", {"cannot decode image", "not an image"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    test::write_text(victim, c.bytes);
    const std::string run = dir.file(std::string("run_") + c.what[0]);
    std::vector<std::string> expect = c.expect;
    expect.push_back(victim);
    expect_refused(run_hep2(kTrain + "--data " + manifest + " --out " + run), expect);
    EXPECT_FALSE(fs::exists(run)) << "a refused run left its folder";
  }
}

// A 58-byte BMP whose header claims 2^21 x 1 pixels: OpenCV throws its own exception for sizes over
// its limits (found by tests/fuzz/fuzz_image.cpp); it must become the usual refusal, not exit 2.
TEST(BadInput, ImageHeaderClaimingAHugeSizeIsRefusedNamingTheFile) {
  TempDir dir;
  const std::string manifest = write_cells(dir, {"A", "B"}, 3);
  std::string bmp = "BM";
  auto u32 = [&](uint32_t v) {
    for (int i = 0; i < 4; ++i) bmp += char((v >> (8 * i)) & 0xff);
  };
  auto u16 = [&](uint16_t v) {
    bmp += char(v & 0xff);
    bmp += char(v >> 8);
  };
  u32(58);          // file size
  u32(0);           // reserved
  u32(54);          // pixel data offset
  u32(40);          // BITMAPINFOHEADER size
  u32(1u << 21);    // width: over OpenCV's 2^20 limit
  u32(1);           // height
  u16(1);           // planes
  u16(24);          // bits per pixel
  for (int i = 0; i < 6; ++i) u32(0);  // no compression, sizes, resolution, palette
  bmp += std::string(4, '\x7f');
  const std::string victim = dir.file("B/1.png");
  test::write_text(victim, bmp);
  const std::string run = dir.file("run");
  expect_refused(run_hep2(kTrain + "--data " + manifest + " --out " + run),
                 {"cannot decode image", victim, "re-export or remove it"});
  EXPECT_FALSE(fs::exists(run));
}

TEST(BadInput, EmptyClassFolderIsRefusedNamingIt) {
  TempDir dir;
  write_cells(dir, {"A", "B"}, 3);
  fs::remove(dir.file("manifest.csv"));  // read as class folders
  fs::remove_all(dir.file("masks"));
  fs::create_directories(dir.file("Empty"));
  const std::string run = dir.file("run");
  expect_refused(run_hep2(kTrain + "--data " + dir.str() + " --out " + run),
                 {dir.file("Empty"), "holds no image", "add its cells or remove the folder"});
  EXPECT_FALSE(fs::exists(run));
}

TEST(BadInput, UnknownClassNameIsRefusedListingTheKnownOnes) {
  TempDir dir;
  const std::string manifest = write_cells(dir, {"A", "B"}, 3);
  const std::string run = dir.file("run");
  expect_refused(run_hep2(kTrain + "--data " + manifest + " --classes A,Nucleolar --out " + run),
                 {"class 'Nucleolar' is not in", manifest, "Known classes: A, B"});
  EXPECT_FALSE(fs::exists(run));
}

TEST(BadInput, ManifestWithoutAColumnOrWithoutRowsIsRefused) {
  TempDir dir;
  write_cells(dir, {"A", "B"}, 3);
  test::write_text(dir.file("nolabel.csv"), "path,klass\nA/0.png,A\n");
  test::write_text(dir.file("empty.csv"), "");
  test::write_text(dir.file("header.csv"), "path,label\n");
  const std::string run = dir.file("run");
  expect_refused(run_hep2(kTrain + "--data " + dir.file("nolabel.csv") + " --out " + run),
                 {dir.file("nolabel.csv"), "has no column 'label'", "'path', 'klass'", "add the column"});
  expect_refused(run_hep2(kTrain + "--data " + dir.file("empty.csv") + " --out " + run),
                 {dir.file("empty.csv"), "is empty", "header row"});
  expect_refused(run_hep2(kTrain + "--data " + dir.file("header.csv") + " --out " + run),
                 {dir.file("header.csv"), "lists no cells"});
  EXPECT_FALSE(fs::exists(run));
}

TEST(BadInput, PathsThatDoNotExistAreRefused) {
  TempDir dir;
  const std::string manifest = write_cells(dir, {"A", "B"}, 3);
  const std::string run = dir.file("run");
  const std::string nowhere = dir.file("no/such/cells.csv");
  expect_refused(run_hep2(kTrain + "--data " + nowhere + " --out " + run),
                 {nowhere, "does not exist", "check the --data path"});
  fs::remove(dir.file("A/1.png"));
  expect_refused(run_hep2(kTrain + "--data " + manifest + " --out " + run),
                 {manifest, "line 3", "A/1.png", "does not exist", "relative to the manifest's folder"});
  EXPECT_FALSE(fs::exists(run));
}

TEST(BadInput, MissingOrMisSizedMasksAreRefusedNamingTheMask) {
  TempDir dir;
  const std::string manifest = write_cells(dir, {"A", "B"}, 3);
  const std::string run = dir.file("run");
  // Manifest: a mask named in the mask column is missing.
  fs::remove(dir.file("masks/B/0_mask.png"));
  expect_refused(run_hep2(kTrain + "--data " + manifest + " --out " + run),
                 {manifest, "line 5", "masks/B/0_mask.png", "does not exist", "leave the mask field empty"});
  // Class folders with a masks/ folder: a cell without its mask.
  fs::remove(manifest);
  expect_refused(run_hep2(kTrain + "--data " + dir.str() + " --out " + run),
                 {dir.file("B/0.png"), "has no mask", "Add the mask, or remove the folder"});
  // A mask of another size than its image.
  test::write_image(dir.file("masks/B/0_mask.png"), cv::Mat(5, 7, CV_8U, cv::Scalar(255)));
  expect_refused(run_hep2(kTrain + "--data " + dir.str() + " --out " + run),
                 {dir.file("masks/B/0_mask.png"), "is 7x5 pixels", "is 16x16", "regenerate the mask"});
  EXPECT_FALSE(fs::exists(run));
}

// ---- bad options and output folders -----------------------------------------------------------

TEST(BadInput, OptionsOutOfRangeAreRefusedBeforeAnythingIsWritten) {
  TempDir dir;
  const std::string manifest = write_cells(dir, {"A", "B"}, 3);
  const std::string run = dir.file("run");
  const std::string base = "train-ae --device cpu --threads 1 --data " + manifest + " --out " + run + " ";
  const struct {
    std::string args;
    std::vector<std::string> expect;
  } cases[] = {
      {"--batch 0", {"option --batch", "must be in 1..65536"}},
      {"--epochs -1", {"option --epochs", "must be in 0..100000"}},
      {"--lr nan", {"option --lr", "must be a number in (0, 1)"}},
      {"--lr 0", {"option --lr", "must be a number in (0, 1)"}},
      {"--lr-warmup -1", {"option --lr-warmup", "must be a number of epochs in [0, --epochs]"}},
      {"--epochs 2 --lr-warmup 3", {"option --lr-warmup", "[0, --epochs]"}},
      {"--ae-loss l1", {"option --ae-loss", "must be mse or bce"}},
      {"--dcae-ensemble 0", {"option --dcae-ensemble", "must be in 1..20"}},
      {"--dcae-ensemble 21", {"option --dcae-ensemble", "must be in 1..20"}},
      {"--size 4", {"option --size", "must be in 8..1024"}},
      {"--test-fraction 1", {"option --test-fraction", "must be in (0, 1)"}},
      // Model settings that cannot be built are refused before the run folder is made.
      {"--size 12", {"input size 12x12 must be a multiple of 8", "try --size 8"}},
      {"--size 16 --channels 8,0", {"channel count 0 must be positive"}},
      {"--size 16 --decoder upsampled", {"option --decoder", "must be deconv or upsample (not 'upsampled')"}},
      // CUDA graphs on the CPU backend: refused, not silently ignored.
      {"--cuda-graph", {"option --cuda-graph", "need the CUDA backend", "uses cpu", "--device cuda"}},
#ifdef HEP2_HAVE_MPI
      // The gradient sum between data-parallel ranks is not captured into a graph. (A build
      // without MPI refuses --data-parallel first, for want of MPI.)
      {"--cuda-graph --data-parallel", {"option --cuda-graph", "does not combine with --data-parallel"}},
#endif
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.args);
    expect_refused(run_hep2(base + c.args), c.expect);
    EXPECT_FALSE(fs::exists(run)) << "a refused run left its folder";
  }
}

// A run folder that cannot be created: under a regular file (root ignores permissions, not that).
TEST(BadInput, UnwritableOutputFolderIsRefusedNamingIt) {
  TempDir dir;
  const std::string manifest = write_cells(dir, {"A", "B"}, 3);
  test::write_text(dir.file("plain_file"), "x");
  for (const std::string& out : {dir.file("plain_file") + "/run", std::string("/proc/hep2_no_such_run")}) {
    SCOPED_TRACE(out);
    expect_refused(run_hep2(kTrain + "--data " + manifest + " --out " + out),
                   {"cannot create the run folder", out, "writable --out folder"});
    EXPECT_FALSE(fs::exists(out));
  }
  EXPECT_EQ(read_file(dir.file("plain_file")), "x");
}

// A full disk, simulated by a file-size limit (writes fail with EFBIG; SIGXFSZ must not kill the
// process first): one clear error, and no half-written file or leftover temporary.
TEST(BadInput, DiskFullDuringACheckpointIsAClearErrorWithNoPartialFile) {
  TempDir dir;
  const std::string manifest = write_cells(dir, {"A", "B"}, 4);
  const std::string run = dir.file("run");
  // /bin/sh counts ulimit -f in 512-byte blocks: 32 KiB holds config.json, not the 2.4 MB dcae.ckpt.
  Result r = run_hep2(kTrain + "--data " + manifest + " --out " + run, "ulimit -f 64;");
  expect_refused(r, {"cannot write " + run + "/dcae.ckpt", "File too large", "disk is not full"});
  ASSERT_TRUE(fs::exists(run));
  EXPECT_TRUE(temporaries_in(run).empty()) << temporaries_in(run).front();
  EXPECT_FALSE(fs::exists(run + "/dcae.ckpt"));
  // What was written is whole: config.json parses.
  EXPECT_NO_THROW(nlohmann::json::parse(read_file(run + "/config.json")));
}

// ---- bad files in an existing run folder ---------------------------------------------------------

// One small finished run, shared: each test copies it and damages its copy.
class RunFolder : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    const std::string manifest = write_cells(*dir_, {"A", "B", "C"}, 5);
    run_ = dir_->file("run");
    const Result r = run_hep2(kRun + "--data " + manifest + " --out " + run_);
    ASSERT_EQ(r.code, 0) << r.output;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  // A copy of the finished run folder, owned by this test.
  std::string copy_of_run() {
    const std::string copy = own_.file("run");
    fs::copy(run_, copy, fs::copy_options::recursive);
    return copy;
  }
  static TempDir* dir_;
  static std::string run_;
  TempDir own_;
};
TempDir* RunFolder::dir_ = nullptr;
std::string RunFolder::run_;

// `hep2 classify` on a folder of cells in unusual forms: every image gets a prediction.
TEST_F(RunFolder, ClassifyReadsAFolderOfUnusualImages) {
  const std::string run = copy_of_run();
  TempDir cells;
  cv::Mat c16;
  cell8(50).convertTo(c16, CV_16U, 257.0);
  test::write_image(cells.file("a16.tif"), c16);
  cv::Mat f32;
  cell8(51).convertTo(f32, CV_32F, 1.0 / 255);
  f32.at<float>(2, 2) = std::numeric_limits<float>::quiet_NaN();
  test::write_image(cells.file("b_float.tif"), f32);
  test::write_text(cells.file("c_palette.png"),
                   std::string(reinterpret_cast<const char*>(kPalettePng), sizeof kPalettePng));
  cv::Mat rgba(9, 11, CV_8UC4, cv::Scalar(30, 180, 90, 128));
  rgba(cv::Rect(2, 2, 5, 4)).setTo(cv::Scalar(200, 20, 60, 255));
  test::write_image(cells.file("d_rgba.png"), rgba);
  test::write_image(cells.file("e_tiny.png"), cell8(52, 5, 7));
  test::write_image(cells.file("e_tiny_mask.png"), cv::Mat(7, 5, CV_8U, cv::Scalar(255)));  // not a cell

  const std::string out = cells.file("predictions.json");
  Result r = run_hep2("classify --device cpu --threads 1 --out " + run + " --images " + cells.str() +
                      " --predictions " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  const nlohmann::json j = nlohmann::json::parse(read_file(out));
  EXPECT_EQ(j.at("classes"), nlohmann::json({"A", "B", "C"}));
  std::vector<std::string> names;
  for (const auto& p : j.at("predictions")) {
    names.push_back(fs::path(p.at("path").get<std::string>()).filename().string());
    double sum = 0;
    for (const auto& [name, prob] : p.at("probabilities").items()) {
      ASSERT_TRUE(std::isfinite(prob.get<double>())) << p.dump();
      sum += prob.get<double>();
    }
    EXPECT_NEAR(sum, 1.0, 1e-5) << p.dump();
  }
  EXPECT_EQ(names, (std::vector<std::string>{"a16.tif", "b_float.tif", "c_palette.png", "d_rgba.png",
                                              "e_tiny.png"}));
}

TEST_F(RunFolder, ClassifyOfAPathThatDoesNotExistIsRefused) {
  const std::string run = copy_of_run();
  const auto before = contents(run);
  const std::string nowhere = own_.file("no_such_cells");
  expect_refused(run_hep2("classify --device cpu --threads 1 --out " + run + " --images " + nowhere),
                 {nowhere, "no such file or folder", "give an image, a folder of images or a manifest CSV"});
  EXPECT_TRUE(contents(run) == before);
}

TEST_F(RunFolder, DamagedOrForeignCheckpointsAreRefusedAndNothingIsWritten) {
  ASSERT_TRUE(fs::exists(run_ + "/dcae.ckpt"));
  const std::string dcae = read_file(run_ + "/dcae.ckpt");
  const std::string mlp = read_file(run_ + "/mlp.ckpt");
  std::string newer = mlp;
  newer[8] = 2;  // the format version field follows the 8-byte magic
  const struct {
    const char* what;
    const char* command;
    const char* file;
    std::string bytes;
    std::vector<std::string> expect;
  } cases[] = {
      {"truncated dcae.ckpt", "extract", "dcae.ckpt", dcae.substr(0, dcae.size() / 3),
       {"not a usable hep2 checkpoint", "truncated", "retrain"}},
      {"a PNG as dcae.ckpt", "extract", "dcae.ckpt", read_file(run_ + "/confusion.png"),
       {"not a usable hep2 checkpoint", "wrong magic number"}},
      {"the classifier as dcae.ckpt", "extract", "dcae.ckpt", mlp,
       {"not a DCAE checkpoint", "retrain"}},
      {"a newer format version", "eval", "mlp.ckpt", newer,
       {"checkpoint format version 2", "reads version 1", "retrain"}},
      {"the DCAE as mlp.ckpt", "eval", "mlp.ckpt", dcae, {"not a classifier checkpoint", "retrain"}},
      {"empty mlp.ckpt", "eval", "mlp.ckpt", "", {"not a usable hep2 checkpoint"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string run = copy_of_run();
    test::write_text(run + "/" + c.file, c.bytes);
    const auto before = contents(run);
    std::vector<std::string> expect = c.expect;
    expect.push_back(run + "/" + c.file);
    expect_refused(run_hep2(std::string(c.command) + " --device cpu --threads 1 --out " + run), expect);
    EXPECT_TRUE(contents(run) == before) << "a refused step changed the run folder";
    fs::remove_all(run);
  }
}

TEST_F(RunFolder, FeaturesOfAnotherWidthAreRefusedByEval) {
  const std::string run = copy_of_run();
  const npy::Array f = npy::load(run + "/features.npy");
  ASSERT_EQ(f.shape.size(), 2u);
  const size_t wrong = f.shape[1] + 8;
  std::vector<float> values(f.shape[0] * wrong, 0.5f);
  npy::save(run + "/features.npy", values.data(), {f.shape[0], wrong});
  const auto before = contents(run);
  expect_refused(run_hep2("eval --device cpu --threads 1 --out " + run),
                 {run + "/mlp.ckpt", "takes " + std::to_string(f.shape[1]) + " features",
                  "have " + std::to_string(wrong), "extract them with the same DCAE"});
  EXPECT_TRUE(contents(run) == before);
}

// A loss that becomes NaN stops training with what to change, and writes no checkpoint of the
// diverged state: here the resumed parameters are made NaN (a valid checkpoint file otherwise).
TEST(BadInput, NonFiniteLossStopsTrainingWithoutSavingIt) {
  TempDir dir;
  const std::string manifest = write_cells(dir, {"A", "B"}, 8);
  const std::string run = dir.file("run");
  // 12 training cells at batch 8: 2 steps per epoch; stop at the end of epoch 1 of 2.
  Result first = run_hep2("train-ae --device cpu --threads 1 --size 16 --epochs 2 --ae-min-steps 0 --batch 8 "
                          "--no-augment --stop-after-steps 2 --data " + manifest + " --out " + run);
  ASSERT_EQ(first.code, 0) << first.output;
  Checkpoint c = load_checkpoint(run + "/dcae.ckpt");
  ASSERT_EQ(c.header.at("train_state").at("epoch"), 2) << c.header.dump();
  ASSERT_EQ(c.header.at("train_state").at("step"), 0) << c.header.dump();
  std::fill(c.values.begin(), c.values.end(), std::numeric_limits<float>::quiet_NaN());
  save_checkpoint(run + "/dcae.ckpt", c);
  const auto before = contents(run);
  expect_refused(run_hep2("train-ae --device cpu --threads 1 --resume --out " + run),
                 {"loss became NaN in epoch 2", "without saving", "--lr"});
  EXPECT_TRUE(contents(run) == before) << "a checkpoint of the diverged state was written";
}

// ---- the training loop's own guard ---------------------------------------------------------------

// The same guard without the command line: an epoch whose loss is not finite throws before its
// checkpoint, so the last checkpoint written is the last finite one; a stop requested in the
// middle of a diverged epoch does not save it either.
TEST(TrainingLoop, NonFiniteLossThrowsAndKeepsTheLastGoodCheckpoint) {
  auto be = make_cpu_backend(1);
  DcaeConfig cfg;
  cfg.height = cfg.width = 8;
  cfg.channels = {4};
  Dcae m = build_dcae(cfg);
  Trainer ae(*be, std::move(m.net), 4, OptimizerConfig{});
  ae.init(InitScheme::Torch, 3);
  const int n = 8;
  Shape4 shape{n, 1, 8, 8};
  std::vector<float> images(shape.count());
  for (size_t i = 0; i < images.size(); ++i) images[i] = float((i * 37) % 101) / 100.f;
  DeviceImages data = upload_images(*be, shape, images, std::vector<int32_t>(n, 0));
  std::vector<int> train = {0, 1, 2, 3, 4, 5, 6, 7};

  std::vector<std::vector<float>> saved;  // the parameter blocks checkpointed, in order
  TrainControl control;
  control.checkpoint = [&](const AeTrainState&) { saved.push_back(ae.block().get_all(*be)); };
  AeTrainOptions opt;
  opt.epochs = 1;
  opt.batch = 4;
  opt.augment = false;
  AeTrainState state;
  train_autoencoder(ae, data, train, opt, state, control);
  ASSERT_EQ(saved.size(), 1u);
  for (float v : saved[0]) ASSERT_TRUE(std::isfinite(v));

  // Now the data holds a NaN: epoch 2 diverges.
  images[5] = std::numeric_limits<float>::quiet_NaN();
  be->upload(data.images.data(), images.data(), images.size() * sizeof(float));
  opt.epochs = 2;
  const std::string message = test::error_of([&] { train_autoencoder(ae, data, train, opt, state, control); });
  EXPECT_NE(message.find("loss became NaN in epoch 2"), std::string::npos) << message;
  EXPECT_NE(message.find("({lr})"), std::string::npos) << message;
  EXPECT_EQ(saved.size(), 1u) << "the diverged epoch was checkpointed";

  // A stop requested after the first (diverged) step of an epoch: refused, not saved.
  AeTrainState fresh;
  TrainControl stop_early = control;
  stop_early.stop_after_steps = 1;
  const std::string stopped = test::error_of([&] { train_autoencoder(ae, data, train, opt, fresh, stop_early); });
  EXPECT_NE(stopped.find("loss became NaN"), std::string::npos) << stopped;
  EXPECT_EQ(saved.size(), 1u) << "a diverged partial epoch was checkpointed";
}

// A checkpoint with an empty parameter list is valid. Reading it once passed a null pointer to
// memcpy (undefined even for 0 bytes): the sanitizer build (tools/ci_sanitize.sh) aborts here if
// that comes back. Found by tests/fuzz/fuzz_checkpoint.cpp.
TEST(CheckpointFile, EmptyParameterListRoundTrips) {
  TempDir dir;
  Checkpoint c;
  c.header = {{"kind", "empty"}};
  save_checkpoint(dir.file("e.ckpt"), c);
  const Checkpoint back = load_checkpoint(dir.file("e.ckpt"));
  EXPECT_TRUE(back.values.empty());
  EXPECT_EQ(back.header, c.header);
}

}  // namespace
}  // namespace hep2
