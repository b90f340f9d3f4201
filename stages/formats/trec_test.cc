#include "stages/formats/trec.h"

#include <map>
#include <string>

#include "gtest/gtest.h"

namespace trawl {
namespace {

TEST(TrecFormatTest, QrelsAndRunsParse) {
  Qrels qrels = *ParseQrels("1 0 a 2\n\n1 0 b -1\n2 0 c 0\n", "q");
  EXPECT_EQ(qrels.by_query.at("1").at("a"), 2);
  EXPECT_EQ(qrels.by_query.at("1").at("b"), -1);
  TrecRun run = *ParseTrecRun("1 Q0 a 1 1.5 r1\n1\tQ0\tb\t2\t-3e-1\tr1\n", "r");
  EXPECT_EQ(run.tag, "r1");
  ASSERT_EQ(run.by_query.at("1").size(), 2);
  EXPECT_DOUBLE_EQ(run.by_query.at("1")[1].score, -0.3);
}

TEST(TrecFormatTest, MalformedLinesNameFileLineAndExpectation) {
  EXPECT_EQ(ParseQrels("1 0 a 1\n1 0 b x\n", "qrels.txt").status().message(),
            "qrels.txt:2: expected \"QID ITER DOCNO REL\" with an integer REL, found \"1 0 b x\"");
  EXPECT_EQ(ParseTrecRun("1 Q0 a 1 0.5\n", "run.txt").status().message(),
            "run.txt:1: expected at least 6 columns \"QID Q0 DOCNO RANK SCORE TAG\" with a numeric "
            "SCORE, found \"1 Q0 a 1 0.5\"");
  EXPECT_EQ(
      ParseMsMarcoRun("1\ta\tfirst\n", "m.tsv").status().message(),
      "m.tsv:1: expected \"QID<TAB>DOCNO<TAB>RANK\" with an integer RANK, found \"1\ta\tfirst\"");
}

// What trec_eval 10 accepts (get_qrels.c, get_trec_results.c), Trawl accepts as the same data.
TEST(TrecFormatTest, InputTrecEvalAcceptsIsTheSameData) {
  // Comments: a qrels line starting with '#'; a run line whose first non-blank is '#'. A '#'
  // inside a document id is part of it.
  Qrels qrels = *ParseQrels("# judged by NIST\n301 0 CR#93E-1860 1\r\n301 0 d2 1.5\n", "q");
  EXPECT_EQ(qrels.by_query.at("301"), (std::map<std::string, int>{{"CR#93E-1860", 1}, {"d2", 1}}));
  // Trailing columns after the tag, a rank that is not a number, CRLF, and a tag per line: the
  // last line's tag is the run's.
  TrecRun run = *ParseTrecRun(
      "  # run A\n301 Q0 CR#93E-1860 1 2.5 first more junk at the end\r\n301 Q0 d2 x 1 last\r\n",
      "r");
  ASSERT_EQ(run.by_query.at("301").size(), 2);
  EXPECT_EQ(run.by_query.at("301")[0].docno, "CR#93E-1860");
  EXPECT_EQ(run.tag, "last");
}

TEST(TrecFormatTest, WhatWouldGiveWrongNumbersIsRejected) {
  // trec_eval ranks by a NaN score too, and the result depends on the line order.
  EXPECT_EQ(ParseTrecRun("1 Q0 a 1 0.5 t\n1 Q0 b 2 nan t\n", "run.txt").status().message(),
            "run.txt:2: expected a finite SCORE, found \"nan\"");
  EXPECT_EQ(ParseTrecRun("1 Q0 a 1 -inf t\n", "run.txt").status().message(),
            "run.txt:1: expected a finite SCORE, found \"-inf\"");
  EXPECT_EQ(ParseTrecRun("", "empty.run").status().message(),
            "empty.run: no run lines (empty file)");
  EXPECT_EQ(ParseTrecRun("# only a comment\n\n", "c.run").status().message(),
            "c.run: no run lines (empty file)");
  EXPECT_EQ(ParseQrels("", "empty.qrels").status().message(),
            "empty.qrels: no qrels lines (empty file)");
  // A judgment that does not start with a number is not silently 0.
  EXPECT_EQ(ParseQrels("1 0 a high\n", "q").status().message(),
            "q:1: expected \"QID ITER DOCNO REL\" with an integer REL, found \"1 0 a high\"");
  // Qrels take exactly 4 columns, as trec_eval does.
  EXPECT_EQ(ParseQrels("1 0 a 1 extra\n", "q").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(TrecFormatTest, DuplicatesAreErrors) {
  EXPECT_EQ(ParseQrels("1 0 a 1\n1 0 a 0\n", "q").status().message(),
            "q:2: document a is judged twice for query 1");
  EXPECT_EQ(ParseTrecRun("1 Q0 a 1 1 t\n1 Q0 a 2 0.5 t\n", "r").status().message(),
            "r: query 1 retrieves document a twice");
}

TEST(TrecFormatTest, MsMarcoRunScoresByRank) {
  TrecRun run = *ParseMsMarcoRun("7\td1\t2\n7\td2\t1\n", "m");
  EXPECT_EQ(FormatTrecRun(run, "ms"), "7 Q0 d2 1 -1.000000 ms\n7 Q0 d1 2 -2.000000 ms\n");
  EXPECT_EQ(FormatMsMarcoRun(run), "7\td2\t1\n7\td1\t2\n");
  // Written and read back, the run is the same.
  EXPECT_EQ(FormatMsMarcoRun(*ParseMsMarcoRun(FormatMsMarcoRun(run), "again")),
            FormatMsMarcoRun(run));
}

TEST(TrecFormatTest, TrecTopics) {
  std::vector<Query> topics = *ParseTrecTopics(
      "<top>\n<num> Number: 301\n<title> International\nOrganized Crime\n<desc> "
      "Description:\nx\n</top>\n"
      "<top>\n<num> Number: 302 \n<title> Topic: Poliomyelitis\n</top>\n",
      "topics");
  ASSERT_EQ(topics.size(), 2);
  EXPECT_EQ(topics[0].id, "301");
  EXPECT_EQ(topics[0].title, "International Organized Crime");
  EXPECT_EQ(topics[0].description, "x");
  EXPECT_EQ(topics[1].title, "Poliomyelitis");
  EXPECT_EQ(topics[1].description, "");
  EXPECT_EQ(ParseTrecTopics("<top>\n<num> 1\n", "t").status().message(),
            "t:3: expected </top> at the end of the file, found \"end of file\"");
}

}  // namespace
}  // namespace trawl
