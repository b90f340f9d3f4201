#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "pipelines/paths.h"
#include "pipelines/progress.h"
#include "pipelines/registry.h"
#include "pipelines/stage.h"
#include "pipelines/status_util.h"
#include "stages/formats/texts.h"
#include "stages/io/text_reader_stage.pb.h"

namespace trawl {

// Reads documents or topics as text (stages/formats/texts.h): Pyserini's and BEIR's JSON lines,
// TSV, TREC SGML documents and TREC topics, plain or .gz, with progress on long files.
//
//   stage {
//     type: "text_reader"  output: "texts:docs"
//     options { [type.googleapis.com/trawl.io.TextReaderOptions] { path: "corpus.jsonl.gz" } }
//   }
//
// Related: text_reader_stage.proto, bm25_vectors.
class TextReaderStage : public Stage<io::TextReaderOptions> {
 public:
  static constexpr char kType[] = "text_reader";
  static StageContract Contract() {
    return {StageKind::kSource, {}, {SlotSpec::Of<TextCollection>("texts")}};
  }

  absl::Status Open(const io::TextReaderOptions& options) override {
    if (options.path().empty()) return absl::InvalidArgumentError("path is required");
    path_ = options.path();
    switch (options.format()) {
      case io::TextReaderOptions::JSONL:
        read_.format = TextFormat::kJsonLines;
        break;
      case io::TextReaderOptions::TSV:
        read_.format = TextFormat::kTsv;
        break;
      case io::TextReaderOptions::TREC:
        read_.format = TextFormat::kTrecDocuments;
        break;
      case io::TextReaderOptions::TREC_TOPICS:
        read_.format = TextFormat::kTrecTopics;
        break;
      default: {
        ASSIGN_OR_RETURN(read_.format, TextFormatFromPath(path_));
      }
    }
    if (options.topic_field() != io::TextReaderOptions::TITLE &&
        read_.format != TextFormat::kTrecTopics) {
      return absl::InvalidArgumentError(
          "topic_field applies to TREC topics only; this file is not read as TREC_TOPICS");
    }
    switch (options.topic_field()) {
      case io::TextReaderOptions::DESCRIPTION:
        read_.topic_field = TopicField::kDescription;
        break;
      case io::TextReaderOptions::TITLE_DESCRIPTION:
        read_.topic_field = TopicField::kTitleAndDescription;
        break;
      default:
        read_.topic_field = TopicField::kTitle;
    }
    return absl::OkStatus();
  }

  absl::Status Run(StageContext& ctx) override {
    std::unique_ptr<Progress> progress;
    TextReadOptions read = read_;
    read.progress = [&](int64_t done, int64_t total) {
      if (total < (int64_t{64} << 20)) return;  // a small file reads in a blink
      if (!progress) {
        progress = std::make_unique<Progress>(
            absl::StrCat("stage '", ctx.stage_name(), "' (text_reader): MB"), total >> 20);
      }
      progress->Update(done >> 20);
    };
    ASSIGN_OR_RETURN(TextCollection texts, ReadTexts(path_, read));
    if (progress) progress->Finish();
    auto& notes = *ctx.report().mutable_notes();
    notes["texts"] = absl::StrCat(texts.size(), " texts");
    if (texts.replaced_lines > 0) {
      notes["replaced"] =
          absl::StrCat(texts.replaced_lines, " lines had bytes that are not UTF-8, read as U+FFFD");
    }
    return ctx.SetOutput("texts", std::move(texts));
  }

  std::vector<FileUse> Files() const override {
    return {{FileUse::kInputFile, ResolveUserPath(path_)}};
  }

 private:
  std::string path_;
  TextReadOptions read_;
};
TRAWL_REGISTER_STAGE(TextReaderStage);

}  // namespace trawl
