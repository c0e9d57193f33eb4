// dcae_members / member_readings: the seed and tag of each ensemble member, the tag of each
// reading (the member's, plus "_px<size>" away from the training size), and which one is first.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hep2/pipeline/dcae_members.h"

namespace hep2 {
namespace {

TEST(DcaeMembers, SeedsAndTagsCountFromTheRunSeed) {
  const std::vector<DcaeMember> m = dcae_members(3, 7);
  ASSERT_EQ(m.size(), 3u);
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(m[size_t(k)].index, k);
    EXPECT_EQ(m[size_t(k)].seed, 7u + uint64_t(k));
  }
  EXPECT_EQ(m[0].tag, "");
  EXPECT_EQ(m[1].tag, "_m2");
  EXPECT_EQ(m[2].tag, "_m3");
  EXPECT_TRUE(dcae_members(0, 7).empty());
}

TEST(DcaeMembers, WithoutStatsSizesOneReadingAtTheTrainingSize) {
  const std::vector<Reading> r = member_readings(dcae_members(1, 3)[0], 32, {});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].size, 32);
  EXPECT_EQ(r[0].tag, "");
  EXPECT_TRUE(r[0].first);
}

TEST(DcaeMembers, ReadingTagsAddThePixelSizeAwayFromTheTrainingSize) {
  const std::vector<DcaeMember> m = dcae_members(2, 3);
  const std::vector<Reading> r0 = member_readings(m[0], 64, {56, 64, 48});
  ASSERT_EQ(r0.size(), 3u);
  EXPECT_EQ(r0[0].tag, "_px56");
  EXPECT_EQ(r0[1].tag, "");
  EXPECT_EQ(r0[2].tag, "_px48");
  EXPECT_EQ(r0[0].size, 56);
  EXPECT_EQ(r0[2].size, 48);
  const std::vector<Reading> r1 = member_readings(m[1], 64, {56, 64});
  ASSERT_EQ(r1.size(), 2u);
  EXPECT_EQ(r1[0].tag, "_m2_px56");
  EXPECT_EQ(r1[1].tag, "_m2");
  EXPECT_EQ(r1[1].member.seed, 4u);
}

TEST(DcaeMembers, OnlyTheFirstReadingOfTheFirstMemberIsFirst) {
  const std::vector<Reading> all = all_readings(2, 5, 16, {16, 12});
  ASSERT_EQ(all.size(), 4u);
  const std::vector<std::string> tags = {"", "_px12", "_m2", "_m2_px12"};
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].tag, tags[i]) << i;
    EXPECT_EQ(all[i].first, i == 0) << i;
    EXPECT_EQ(all[i].member.index, int(i / 2)) << i;
    EXPECT_EQ(all[i].member.seed, 5u + i / 2) << i;
  }
}

}  // namespace
}  // namespace hep2
