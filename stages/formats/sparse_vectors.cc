#include "stages/formats/sparse_vectors.h"

#include <simdjson.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "pipelines/status_util.h"
#include "stages/formats/json_records.h"
#include "stages/formats/line_reader.h"
#include "stages/formats/record_ids.h"

namespace trawl {
namespace {

// Integer weights must stay exact in float storage.
constexpr double kMaxIntegerWeight = 16777216;  // 2^24

// Accumulates rows, their ids and the vocabulary; checks ids and terms for duplicates.
class SparseBuilder {
 public:
  explicit SparseBuilder(double quantize_scale) : quantize_scale_(quantize_scale) {
    vocabulary_ = std::make_shared<std::vector<std::string>>();
  }

  // One (term, weight) of the current row; `integer` says the file wrote it as an integer.
  absl::Status Add(absl::string_view term, double weight, bool integer, absl::string_view where) {
    if (!std::isfinite(weight) || weight < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": expected a non-negative weight for \"", absl::CEscape(term),
                       "\", found ", absl::StrFormat("%.10g", weight)));
    }
    if (quantize_scale_ > 0) {
      if (weight > 0) row_largest_input_ = std::max(row_largest_input_, weight);
      weight = std::round(weight * quantize_scale_);
      integer = true;
    }
    if (integer && weight > kMaxIntegerWeight) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": expected an integer weight up to 2^24 for \"", absl::CEscape(term),
                       "\", found ", absl::StrFormat("%.10g", weight)));
    }
    // What is stored is a float: a weight beyond float's range is an error, one below it is 0.
    const float stored = static_cast<float>(weight);
    if (!std::isfinite(stored)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": expected a weight within float32's range for \"",
                       absl::CEscape(term), "\", found ", absl::StrFormat("%.10g", weight)));
    }
    if (stored == 0) return absl::OkStatus();
    matrix_.integer_weights &= integer;
    auto [it, inserted] = term_ids_.emplace(std::string(term), 0);
    if (inserted) {
      it->second = static_cast<int32_t>(vocabulary_->size());
      vocabulary_->push_back(it->first);
    }
    if (!row_terms_.insert(it->second).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": term \"", absl::CEscape(term), "\" appears twice in one vector"));
    }
    matrix_.terms.push_back(it->second);
    matrix_.weights.push_back(stored);
    return absl::OkStatus();
  }

  // Ends the current row under `id`.
  absl::Status EndRow(const std::string& id, int64_t line, absl::string_view where) {
    const int64_t row_start = matrix_.row_offsets.empty() ? 0 : matrix_.row_offsets.back();
    if (row_largest_input_ > 0 && static_cast<int64_t>(matrix_.terms.size()) == row_start) {
      // A scale that rounds every weight away gives empty vectors and silently empty runs.
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": every weight rounds to 0 at quantize_scale ",
          absl::StrFormat("%.6g", quantize_scale_), " (the largest is ",
          absl::StrFormat("%.6g", row_largest_input_),
          "); expected a scale that keeps them (Anserini quantises SPLADE weights by 100)"));
    }
    row_largest_input_ = 0;
    RETURN_IF_ERROR(ids_.Add(id, line, where));
    matrix_.row_offsets.push_back(static_cast<int64_t>(matrix_.terms.size()));
    ++matrix_.rows;
    row_terms_.clear();
    return absl::OkStatus();
  }

  SparseMatrix Finish() && {
    matrix_.vocabulary = std::move(vocabulary_);
    matrix_.ids = std::move(ids_).Build();
    return std::move(matrix_);
  }

 private:
  double quantize_scale_;
  double row_largest_input_ = 0;  // the current row's largest weight before quantisation
  SparseMatrix matrix_;
  std::shared_ptr<std::vector<std::string>> vocabulary_;
  absl::flat_hash_map<std::string, int32_t> term_ids_;
  absl::flat_hash_set<int32_t> row_terms_;
  RecordIds ids_;
};

