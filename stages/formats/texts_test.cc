#include "stages/formats/texts.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "stages/formats/file_testing.h"

namespace trawl {
namespace {

// Records as "id=text;" for compact comparisons.
std::string Records(const TextCollection& texts) {
  std::string out;
  for (int64_t i = 0; i < texts.size(); ++i) {
    absl::StrAppend(&out, texts.ids.Get(i), "=", texts.texts[i], ";");
  }
  return out;
}

TextCollection Parse(absl::string_view text, TextFormat format,
                     TopicField field = TopicField::kTitle) {
  absl::StatusOr<TextCollection> texts = ParseTexts(text, "in", {format, field, nullptr});
  EXPECT_TRUE(texts.ok()) << texts.status();
  return texts.ok() ? *std::move(texts) : TextCollection();
}

TEST(TextsTest, PyseriniAndBeirJsonLines) {
  EXPECT_EQ(Records(Parse("{\"id\": \"d1\", \"contents\": \"Oil spills\", \"title\": \"x\"}\n"
                          "{\"_id\": 7, \"title\": \"Sea\", \"text\": \"birds\"}\n"
                          "{\"docid\": \"d3\", \"text\": \"no title\"}\n"
                          "{\"id\": \"d4\", \"title\": \"title only\", \"text\": \"\"}\n",
                          TextFormat::kJsonLines)),
            "d1=Oil spills;7=Sea birds;d3=no title;d4=title only;");
}

TEST(TextsTest, TsvKeepsTextAfterTheFirstTab) {
  EXPECT_EQ(Records(Parse("1\twhat is\tfaiss \n2\t\n", TextFormat::kTsv)), "1=what is\tfaiss;2=;");
}

TEST(TextsTest, TrecDocumentsKeepEveryFieldButTheDocno) {
  EXPECT_EQ(Records(Parse("junk outside documents\n"
                          "<DOC>\n<DOCNO> FT911-3 </DOCNO>\n<HEADLINE>Oil <B>spills</B>\n"
                          "</HEADLINE>\n<TEXT>\nSea   birds.\n</TEXT>\n</DOC>\n"
                          "<DOC><DOCNO>2</DOCNO>one line</DOC><DOC><DOCNO>3</DOCNO></DOC>\n",
                          TextFormat::kTrecDocuments)),
            "FT911-3=Oil spills Sea birds.;2=one line;3=;");
}

TEST(TextsTest, TrecTopicFields) {
  const char kTopics[] =
      "<top>\n<num> Number: 301\n<title> International Organized Crime\n\n<desc> Description:\n"
      "Identify organizations\nthat participate.\n\n<narr> Narrative:\nA relevant ...\n</top>\n";
  EXPECT_EQ(Records(Parse(kTopics, TextFormat::kTrecTopics)), "301=International Organized Crime;");
  EXPECT_EQ(Records(Parse(kTopics, TextFormat::kTrecTopics, TopicField::kDescription)),
            "301=Identify organizations that participate.;");
  EXPECT_EQ(Records(Parse(kTopics, TextFormat::kTrecTopics, TopicField::kTitleAndDescription)),
            "301=International Organized Crime Identify organizations that participate.;");
}

TEST(TextsTest, FormatFromExtension) {
  EXPECT_EQ(*TextFormatFromPath("corpus.jsonl.gz"), TextFormat::kJsonLines);
  EXPECT_EQ(*TextFormatFromPath("collection.tsv"), TextFormat::kTsv);
  EXPECT_EQ(*TextFormatFromPath("ft.trec.gz"), TextFormat::kTrecDocuments);
  EXPECT_EQ(*TextFormatFromPath("robust04.topics"), TextFormat::kTrecTopics);
  EXPECT_EQ(TextFormatFromPath("notes.txt").status().message(),
            "cannot tell the text format of 'notes.txt' from its extension (.jsonl, .json, .tsv, "
            ".trec, .sgml, .topics, and .gz forms); set format");
}

TEST(TextsTest, ReadsGzipFilesWithProgress) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/docs.jsonl.gz";
  std::string text;
  for (int i = 0; i < 70000; ++i)
    absl::StrAppend(&text, "{\"id\": ", i, ", \"contents\": \"a\"}\n");
  testing::WriteTestFile(path, text);
  int calls = 0;
  int64_t last = 0, total = 0;
  absl::StatusOr<TextCollection> texts =
      ReadTexts(path, {TextFormat::kJsonLines, TopicField::kTitle, [&](int64_t done, int64_t all) {
                         ++calls;
                         last = done;
                         total = all;
                       }});
  ASSERT_TRUE(texts.ok()) << texts.status();
  EXPECT_EQ(texts->size(), 70000);
  EXPECT_EQ(texts->ids.Get(69999), "69999");
  EXPECT_EQ(calls, 2);  // at line 65536 and at the end
  EXPECT_EQ(last, total);
}

}  // namespace
}  // namespace trawl
