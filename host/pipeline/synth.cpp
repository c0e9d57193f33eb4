// A generator of HEp-2-like fluorescence cell crops.
// Each crop is rendered in relative stain units: an elliptic nucleus whose texture is the
// pattern (smooth with a brighter rim, coarse or fine speckles sparing dark nucleoli, a few
// large nucleoli, or 40-60 centromere dots), sometimes a mitotic cell (a condensed chromosome
// band) instead, sometimes part of a touching neighbour at the edge. The stain is scaled by a
// specimen- and cell-level brightness (a ten-fold range, as between intermediate and positive
// sera), then imaged: background offset, optical blur, shot noise and read noise, 8-bit
// quantisation. Parameter ranges of neighbouring patterns touch, so that classes overlap a
// little. Lengths are given for a 64-pixel crop and scale with the crop size.
#include "hep2/pipeline/synth.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <system_error>

#include <opencv2/imgproc.hpp>

#include "hep2/core/error.h"
#include "hep2/core/rng.h"
#include "hep2/io/atomic_file.h"
#include "hep2/io/image_io.h"

namespace hep2 {

// Alphabetical, as every reader sorts class names: cells written by write_synth read back with
// the same label numbers as synthesize() gives them.
const std::vector<std::string> kSynthClasses = {"centromere", "coarse_speckled", "fine_speckled",
                                                "homogeneous", "nucleolar"};

namespace {

enum Pattern { kCentromere = 0, kCoarseSpeckled, kFineSpeckled, kHomogeneous, kNucleolar };
constexpr int kSpecimensPerClass = 8;
constexpr float kTwoPi = 6.2831853f;

// ---- random draws ---------------------------------------------------------------------------

float uni(Rng& rng, double lo, double hi) { return float(rng.uniform(lo, hi)); }
// An approximately normal draw (Irwin-Hall: the sum of four 16-bit uniforms, from two 32-bit
// draws): cheap, and plenty for texture and noise.
float gauss(Rng& rng) {
  const uint32_t a = rng.next_u32();
  const uint32_t b = rng.next_u32();
  const float sum = float((a & 0xFFFFu) + (a >> 16) + (b & 0xFFFFu) + (b >> 16));
  return (sum * (1.0f / 65536.0f) - 2.0f) * 1.7320508f;
}
uint64_t mix_seed(uint64_t seed, uint64_t stream, uint64_t index) {
  return (uint64_t(hash_u32(seed ^ stream, 2 * index)) << 32) | hash_u32(seed ^ stream, 2 * index + 1);
}

// ---- geometry -------------------------------------------------------------------------------

struct Ellipse {
  float cx = 0, cy = 0, a = 1, b = 1, cos_t = 1, sin_t = 0;
  Ellipse() = default;
  Ellipse(float x, float y, float semi_major, float semi_minor, float angle)
      : cx(x), cy(y), a(semi_major), b(semi_minor), cos_t(std::cos(angle)), sin_t(std::sin(angle)) {}
  // 1 on the outline, 0 at the centre.
  float radius(float x, float y) const {
    const float dx = x - cx, dy = y - cy;
    const float u = (dx * cos_t + dy * sin_t) * (1.0f / a), v = (dy * cos_t - dx * sin_t) * (1.0f / b);
    return std::sqrt(u * u + v * v);
  }
  // Distance from the centre to the tangent perpendicular to direction `phi`.
  float support(float phi) const {
    const float c = std::cos(phi) * cos_t + std::sin(phi) * sin_t;
    const float s = std::sin(phi) * cos_t - std::cos(phi) * sin_t;
    return std::sqrt(a * a * c * c + b * b * s * s);
  }
  // The point at fraction `rho` of the way to the outline, at parametric angle `t`.
  void point(float rho, float t, float& x, float& y) const {
    const float u = rho * a * std::cos(t), v = rho * b * std::sin(t);
    x = cx + u * cos_t - v * sin_t;
    y = cy + u * sin_t + v * cos_t;
  }
  // A uniformly distributed point inside fraction `rho_max` of the ellipse.
  void random_point(Rng& rng, float rho_max, float& x, float& y) const {
    const float rho = rho_max * std::sqrt(uni(rng, 0, 1));
    point(rho, uni(rng, 0, kTwoPi), x, y);
  }
};

// Pixel centres are at integer + 0.5.
template <class F>
void for_each_pixel(cv::Mat& plane, F&& f) {
  for (int y = 0; y < plane.rows; ++y) {
    float* row = plane.ptr<float>(y);
    for (int x = 0; x < plane.cols; ++x) row[x] = f(x + 0.5f, y + 0.5f, row[x]);
  }
}

// radius() at every pixel.
cv::Mat radius_map(const Ellipse& e, int size) {
  cv::Mat out(size, size, CV_32F);
  for_each_pixel(out, [&](float x, float y, float) { return e.radius(x, y); });
  return out;
}

// The cell's body from its radius map: 1 inside, 0 outside, a one-pixel soft edge (the outline
// is anti-aliased); `grow` > 1 gives the body of a larger concentric ellipse.
cv::Mat body(const Ellipse& e, const cv::Mat& radius, float grow = 1.0f) {
  cv::Mat out(radius.size(), CV_32F);
  const float scale = std::sqrt(e.a * e.b);
  const float* r = radius.ptr<float>();
  float* o = out.ptr<float>();
  const size_t n = radius.total();
  for (size_t i = 0; i < n; ++i) o[i] = std::clamp(0.5f + (grow - r[i]) * scale, 0.0f, 1.0f);
  return out;
}
cv::Mat body(const Ellipse& e, int size) { return body(e, radius_map(e, size)); }

// ---- texture building blocks --------------------------------------------------------------

// Gaussian-correlated noise with correlation length `sigma` pixels, zero mean, unit deviation.
cv::Mat noise_field(Rng& rng, int size, float sigma) {
  cv::Mat field(size, size, CV_32F);
  for_each_pixel(field, [&](float, float, float) { return gauss(rng); });
  cv::GaussianBlur(field, field, cv::Size(0, 0), sigma, sigma, cv::BORDER_REFLECT_101);
  cv::Scalar mean, dev;
  cv::meanStdDev(field, mean, dev);
  field = (field - mean[0]) / std::max(dev[0], 1e-6);
  return field;
}

// Adds an elongated Gaussian spot of peak `amp` (only where it matters: +-3.5 sigma).
void add_spot(cv::Mat& plane, float x0, float y0, float sigma_u, float sigma_v, float angle, float amp) {
  const float reach = 3.5f * std::max(sigma_u, sigma_v);
  const int x_lo = std::max(0, int(std::floor(x0 - reach)));
  const int x_hi = std::min(plane.cols - 1, int(std::ceil(x0 + reach)));
  const int y_lo = std::max(0, int(std::floor(y0 - reach)));
  const int y_hi = std::min(plane.rows - 1, int(std::ceil(y0 + reach)));
  const float c = std::cos(angle), s = std::sin(angle);
  const float iu = 0.5f / (sigma_u * sigma_u), iv = 0.5f / (sigma_v * sigma_v);
  for (int y = y_lo; y <= y_hi; ++y) {
    float* row = plane.ptr<float>(y);
    for (int x = x_lo; x <= x_hi; ++x) {
      const float dx = x + 0.5f - x0, dy = y + 0.5f - y0;
      const float u = dx * c + dy * s, v = -dx * s + dy * c;
      row[x] += amp * std::exp(-(u * u * iu + v * v * iv));
    }
  }
}

// Up to `count` positions inside fraction `rho_max` of `e`, at least `spacing` apart (the
// nucleus has room for fewer when it is small).
std::vector<cv::Point2f> spaced_points(Rng& rng, const Ellipse& e, int count, float rho_max, float spacing) {
  std::vector<cv::Point2f> points;
  for (int tries = 0; tries < count * 30 && int(points.size()) < count; ++tries) {
    cv::Point2f p;
    e.random_point(rng, rho_max, p.x, p.y);
    bool free = true;
    for (const auto& q : points) free = free && (p - q).dot(p - q) >= spacing * spacing;
    if (free) points.push_back(p);
  }
  return points;
}

// Speckles: the bright parts of correlated noise, saturating so that no speckle dominates.
cv::Mat speckles(Rng& rng, int size, float sigma, float threshold, float amp) {
  cv::Mat field = noise_field(rng, size, sigma);
  for_each_pixel(field, [&](float, float, float v) { return amp * std::tanh(1.2f * std::max(0.0f, v - threshold)); });
  return field;
}

// Nucleoli are spared by speckled patterns: dark holes of depth `depth`.
void carve_nucleoli(Rng& rng, cv::Mat& texture, const Ellipse& e, float s, int count, float depth) {
  cv::Mat holes = cv::Mat::zeros(texture.size(), CV_32F);
  for (const auto& p : spaced_points(rng, e, count, 0.5f, 6.0f * s)) {
    const float r = uni(rng, 1.8, 3.2) * s;
    const float stretch = uni(rng, 1.0, 1.4);
    const float angle = uni(rng, 0, kTwoPi);
    add_spot(holes, p.x, p.y, r * stretch, r, angle, 1.0f);
  }
  for_each_pixel(texture, [&](float x, float y, float v) {
    return v * (1.0f - depth * std::min(1.0f, holes.at<float>(int(y), int(x))));
  });
}

// ---- the five patterns ------------------------------------------------------------------------

// The stain of an interphase nucleus, in relative units (about 1 = a bright nucleus), over the
// whole crop; the caller multiplies by the body.
// Every random draw is its own statement: the order in which function arguments are evaluated
// is unspecified, and the pictures must not depend on the compiler.
cv::Mat interphase(Pattern pattern, const Ellipse& e, const cv::Mat& radius_of_e, Rng& rng, int size, float s) {
  cv::Mat t(size, size, CV_32F);
  switch (pattern) {
    case kHomogeneous: {
      // Smooth, slightly uneven fill; the nuclear rim a little brighter; faint grain.
      const float base = uni(rng, 0.8, 1.0);
      const float rim = uni(rng, 0.15, 0.45);
      const float rim_width = uni(rng, 1.5, 3.0) * s;
      const float grain = uni(rng, 0.02, 0.16);  // the grainiest overlap fine speckled
      const float unevenness = uni(rng, 0.04, 0.14);
      const cv::Mat slow = noise_field(rng, size, 6.0f * s);
      const cv::Mat fine = noise_field(rng, size, 0.8f * s);
      const float radius = std::sqrt(e.a * e.b);
      for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x) {
          const float edge = std::max(0.0f, 1.0f - radius_of_e.at<float>(y, x)) * radius / rim_width;
          t.at<float>(y, x) = base * (1.0f + unevenness * slow.at<float>(y, x)) + rim * std::exp(-edge * edge) +
                              grain * fine.at<float>(y, x);
        }
      if (rng.uniform() < 0.4) {
        const int count = 1 + int(rng.below(2));
        carve_nucleoli(rng, t, e, s, count, uni(rng, 0.08, 0.25));
      }
      break;
    }
    case kCoarseSpeckled: {
      // Large irregular speckles over a moderate nucleoplasm.
      const float base = uni(rng, 0.25, 0.45);
      const float sigma = uni(rng, 1.2, 1.8) * s;
      const float threshold = uni(rng, 0.5, 1.0);
      const float amp = uni(rng, 0.9, 1.3);
      t = base + speckles(rng, size, sigma, threshold, amp);
      const int holes = 1 + int(rng.below(3));
      carve_nucleoli(rng, t, e, s, holes, uni(rng, 0.5, 0.8));
      break;
    }
    case kFineSpeckled: {
      // Dense fine granules over a brighter nucleoplasm.
      const float base = uni(rng, 0.45, 0.65);
      const float sigma = uni(rng, 0.55, 1.0) * s;
      const float threshold = uni(rng, -0.2, 0.4);
      const float amp = uni(rng, 0.3, 0.8);  // the faintest overlap homogeneous
      t = base + speckles(rng, size, sigma, threshold, amp);
      const int holes = 1 + int(rng.below(3));
      carve_nucleoli(rng, t, e, s, holes, uni(rng, 0.4, 0.7));
      break;
    }
    case kNucleolar: {
      // 2-6 large bright clumpy nucleoli over a dim, faintly grainy nucleoplasm.
      const float base = uni(rng, 0.1, 0.25);
      t = base * (1.0f + 0.3f * noise_field(rng, size, 0.9f * s));
      const int count = 2 + int(rng.below(5));
      for (const auto& p : spaced_points(rng, e, count, 0.6f, 7.0f * s)) {
        const float amp = uni(rng, 1.0, 1.7);
        const float sigma = uni(rng, 1.3, 2.5) * s;
        const int lobes = 2 + int(rng.below(2));
        for (int l = 0; l < lobes; ++l) {
          const float dx = gauss(rng) * 0.8f * s;
          const float dy = gauss(rng) * 0.8f * s;
          const float su = sigma * uni(rng, 0.7, 1.1);
          const float sv = sigma * uni(rng, 0.6, 0.9);
          const float angle = uni(rng, 0, kTwoPi);
          add_spot(t, p.x + dx, p.y + dy, su, sv, angle, amp / float(lobes) * 1.4f);
        }
      }
      break;
    }
    case kCentromere: {
      // 40-60 small discrete dots over a dark nucleoplasm.
      t = uni(rng, 0.05, 0.15);
      const int count = 40 + int(rng.below(21));
      for (const auto& p : spaced_points(rng, e, count, 0.9f, 2.1f * s)) {
        const float sigma = uni(rng, 0.5, 0.8) * s;
        const float roundness = uni(rng, 0.8, 1.0);
        const float angle = uni(rng, 0, kTwoPi);
        add_spot(t, p.x, p.y, sigma, sigma * roundness, angle, uni(rng, 0.8, 1.6));
      }
      break;
    }
  }
  return t;
}

// A cell in metaphase: chromosomes condensed into a band across a rounded cell; how the band
// and the cytoplasm stain depends on the pattern.
cv::Mat mitotic(Pattern pattern, const Ellipse& e, Rng& rng, int size, float s) {
  const float dx = gauss(rng) * s;
  const float dy = gauss(rng) * s;
  const float half_length = e.a * uni(rng, 0.6, 0.8);
  const float half_width = e.a * uni(rng, 0.16, 0.26);
  const Ellipse band_shape(e.cx + dx, e.cy + dy, half_length, half_width, uni(rng, 0, kTwoPi));
  cv::Mat band = body(band_shape, size);
  // Chromosome arms make the plate's outline ragged.
  const cv::Mat ragged = noise_field(rng, size, 1.3f * s);
  for_each_pixel(band, [&](float x, float y, float v) {
    return std::clamp(v * (1.0f + 0.6f * ragged.at<float>(int(y), int(x))), 0.0f, 1.0f);
  });
  cv::Mat t(size, size, CV_32F);
  switch (pattern) {
    case kHomogeneous: {
      const float haze = uni(rng, 0.1, 0.2);
      t = haze + uni(rng, 1.1, 1.5) * band;
      break;
    }
    case kCoarseSpeckled:
    case kFineSpeckled: {
      // The chromatin is unstained; the speckled antigen fills the cytoplasm.
      const float base = uni(rng, 0.35, 0.55);
      const cv::Mat haze = base + speckles(rng, size, (pattern == kCoarseSpeckled ? 1.5f : 0.8f) * s, 0.3f, 0.6f);
      t = haze.mul(1.0f - 0.8f * band);
      break;
    }
    case kNucleolar: {
      t = uni(rng, 0.15, 0.3) + 0.1f * band;
      const int clumps = 3 + int(rng.below(4));
      for (const auto& p : spaced_points(rng, e, clumps, 0.8f, 5.0f * s)) {
        const float angle = uni(rng, 0, kTwoPi);
        add_spot(t, p.x, p.y, 1.2f * s, 1.0f * s, angle, uni(rng, 0.4, 0.8));
      }
      break;
    }
    case kCentromere: {
      // The dots line up on the metaphase plate.
      t = uni(rng, 0.05, 0.12);
      const Ellipse plate(band_shape.cx, band_shape.cy, band_shape.a, band_shape.b * 1.4f,
                          std::atan2(band_shape.sin_t, band_shape.cos_t));
      const int dots = 40 + int(rng.below(21));
      for (const auto& p : spaced_points(rng, plate, dots, 1.0f, 1.4f * s)) {
        const float sigma = uni(rng, 0.5, 0.8) * s;
        add_spot(t, p.x, p.y, sigma, sigma, 0.0f, uni(rng, 0.8, 1.5));
      }
      break;
    }
  }
  return t;
}

// ---- specimens and cells -------------------------------------------------------------------

// What one slide shares: serum titre (intermediate or positive), background, focus, exposure.
struct Specimen {
  float level, background, blur, gain, read_noise;
};

Specimen specimen(uint64_t seed, int id, float s) {
  Rng rng(mix_seed(seed, 0x5EC1AE4ull, uint64_t(id)));
  Specimen sp;
  sp.level = rng.uniform() < 0.6 ? uni(rng, 0.25, 0.55) : uni(rng, 0.08, 0.2);
  sp.background = uni(rng, 0.03, 0.08);
  sp.blur = uni(rng, 0.6, 1.0) * s;
  sp.gain = uni(rng, 600, 2500);          // photo-electrons per full-scale unit
  sp.read_noise = uni(rng, 0.002, 0.006);
  return sp;
}

Ellipse random_nucleus(Rng& rng, int size, float s, bool round) {
  const float a = size * uni(rng, 0.42, 0.49);
  const float b = a * (round ? uni(rng, 0.88, 0.98) : uni(rng, 0.75, 0.97));
  const float dx = gauss(rng) * 0.7f * s;
  const float dy = gauss(rng) * 0.7f * s;
  return Ellipse(size * 0.5f + dx, size * 0.5f + dy, a, b, uni(rng, 0, kTwoPi));
}

std::string cell_name(int index) {
  char name[32];
  std::snprintf(name, sizeof name, "%05d", index);
  return name;
}

}  // namespace

