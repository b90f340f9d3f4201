#include "stages/formats/trec.h"

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
            "run.txt:1: expected 6 columns \"QID Q0 DOCNO RANK SCORE TAG\" with a numeric RANK and "
            "SCORE, found \"1 Q0 a 1 0.5\"");
  EXPECT_EQ(
      ParseMsMarcoRun("1\ta\tfirst\n", "m.tsv").status().message(),
      "m.tsv:1: expected \"QID<TAB>DOCNO<TAB>RANK\" with an integer RANK, found \"1\ta\tfirst\"");
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

TEST(TrecFormatTest, TsvQueriesAndTrecTopics) {
  std::vector<Query> tsv = *ParseTsvQueries("101\twhat is faiss\n102\tgpu  \n", "q.tsv");
  ASSERT_EQ(tsv.size(), 2);
  EXPECT_EQ(tsv[1].text, "gpu");
  EXPECT_EQ(ParseTsvQueries("no tab here\n", "q.tsv").status().message(),
            "q.tsv:1: expected \"QID<TAB>TEXT\", found \"no tab here\"");
  std::vector<Query> topics = *ParseTrecTopics(
      "<top>\n<num> Number: 301\n<title> International\nOrganized Crime\n<desc> "
      "Description:\nx\n</top>\n"
      "<top>\n<num> Number: 302 \n<title> Topic: Poliomyelitis\n</top>\n",
      "topics");
  ASSERT_EQ(topics.size(), 2);
  EXPECT_EQ(topics[0].id, "301");
  EXPECT_EQ(topics[0].text, "International Organized Crime");
  EXPECT_EQ(topics[1].text, "Poliomyelitis");
  EXPECT_EQ(ParseTrecTopics("<top>\n<num> 1\n", "t").status().message(),
            "t:3: expected </top> at the end of the file, found \"end of file\"");
}

}  // namespace
}  // namespace trawl
