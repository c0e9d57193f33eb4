// The names of every enumerated setting, in one table per type: the flag parser, config.json and
// the printed summaries all read these, so a name is spelled in one place. The first name of a
// value is its canonical spelling; later ones are accepted aliases.
#pragma once
#include <span>
#include <string>

#include "hep2/core/error.h"
#include "hep2/nn/models.h"
#include "hep2/nn/param_block.h"
#include "hep2/nn/trainer.h"
#include "hep2/pipeline/method_kinds.h"
#include "hep2/pipeline/preprocess.h"

namespace hep2::app {

template <class E>
struct Choice {
  E value;
  const char* name;
};

template <class E>
std::span<const Choice<E>> choices();
template <> std::span<const Choice<Method>> choices();
template <> std::span<const Choice<FeatureKind>> choices();
template <> std::span<const Choice<ClassifierKind>> choices();
template <> std::span<const Choice<Holdout>> choices();
template <> std::span<const Choice<FeatureScaling>> choices();
template <> std::span<const Choice<AeObjective>> choices();
template <> std::span<const Choice<DecoderKind>> choices();
template <> std::span<const Choice<InitScheme>> choices();
template <> std::span<const Choice<Normalization>> choices();
template <> std::span<const Choice<Channel>> choices();

// "a, b or c": the canonical names, for messages and help.
template <class E>
std::string choice_list() {
  std::string s, last;
  for (const Choice<E>& c : choices<E>()) {
    bool seen = false;  // an alias repeats a value already listed
    for (const Choice<E>& d : choices<E>()) {
      if (&d == &c) break;
      seen = seen || d.value == c.value;
    }
    if (seen) continue;
    if (!last.empty()) s += (s.empty() ? "" : ", ") + last;
    last = c.name;
  }
  return s.empty() ? last : s + " or " + last;
}

template <class E>
const char* name_of(E value) {
  for (const Choice<E>& c : choices<E>())
    if (c.value == value) return c.name;
  fail("no name for enumerated value ", int(value));
}

// Throws Error("must be a, b or c (not 'x')") for a name that is none of them. Case is ignored.
template <class E>
E parse_choice(const std::string& name) {
  std::string lower = name;
  for (char& ch : lower) ch = char(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
  for (const Choice<E>& c : choices<E>())
    if (lower == c.name) return c.value;
  fail("must be ", choice_list<E>(), " (not '", name, "')");
}

}  // namespace hep2::app
