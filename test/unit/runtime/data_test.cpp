// Text documents, packing, the validation split and the per-epoch shuffle.
#include "slimtune/data.h"

#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <set>

namespace slimtune {
namespace {

using testing::TempDir;

TEST(TextDocuments, ParagraphsBySeparatorAndJsonLines) {
  TempDir dir;
  auto paragraphs = readTextDocuments(dir.write("a.txt", "one\ntwo\n\n\n  three\n \nfour"), "");
  ASSERT_TRUE(paragraphs) << paragraphs.status().message();
  EXPECT_EQ(*paragraphs, (std::vector<std::string>{"one\ntwo", "  three", "four"}));

  auto fortunes = readTextDocuments(dir.write("f", "A fortune.\n\nStill it.\n%\nAnother.\n%\n"), "%");
  ASSERT_TRUE(fortunes);
  EXPECT_EQ(*fortunes, (std::vector<std::string>{"A fortune.\n\nStill it.", "Another."}));

  auto lines = readTextDocuments(dir.write("d.jsonl", "{\"text\": \"x y\"}\n\n{\"text\": \"\\u00e9\", \"id\": 2}\n"), "");
  ASSERT_TRUE(lines);
  EXPECT_EQ(*lines, (std::vector<std::string>{"x y", "\xc3\xa9"}));
}

TEST(TextDocuments, ErrorsNameFileAndLine) {
  TempDir dir;
  auto message = [](const Expected<std::vector<std::string>> &r) {
    return r ? std::string("ok") : r.status().message();
  };
  EXPECT_NE(message(readTextDocuments(dir.path("missing.txt"), "")).find("missing.txt: cannot open"),
            std::string::npos);
  EXPECT_NE(message(readTextDocuments(dir.write("empty.txt", ""), "")).find("empty.txt: the file is empty"),
            std::string::npos);
  EXPECT_NE(message(readTextDocuments(dir.write("blank.txt", "\n \n\n"), "")).find("holds no text"),
            std::string::npos);
  std::string latin1 = message(readTextDocuments(dir.write("latin1.txt", "ok\ncaf\xe9\n"), ""));
  EXPECT_NE(latin1.find("latin1.txt: line 2: invalid UTF-8 at byte 6 of the file"), std::string::npos) << latin1;
  // Overlong encodings and surrogates are not UTF-8 either.
  EXPECT_FALSE(readTextDocuments(dir.write("overlong.txt", "\xc0\xaf"), ""));
  EXPECT_FALSE(readTextDocuments(dir.write("surrogate.txt", "\xed\xa0\x80"), ""));
  std::string json = message(readTextDocuments(dir.write("bad.jsonl", "{\"text\": \"a\"}\n{\"txt\": 1}\n"), ""));
  EXPECT_NE(json.find("bad.jsonl: line 2: expected an object with a string field \"text\""),
            std::string::npos) << json;
  EXPECT_FALSE(readTextDocuments(dir.write("broken.jsonl", "{\"text\": \n"), ""));
}

TEST(TextDocuments, InMemoryTextReadsAsTheFileItsNameSays) {
  auto fortunes = parseTextDocuments("one\n%\ntwo\n", "f.txt", "%");
  ASSERT_TRUE(fortunes) << fortunes.status().message();
  EXPECT_EQ(*fortunes, (std::vector<std::string>{"one", "two"}));
  auto lines = parseTextDocuments("{\"text\": \"x\"}\n", "d.jsonl", "");
  ASSERT_TRUE(lines) << lines.status().message();
  EXPECT_EQ(*lines, (std::vector<std::string>{"x"}));
  auto bad = parseTextDocuments("{\"text\": 1}\n", "mem.jsonl", "");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.status().message(),
            "mem.jsonl: line 1: expected an object with a string field \"text\"");
}

TokenizedDocuments documents(const std::vector<std::vector<int32_t>> &docs) {
  TokenizedDocuments d;
  for (const auto &doc : docs) {
    d.tokens.insert(d.tokens.end(), doc.begin(), doc.end());
    d.ends.push_back(d.tokens.size());
  }
  return d;
}

TEST(PackedDataset, WindowsOverlapByOneAndSeparatorsFollowDocuments) {
  // Ten documents of ten distinct tokens each, separator 0.
  std::vector<std::vector<int32_t>> docs;
  for (int d = 0; d < 10; ++d) {
    docs.emplace_back();
    for (int t = 0; t < 10; ++t)
      docs.back().push_back(1 + d * 10 + t);
  }
  auto data = PackedDataset::create(documents(docs), 0, 8, 0.0, 3, "docs");
  ASSERT_TRUE(data) << data.status().message();
  EXPECT_EQ(data->tokenCount(), 110);
  EXPECT_EQ(data->trainSequences(), (110 - 1) / 8);
  std::vector<int32_t> in(8), target(8);
  data->fillTrain(0, 1, in.data(), target.data());
  for (int i = 0; i < 7; ++i)
    EXPECT_EQ(in[i + 1], target[i]);
  // Every separator is followed by a document's first token, every document's last token by
  // the separator: documents stay whole and in order inside the stream.
  std::multiset<int32_t> seen;
  for (int64_t k = 0; k < data->trainSequences(); ++k) {
    data->fillTrain(k, 1, in.data(), target.data());
    for (int i = 0; i < 8; ++i) {
      if (in[i] == 0)
        EXPECT_EQ(target[i] % 10, 1) << "after a separator comes a document start";
      else if (in[i] % 10 == 0)
        EXPECT_EQ(target[i], 0) << "a document's last token is followed by the separator";
      else
        EXPECT_EQ(target[i], in[i] + 1);
      seen.insert(in[i]);
    }
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(data->trainSequences() * 8));
}

TEST(PackedDataset, EpochsAreShuffledPermutationsAndReplayExactly) {
  std::vector<int32_t> stream(1001);
  std::iota(stream.begin(), stream.end(), 0);
  TokenizedDocuments d{stream, {stream.size()}};
  auto a = PackedDataset::create(d, -1, 10, 0.0, 42, "s");
  auto b = PackedDataset::create(d, -1, 10, 0.0, 42, "s");
  auto c = PackedDataset::create(d, -1, 10, 0.0, 43, "s");
  ASSERT_TRUE(a && b && c);
  ASSERT_EQ(a->trainSequences(), 100);
  auto epoch = [](const PackedDataset &p, int64_t e) {
    std::vector<int32_t> firsts;
    std::vector<int32_t> in(10), t(10);
    for (int64_t k = 0; k < 100; ++k) {
      p.fillTrain(e * 100 + k, 1, in.data(), t.data());
      firsts.push_back(in[0]);
    }
    return firsts;
  };
  std::vector<int32_t> e0 = epoch(*a, 0), e1 = epoch(*a, 1);
  std::vector<int32_t> sorted = e0;
  std::sort(sorted.begin(), sorted.end());
  for (int k = 0; k < 100; ++k)
    EXPECT_EQ(sorted[k], k * 10) << "each epoch serves every sequence once";
  EXPECT_NE(e0, e1) << "each epoch has its own order";
  EXPECT_NE(e0, epoch(*c, 0)) << "the seed chooses the order";
  // Asking out of order (a resumed run) gives the same batches.
  EXPECT_EQ(epoch(*b, 1), e1);
  EXPECT_EQ(epoch(*b, 0), e0);
  EXPECT_EQ(a->fingerprint(), b->fingerprint());
}

TEST(PackedDataset, ValidationIsHeldOutAndPadded) {
  std::vector<int32_t> stream(1001);
  std::iota(stream.begin(), stream.end(), 0);
  auto data = PackedDataset::create({stream, {stream.size()}}, -1, 10, 0.05, 1, "s");
  ASSERT_TRUE(data);
  EXPECT_EQ(data->valSequences(), 5);
  EXPECT_EQ(data->trainSequences(), 95);
  std::set<int32_t> train, val;
  std::vector<int32_t> in(40), t(40);
  for (int64_t k = 0; k < 95; ++k) {
    data->fillTrain(k, 1, in.data(), t.data());
    train.insert(in[0]);
  }
  EXPECT_EQ(data->validationBatches(4), 2);
  EXPECT_EQ(data->fillValidation(0, 4, -100, in.data(), t.data()), 4);
  EXPECT_EQ(data->fillValidation(1, 4, -100, in.data(), t.data()), 1);
  EXPECT_EQ(t[10], -100);
  EXPECT_EQ(t[39], -100);
  for (int r = 0; r < 1; ++r)
    EXPECT_FALSE(train.count(in[r * 10])) << "validation rows never appear in training";
  auto other = PackedDataset::create({stream, {stream.size()}}, -1, 10, 0.1, 1, "s");
  EXPECT_NE(other->fingerprint(), data->fingerprint()) << "the split is part of the fingerprint";
}

TEST(PackedDataset, TooLittleDataIsAnError) {
  auto tiny = PackedDataset::create({{1, 2, 3}, {3}}, -1, 8, 0.0, 0, "tiny.u32");
  ASSERT_FALSE(tiny);
  EXPECT_NE(tiny.status().message().find("tiny.u32: 3 tokens make 0 sequences of 8 tokens: none to train on"),
            std::string::npos) << tiny.status().message();
  std::vector<int32_t> stream(17, 1);
  // Two windows: holding out one leaves one to train on; holding out both leaves none.
  EXPECT_TRUE(PackedDataset::create({stream, {stream.size()}}, -1, 8, 0.5, 0, "s"));
  EXPECT_FALSE(PackedDataset::create({stream, {stream.size()}}, -1, 8, 0.6, 0, "s"));
  EXPECT_FALSE(PackedDataset::create({stream, {stream.size()}}, -1, 8, 1.0, 0, "s"));
}

} // namespace
} // namespace slimtune