SynthCell synth_cell(uint64_t seed, int index, int size) {
  if (size < 16 || size > 1024) fail("synthetic cell size ", size, " is outside 16..1024");
  if (index < 0) fail("synthetic cell index ", index, " is negative");
  const Pattern pattern = Pattern(index % 5);
  const int specimen_id = pattern + 5 * ((index / 5) % kSpecimensPerClass);
  const float s = size / 64.0f;
  const Specimen sp = specimen(seed, specimen_id, s);
  Rng rng(mix_seed(seed, 0xCE11ull, uint64_t(index)));

  const bool is_mitotic = rng.uniform() < 0.05;
  const Ellipse cell = random_nucleus(rng, size, s, is_mitotic);
  const float level = sp.level * uni(rng, 0.75, 1.3);
  const cv::Mat radius = radius_map(cell, size);
  const cv::Mat main_body = body(cell, radius);
  cv::Mat stain = (is_mitotic ? mitotic(pattern, cell, rng, size, s) : interphase(pattern, cell, radius, rng, size, s))
                      .mul(main_body);

  // Faint cytoplasm around the nucleus.
  const float halo = uni(rng, 0.0, 0.08);
  stain += halo * (body(cell, radius, 1.3f) - main_body);

  // Part of a touching neighbour of the same specimen (so the same pattern) at the edge.
  if (rng.uniform() < 0.35) {
    const Ellipse shape = random_nucleus(rng, size, s, false);
    const float phi = uni(rng, 0, kTwoPi);
    const float distance = cell.support(phi) + shape.support(phi + kTwoPi / 2) + uni(rng, -1.0, 2.0) * s;
    const Ellipse neighbour(cell.cx + distance * std::cos(phi), cell.cy + distance * std::sin(phi), shape.a, shape.b,
                            std::atan2(shape.sin_t, shape.cos_t));
    const float brightness = uni(rng, 0.5, 1.3);
    const cv::Mat neighbour_radius = radius_map(neighbour, size);
    const cv::Mat texture = interphase(pattern, neighbour, neighbour_radius, rng, size, s) * brightness;
    stain += texture.mul(body(neighbour, neighbour_radius)).mul(1.0f - main_body);
  }

  // Imaging: background, optics, shot noise and read noise, 8-bit.
  cv::Mat signal = sp.background + level * stain;
  cv::GaussianBlur(signal, signal, cv::Size(0, 0), sp.blur * uni(rng, 0.9, 1.1), 0, cv::BORDER_REFLECT_101);
  SynthCell out;
  out.image8.create(size, size, CV_8U);
  for (int y = 0; y < size; ++y) {
    const float* in = signal.ptr<float>(y);
    unsigned char* px = out.image8.ptr<unsigned char>(y);
    for (int x = 0; x < size; ++x) {
      const float v = std::max(0.0f, in[x]);
      const float shot = std::sqrt(v / sp.gain) * gauss(rng);
      const float noisy = v + shot + sp.read_noise * gauss(rng);
      px[x] = static_cast<unsigned char>(std::clamp(noisy, 0.0f, 1.0f) * 255.0f + 0.5f);
    }
  }
  out.mask8 = radius <= 1.0f;  // 255 inside, 0 outside
  out.label = pattern;
  char group[32];
  std::snprintf(group, sizeof group, "specimen_%02d", specimen_id);
  out.group = group;
  return out;
}

