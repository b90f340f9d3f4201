// Fuzz targets for the text readers (texts.h), one per format, chosen at build time by
// TRAWL_FUZZ_FORMAT. Whatever the bytes, the parser returns texts or an error.
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "stages/formats/texts.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  trawl::TextReadOptions options;
#if TRAWL_FUZZ_FORMAT == 1
  options.format = trawl::TextFormat::kJsonLines;
#elif TRAWL_FUZZ_FORMAT == 2
  options.format = trawl::TextFormat::kTsv;
#elif TRAWL_FUZZ_FORMAT == 3
  options.format = trawl::TextFormat::kTrecDocuments;
#elif TRAWL_FUZZ_FORMAT == 4
  options.format = trawl::TextFormat::kTrecTopics;
#else
#error "define TRAWL_FUZZ_FORMAT"
#endif
  for (trawl::TopicField field : {trawl::TopicField::kTitle, trawl::TopicField::kDescription,
                                  trawl::TopicField::kTitleAndDescription}) {
    options.topic_field = field;
    trawl::ParseTexts(text, "fuzz", options).IgnoreError();
  }
  return 0;
}
