// Status and Expected: the runtime's error values.
#include "slimtune/status.h"

#include <gtest/gtest.h>

using namespace slimtune;

TEST(Status, OkAndError) {
  EXPECT_TRUE(Status::ok().isOk());
  EXPECT_EQ(Status::ok().message(), "");
  Status s = Status::error("header length 9999999999 exceeds the 100000000 limit");
  EXPECT_FALSE(s.isOk());
  EXPECT_EQ(std::move(s).withContext("model.safetensors").message(),
            "model.safetensors: header length 9999999999 exceeds the 100000000 limit");
}

TEST(Status, ContextLeavesOkAlone) {
  EXPECT_TRUE(Status::ok().withContext("file").isOk());
}

TEST(Expected, ValueOrStatus) {
  Expected<int> good(7);
  ASSERT_TRUE(good.isOk());
  EXPECT_EQ(*good, 7);
  Expected<int> bad(Status::error("no"));
  EXPECT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().message(), "no");
}