Dataset synthesize(const SynthOptions& options, const PreprocessOptions& preprocess) {
  if (options.count < 1) fail("synthetic cell count ", options.count, " must be at least 1");
  const size_t n = size_t(options.count);
  Dataset data;
  data.shape = {options.count, 1, preprocess.height, preprocess.width};
  if (preprocess.height <= 0 || preprocess.width <= 0)
    fail("preprocessing size ", preprocess.width, "x", preprocess.height, " is not positive");
  data.images.resize(data.shape.count());
  data.labels.resize(n);
  data.class_names = kSynthClasses;
  data.paths.resize(n);
  data.splits.resize(n);
  data.groups.resize(n);
  std::exception_ptr error;
#pragma omp parallel for schedule(dynamic, 8)
  for (long i = 0; i < long(n); ++i) {
    try {
      const SynthCell cell = synth_cell(options.seed, int(i), options.size);
      const std::string name = std::string("synthetic cell ").append(std::to_string(i));
      preprocess_cell(cell.image8, cell.mask8, preprocess, data.image(size_t(i)), name);
      data.labels[size_t(i)] = cell.label;
      data.groups[size_t(i)] = cell.group;
      data.paths[size_t(i)] = kSynthClasses[size_t(cell.label)] + "/" + cell_name(int(i)) + ".png";
    } catch (...) {
#pragma omp critical(hep2_synth_error)
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
  return data;
}

void write_synth(const std::string& dir, const SynthOptions& options) {
  namespace fs = std::filesystem;
  if (options.count < 1) fail("synthetic cell count ", options.count, " must be at least 1");
  for (const std::string& name : kSynthClasses)
    for (const fs::path& folder : {fs::path(dir) / name, fs::path(dir) / "masks" / name}) {
      std::error_code ec;
      fs::create_directories(folder, ec);
      if (ec) fail("cannot create folder '", folder.string(), "': ", ec.message());
    }
  std::vector<std::string> rows(size_t(options.count));
  std::exception_ptr error;
#pragma omp parallel for schedule(dynamic, 8)
  for (long i = 0; i < long(options.count); ++i) {
    try {
      const SynthCell cell = synth_cell(options.seed, int(i), options.size);
      const std::string& cls = kSynthClasses[size_t(cell.label)];
      const std::string image = cls + "/" + cell_name(int(i)) + ".png";
      const std::string mask = "masks/" + cls + "/" + cell_name(int(i)) + "_mask.png";
      write_png((fs::path(dir) / image).string(), cell.image8);
      write_png((fs::path(dir) / mask).string(), cell.mask8);
      rows[size_t(i)] = image + "," + cls + "," + mask + "," + cell.group + "\n";
    } catch (...) {
#pragma omp critical(hep2_synth_error)
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
  std::string manifest = "path,label,mask,group\n";
  for (const std::string& row : rows) manifest += row;
  write_file_atomic((fs::path(dir) / "manifest.csv").string(), manifest);
}

}  // namespace hep2
