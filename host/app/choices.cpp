// The name tables of choices.h.
#include "choices.h"

namespace hep2::app {

namespace {
constexpr Choice<Method> kMethods[] = {
    {Method::Dcae, "dcae"}, {Method::Hybrid, "hybrid"}, {Method::Supervised, "supervised"}};
constexpr Choice<FeatureKind> kFeatures[] = {{FeatureKind::Latent, "latent"},
                                             {FeatureKind::Stats, "stats"}};
constexpr Choice<ClassifierKind> kClassifiers[] = {{ClassifierKind::Mlp, "mlp"},
                                                   {ClassifierKind::Linear, "linear"}};
constexpr Choice<Holdout> kHoldouts[] = {{Holdout::Specimen, "specimen"},
                                         {Holdout::Random, "random"}};
constexpr Choice<FeatureScaling> kScalings[] = {{FeatureScaling::Auto, "auto"},
                                                {FeatureScaling::PerFeature, "feature"},
                                                {FeatureScaling::Pooled, "pooled"}};
constexpr Choice<AeObjective> kAeLosses[] = {{AeObjective::Mse, "mse"},
                                             {AeObjective::CrossEntropy, "bce"}};
constexpr Choice<DecoderKind> kDecoders[] = {{DecoderKind::Transposed, "deconv"},
                                             {DecoderKind::Upsample, "upsample"},
                                             {DecoderKind::Transposed, "transposed"}};
constexpr Choice<InitScheme> kInits[] = {{InitScheme::Torch, "torch"}, {InitScheme::He, "he"}};
constexpr Choice<Normalization> kNorms[] = {{Normalization::Percentile, "percentile"},
                                            {Normalization::MinMax, "minmax"},
                                            {Normalization::None, "none"}};
constexpr Choice<Channel> kChannels[] = {{Channel::Auto, "auto"},   {Channel::Gray, "gray"},
                                         {Channel::Red, "red"},     {Channel::Green, "green"},
                                         {Channel::Blue, "blue"},   {Channel::Gray, "grey"}};
}  // namespace

template <> std::span<const Choice<Method>> choices() { return kMethods; }
template <> std::span<const Choice<FeatureKind>> choices() { return kFeatures; }
template <> std::span<const Choice<ClassifierKind>> choices() { return kClassifiers; }
template <> std::span<const Choice<Holdout>> choices() { return kHoldouts; }
template <> std::span<const Choice<FeatureScaling>> choices() { return kScalings; }
template <> std::span<const Choice<AeObjective>> choices() { return kAeLosses; }
template <> std::span<const Choice<DecoderKind>> choices() { return kDecoders; }
template <> std::span<const Choice<InitScheme>> choices() { return kInits; }
template <> std::span<const Choice<Normalization>> choices() { return kNorms; }
template <> std::span<const Choice<Channel>> choices() { return kChannels; }

}  // namespace hep2::app