absl::Status ParseJsonLine(simdjson::dom::parser& parser, absl::string_view line,
                           const std::string& where, int64_t line_number, SparseBuilder& builder) {
  ASSIGN_OR_RETURN(JsonRecord record, ParseJsonRecord(parser, line, where));
  const simdjson::dom::object& object = record.object;
  const std::string& id = record.id;
  simdjson::dom::element vector_value;
  if (object.at_key("vector").get(vector_value)) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": expected a \"vector\" object of term weights, found no \"vector\" key"));
  }
  simdjson::dom::object vector;
  if (vector_value.get(vector)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": expected \"vector\" as an object of term weights"));
  }
  for (simdjson::dom::key_value_pair entry : vector) {
    const absl::string_view term(entry.key.data(), entry.key.size());
    int64_t integer;
    uint64_t unsigned_integer;
    double weight;
    if (!entry.value.get(integer)) {
      RETURN_IF_ERROR(builder.Add(term, static_cast<double>(integer), true, where));
    } else if (!entry.value.get(unsigned_integer)) {
      RETURN_IF_ERROR(builder.Add(term, static_cast<double>(unsigned_integer), true, where));
    } else if (!entry.value.get(weight)) {
      RETURN_IF_ERROR(builder.Add(term, weight, false, where));
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": expected a number as the weight of \"", absl::CEscape(term), "\""));
    }
  }
  return builder.EndRow(id, line_number, where);
}

absl::Status ParseTsvLine(absl::string_view line, const std::string& where, int64_t line_number,
                          SparseBuilder& builder) {
  const size_t tab = line.find('\t');
  if (tab == absl::string_view::npos || tab == 0) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": expected \"QID<TAB>TOKENS\", found \"",
                                                   absl::CEscape(line.substr(0, 40)), "\""));
  }
  const std::string id(absl::StripAsciiWhitespace(line.substr(0, tab)));
  // Each token's count is its weight; counted in the order tokens first appear.
  std::vector<std::pair<absl::string_view, int64_t>> counts;
  absl::flat_hash_map<absl::string_view, size_t> position;
  for (absl::string_view token :
       absl::StrSplit(line.substr(tab + 1), absl::ByAnyChar(" \t"), absl::SkipEmpty())) {
    auto [it, inserted] = position.emplace(token, counts.size());
    if (inserted) counts.emplace_back(token, 0);
    ++counts[it->second].second;
  }
  for (const auto& [token, count] : counts) {
    RETURN_IF_ERROR(builder.Add(token, static_cast<double>(count), true, where));
  }
  return builder.EndRow(id, line_number, where);
}

absl::StatusOr<SparseMatrix> Parse(LineReader& lines, const SparseReadOptions& options) {
  if (options.quantize_scale < 0 || !std::isfinite(options.quantize_scale)) {
    return absl::InvalidArgumentError(
        absl::StrCat("quantize_scale must be >= 0, got ", options.quantize_scale));
  }
  SparseBuilder builder(options.quantize_scale);
  simdjson::dom::parser parser;
  absl::string_view line;
  while (lines.Next(&line)) {
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    const std::string where = absl::StrCat(lines.source(), ":", lines.line_number());
    if (options.format == SparseFormat::kJsonLines) {
      RETURN_IF_ERROR(ParseJsonLine(parser, line, where, lines.line_number(), builder));
    } else {
      RETURN_IF_ERROR(ParseTsvLine(line, where, lines.line_number(), builder));
    }
  }
  RETURN_IF_ERROR(lines.status());
  SparseMatrix matrix = std::move(builder).Finish();
  if (matrix.rows == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(lines.source(), ": expected sparse vectors, found none"));
  }
  return matrix;
}

}  // namespace

absl::StatusOr<SparseFormat> SparseFormatFromPath(absl::string_view path) {
  absl::string_view name = path;
  absl::ConsumeSuffix(&name, ".gz");
  if (absl::EndsWith(name, ".jsonl") || absl::EndsWith(name, ".json")) {
    return SparseFormat::kJsonLines;
  }
  if (absl::EndsWith(name, ".tsv") || absl::EndsWith(name, ".txt")) {
    return SparseFormat::kTsvQueries;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("cannot tell the sparse vector format of '", path,
                   "' from its extension (.jsonl, .json, .tsv, .txt, and .gz forms); set format"));
}

absl::StatusOr<SparseMatrix> ReadSparseVectors(absl::string_view path,
                                               const SparseReadOptions& options) {
  ASSIGN_OR_RETURN(LineReader lines, LineReader::Open(path));
  return Parse(lines, options);
}

absl::StatusOr<SparseMatrix> ParseSparseVectors(absl::string_view text, absl::string_view source,
                                                const SparseReadOptions& options) {
  if (text.empty()) return absl::InvalidArgumentError(absl::StrCat(source, ": the file is empty"));
  LineReader lines = LineReader::FromText(text, source);
  return Parse(lines, options);
}

}  // namespace trawl
