#include "stages/sparse/inverted_index.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <thread>
#include <type_traits>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "pipelines/files.h"
#include "pipelines/hashing.h"
#include "pipelines/paths.h"
#include "pipelines/status_util.h"

namespace trawl {
namespace {

// A sparse index file is read whole; the bound rejects a wrong path before it is allocated.
constexpr int64_t kMaxIndexFileBytes = int64_t{1} << 40;

constexpr char kMagic[8] = {'T', 'R', 'A', 'W', 'L', 'S', 'P', 'X'};
constexpr uint32_t kVersion = 1;
constexpr int32_t kEnd = std::numeric_limits<int32_t>::max();

void PutVarByte(uint32_t value, std::vector<uint8_t>& out) {
  while (value >= 128) {
    out.push_back(static_cast<uint8_t>(value & 127));
    value >>= 7;
  }
  out.push_back(static_cast<uint8_t>(value | 128));  // the high bit ends a gap
}

// A document's score as the mode computes it: int64 for integer weights, double otherwise.
template <typename Acc>
Acc Product(float query_weight, float doc_weight) {
  if constexpr (std::is_same_v<Acc, int64_t>) {
    return static_cast<int64_t>(query_weight) * static_cast<int64_t>(doc_weight);
  } else {
    return static_cast<double>(query_weight) * static_cast<double>(doc_weight);
  }
}

// Better in the ranking: higher score, then smaller row.
template <typename Acc>
struct Scored {
  Acc score;
  int32_t row;
  bool operator<(const Scored& other) const {  // "ranks before"
    return score > other.score || (score == other.score && row < other.row);
  }
};

template <typename Acc>
void WriteRanked(std::vector<Scored<Acc>>& top, int64_t k, int64_t* rows, float* scores) {
  std::sort(top.begin(), top.end());
  for (int64_t j = 0; j < k; ++j) {
    if (j < static_cast<int64_t>(top.size())) {
      rows[j] = top[j].row;
      scores[j] = static_cast<float>(top[j].score);
    } else {
      rows[j] = -1;
      scores[j] = -std::numeric_limits<float>::infinity();
    }
  }
}

}  // namespace

// Walks one posting list in row order, a decoded block at a time.
class SparseIndex::Cursor {
 public:
  Cursor(const SparseIndex& index, int32_t term)
      : index_(index), term_(index.terms_[term]), block_(term_.first_block) {
    end_block_ = term_.first_block + (term_.count + kBlockSize - 1) / kBlockSize;
    Decode();
  }

  int32_t doc() const { return doc_; }
  float weight() const {
    return index_.weights_[term_.first_posting + (block_ - term_.first_block) * kBlockSize + pos_];
  }
  float max_weight() const { return term_.max_weight; }

  void Next() {
    if (++pos_ < block_count_) {
      doc_ = docs_[pos_];
    } else {
      ++block_;
      Decode();
    }
  }

  // To the first posting at or after `target`.
  void NextGEQ(int32_t target) {
    if (doc_ >= target) return;
    if (index_.block_last_doc_[block_] < target) {
      while (block_ < end_block_ && index_.block_last_doc_[block_] < target) ++block_;
      Decode();
    }
    while (doc_ < target) Next();
  }

 private:
  void Decode() {
    pos_ = 0;
    if (block_ >= end_block_) {
      doc_ = kEnd;
      block_count_ = 0;
      return;
    }
    block_count_ = static_cast<int>(
        std::min<int64_t>(kBlockSize, term_.count - (block_ - term_.first_block) * kBlockSize));
    const uint8_t* bytes = index_.doc_bytes_.data() + index_.block_byte_offset_[block_];
    int32_t previous = block_ == term_.first_block ? -1 : index_.block_last_doc_[block_ - 1];
    for (int i = 0; i < block_count_; ++i) {
      uint32_t gap = 0;
      int shift = 0;
      uint8_t byte;
      do {
        byte = *bytes++;
        gap |= static_cast<uint32_t>(byte & 127) << shift;
        shift += 7;
      } while ((byte & 128) == 0);
      previous += static_cast<int32_t>(gap);
      docs_[i] = previous;
    }
    doc_ = docs_[0];
  }

  const SparseIndex& index_;
  const Term& term_;
  int64_t block_;
  int64_t end_block_;
  int block_count_ = 0;
  int pos_ = 0;
  int32_t doc_ = kEnd;
  int32_t docs_[kBlockSize];
};

SparseIndex SparseIndex::Build(const SparseMatrix& corpus) {
  SparseIndex index;
  index.num_docs_ = corpus.rows;
  index.integer_weights_ = corpus.integer_weights;
  index.ids_ = corpus.ids;
  const int64_t vocabulary = static_cast<int64_t>(corpus.vocabulary->size());
  std::vector<int64_t> counts(vocabulary, 0);
  for (int32_t term : corpus.terms) ++counts[term];
  index.terms_.resize(vocabulary);
  int64_t next = 0;
  for (int64_t t = 0; t < vocabulary; ++t) {
    index.terms_[t].text = (*corpus.vocabulary)[t];
    index.terms_[t].first_posting = next;
    index.terms_[t].count = counts[t];
    next += counts[t];
    index.term_numbers_[index.terms_[t].text] = static_cast<int32_t>(t);
  }
  // Postings in row order: rows are visited in order, so every list comes out sorted.
  std::vector<int32_t> docs(next);
  index.weights_.resize(next);
  std::vector<int64_t> fill(vocabulary, 0);
  for (int64_t row = 0; row < corpus.rows; ++row) {
    for (int64_t e = corpus.row_offsets[row]; e < corpus.row_offsets[row + 1]; ++e) {
      Term& term = index.terms_[corpus.terms[e]];
      const int64_t at = term.first_posting + fill[corpus.terms[e]]++;
      docs[at] = static_cast<int32_t>(row);
      index.weights_[at] = corpus.weights[e];
      term.max_weight = std::max(term.max_weight, corpus.weights[e]);
    }
  }
  for (Term& term : index.terms_) {
    term.first_block = static_cast<int64_t>(index.block_last_doc_.size());
    int32_t previous = -1;
    for (int64_t begin = 0; begin < term.count; begin += kBlockSize) {
      const int64_t end = std::min(term.count, begin + kBlockSize);
      index.block_byte_offset_.push_back(static_cast<int64_t>(index.doc_bytes_.size()));
      float block_max = 0;
      for (int64_t p = begin; p < end; ++p) {
        const int32_t doc = docs[term.first_posting + p];
        PutVarByte(static_cast<uint32_t>(doc - previous), index.doc_bytes_);
        previous = doc;
        block_max = std::max(block_max, index.weights_[term.first_posting + p]);
      }
      index.block_last_doc_.push_back(previous);
      index.block_max_weight_.push_back(block_max);
    }
  }
  return index;
}

int64_t SparseIndex::memory_bytes() const {
  int64_t bytes = static_cast<int64_t>(weights_.size() * 4 + doc_bytes_.size() +
                                       block_last_doc_.size() * (4 + 8 + 4));
  for (const Term& term : terms_) bytes += static_cast<int64_t>(sizeof(Term) + term.text.size());
  return bytes + ids_.memory_bytes();
}

int32_t SparseIndex::TermNumber(const std::string& term) const {
  auto it = term_numbers_.find(term);
  return it == term_numbers_.end() ? -1 : it->second;
}

SparseMatrix SparseIndex::Forward() const {
  SparseMatrix forward;
  forward.rows = num_docs_;
  forward.integer_weights = integer_weights_;
  forward.ids = ids_;
  auto vocabulary = std::make_shared<std::vector<std::string>>();
  for (const Term& term : terms_) vocabulary->push_back(term.text);
  forward.vocabulary = std::move(vocabulary);
  std::vector<int64_t> per_doc(num_docs_ + 1, 0);
  for (int32_t t = 0; t < num_terms(); ++t) {
    for (Cursor c(*this, t); c.doc() != kEnd; c.Next()) ++per_doc[c.doc() + 1];
  }
  for (int64_t d = 0; d < num_docs_; ++d) per_doc[d + 1] += per_doc[d];
  forward.row_offsets = per_doc;
  forward.terms.resize(weights_.size());
  forward.weights.resize(weights_.size());
  for (int32_t t = 0; t < num_terms(); ++t) {
    for (Cursor c(*this, t); c.doc() != kEnd; c.Next()) {
      const int64_t at = per_doc[c.doc()]++;
      forward.terms[at] = t;
      forward.weights[at] = c.weight();
    }
  }
  return forward;
}

std::vector<SparseIndex::QueryTerm> SparseIndex::MapQuery(const SparseMatrix& queries,
                                                          int64_t row) const {
  std::vector<QueryTerm> mapped;
  for (int64_t e = queries.row_offsets[row]; e < queries.row_offsets[row + 1]; ++e) {
    const int32_t term = TermNumber((*queries.vocabulary)[queries.terms[e]]);
    if (term >= 0 && terms_[term].count > 0) mapped.push_back({term, queries.weights[e]});
  }
  return mapped;
}

namespace {

// A margin for bounds compared with scores summed in another order: floating-point sums may round
// the other way. Integers are exact.
template <typename Acc>
Acc WithMargin(Acc value) {
  if constexpr (std::is_same_v<Acc, int64_t>) {
    return value;
  } else {
    return value * (1 + 1e-9) + 1e-300;
  }
}

// The k-th largest of the accumulators of `docs` (k <= docs.size()).
template <typename Acc>
Acc KthLargest(const std::vector<Acc>& acc, const std::vector<int32_t>& docs, int64_t k) {
  std::vector<Acc> values;
  values.reserve(docs.size());
  for (int32_t d : docs) values.push_back(acc[d]);
  std::nth_element(values.begin(), values.begin() + (k - 1), values.end(), std::greater<Acc>());
  return values[k - 1];
}

}  // namespace

// Term at a time, terms in canonical order (upper bound descending, then term number), so every
// document's score is the same sum in the same order in both modes. EXACT adds every posting.
// MAXSCORE (Turtle and Flood 1995, term-at-a-time): once the remaining terms' bounds sum below
// the k-th partial score — a lower bound of the final k-th score, as scores only grow — no
// document not yet seen can enter the top k; the remaining lists are then only searched for the
// candidates (skipping blocks), and a candidate goes as soon as its score plus the remaining
// bounds is below the k-th score. Every comparison is strict: a document that could only tie the
// k-th score may still win the tie by its smaller row.
template <typename Acc>
void SparseIndex::SearchTermAtATime(std::vector<QueryTerm> query, int64_t k, bool prune,
                                    std::vector<Acc>& acc, std::vector<int32_t>& touched,
                                    std::vector<int32_t>& champion_slot, int64_t* rows,
                                    float* scores) const {
  const size_t n = query.size();
  auto bound = [&](const QueryTerm& t) {
    return Product<Acc>(t.weight, terms_[t.term].max_weight);
  };
  std::sort(query.begin(), query.end(), [&](const QueryTerm& a, const QueryTerm& b) {
    const Acc ba = bound(a), bb = bound(b);
    return ba > bb || (ba == bb && a.term < b.term);
  });
  std::vector<Acc> remaining(n + 1, 0);  // remaining[i]: bounds of terms i..n-1
  for (size_t i = n; i-- > 0;) remaining[i] = remaining[i + 1] + bound(query[i]);

  size_t i = 0;
  Acc threshold = 0;
  bool candidates_only = false;
  // Champions: k distinct documents with their scores as last seen (never above the current
  // ones), so the smallest is a lower bound of the k-th score, kept up to date per posting.
  std::vector<int32_t> champions;
  std::vector<Acc> champion_scores;
  size_t weakest = 0;
  auto find_weakest = [&] {
    weakest =
        std::min_element(champion_scores.begin(), champion_scores.end()) - champion_scores.begin();
  };
  for (; i < n; ++i) {
    if (prune && static_cast<int64_t>(champions.size()) == k &&
        WithMargin(remaining[i]) < champion_scores[weakest]) {
      threshold = KthLargest(acc, touched, k);
      candidates_only = true;
      break;
    }
    for (Cursor c(*this, query[i].term); c.doc() != kEnd; c.Next()) {
      const int32_t d = c.doc();
      Acc& score = acc[d];
      if (score == 0) touched.push_back(d);
      score += Product<Acc>(query[i].weight, c.weight());
      if (!prune) continue;
      int32_t& slot = champion_slot[d];
      if (slot >= 0) {
        champion_scores[slot] = score;
        if (static_cast<size_t>(slot) == weakest) find_weakest();
      } else if (static_cast<int64_t>(champions.size()) < k) {
        slot = static_cast<int32_t>(champions.size());
        champions.push_back(d);
        champion_scores.push_back(score);
        find_weakest();
      } else if (score > champion_scores[weakest]) {
        champion_slot[champions[weakest]] = -1;
        champions[weakest] = d;
        champion_scores[weakest] = score;
        slot = static_cast<int32_t>(weakest);
        find_weakest();
      }
    }
  }
  for (int32_t d : champions) champion_slot[d] = -1;
  std::vector<int32_t> candidates;
  if (candidates_only) {
    // A dropped candidate's accumulator is set below zero (it stays in `touched` to be reset).
    auto keep = [&](size_t next) {
      candidates.erase(std::remove_if(candidates.begin(), candidates.end(),
                                      [&](int32_t d) {
                                        if (WithMargin(acc[d] + remaining[next]) >= threshold) {
                                          return false;
                                        }
                                        acc[d] = -1;
                                        return true;
                                      }),
                       candidates.end());
    };
    candidates = touched;
    std::sort(candidates.begin(), candidates.end());
    keep(i);
    for (; i < n && !candidates.empty(); ++i) {
      const QueryTerm& term = query[i];
      Cursor c(*this, term.term);
      if (terms_[term.term].count <= 4 * static_cast<int64_t>(candidates.size())) {
        // Most blocks hold a candidate anyway: walk the list, adding to candidates only.
        for (; c.doc() != kEnd; c.Next()) {
          Acc& score = acc[c.doc()];
          if (score > 0) score += Product<Acc>(term.weight, c.weight());
        }
      } else {
        for (int32_t d : candidates) {
          c.NextGEQ(d);
          if (c.doc() == kEnd) break;
          if (c.doc() == d) acc[d] += Product<Acc>(term.weight, c.weight());
        }
      }
      if (static_cast<int64_t>(candidates.size()) >= k) {
        threshold = std::max(threshold, KthLargest(acc, candidates, k));
      }
      keep(i + 1);
    }
  }
  const std::vector<int32_t>& pool = candidates_only ? candidates : touched;
  std::vector<Scored<Acc>> top;
  top.reserve(pool.size());
  for (int32_t d : pool) top.push_back({acc[d], d});
  if (static_cast<int64_t>(top.size()) > k) {
    std::nth_element(top.begin(), top.begin() + k, top.end());
    top.resize(k);
  }
  WriteRanked(top, k, rows, scores);
  for (int32_t d : touched) acc[d] = 0;
  touched.clear();
}

RankedLists SparseIndex::Search(const SparseMatrix& queries, int64_t k, SparseSearchMode mode,
                                int threads) const {
  RankedLists results;
  results.num_queries = queries.rows;
  results.k = k;
  results.doc_ids = ids_;
  results.query_ids = queries.ids;
  results.doc_rows.assign(queries.rows * k, -1);
  results.scores.assign(queries.rows * k, -std::numeric_limits<float>::infinity());
  // Integer arithmetic only when both sides are integers; otherwise double.
  const bool integer = integer_weights_ && queries.integer_weights;
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = static_cast<int>(std::min<int64_t>(threads, std::max<int64_t>(1, queries.rows)));
  const bool prune = mode == SparseSearchMode::kMaxScore;
  auto work = [&](int64_t begin, int64_t end) {
    std::vector<int64_t> integer_acc(integer ? num_docs_ : 0, 0);
    std::vector<double> double_acc(integer ? 0 : num_docs_, 0);
    std::vector<int32_t> touched;
    std::vector<int32_t> champion_slot(prune ? num_docs_ : 0, -1);
    for (int64_t q = begin; q < end; ++q) {
      std::vector<QueryTerm> query = MapQuery(queries, q);
      int64_t* rows = results.doc_rows.data() + q * k;
      float* scores = results.scores.data() + q * k;
      if (integer) {
        SearchTermAtATime(std::move(query), k, prune, integer_acc, touched, champion_slot, rows,
                          scores);
      } else {
        SearchTermAtATime(std::move(query), k, prune, double_acc, touched, champion_slot, rows,
                          scores);
      }
    }
  };
  std::vector<std::thread> pool;
  const int64_t per = (queries.rows + threads - 1) / threads;
  for (int t = 0; t < threads; ++t) {
    const int64_t begin = t * per, end = std::min(queries.rows, begin + per);
    if (begin < end) pool.emplace_back(work, begin, end);
  }
  for (std::thread& thread : pool) thread.join();
  return results;
}

namespace {

class ByteWriter {
 public:
  template <typename T>
  void Put(T value) {
    bytes_.append(reinterpret_cast<const char*>(&value), sizeof(T));
  }
  void PutString(const std::string& text) {
    Put<uint32_t>(static_cast<uint32_t>(text.size()));
    bytes_ += text;
  }
  template <typename T>
  void PutVector(const std::vector<T>& values) {
    Put<int64_t>(static_cast<int64_t>(values.size()));
    bytes_.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
  }
  std::string& bytes() { return bytes_; }

 private:
  std::string bytes_;
};

// Reads what ByteWriter wrote; every read is checked against the bytes left.
class ByteReader {
 public:
  ByteReader(absl::string_view bytes, std::string source)
      : rest_(bytes), source_(std::move(source)) {}

  template <typename T>
  absl::Status Get(T* value, absl::string_view what) {
    if (rest_.size() < sizeof(T)) return Truncated(what);
    std::memcpy(value, rest_.data(), sizeof(T));
    rest_.remove_prefix(sizeof(T));
    return absl::OkStatus();
  }
  absl::Status GetString(std::string* text, absl::string_view what) {
    uint32_t size = 0;
    RETURN_IF_ERROR(Get(&size, what));
    if (rest_.size() < size) return Truncated(what);
    *text = std::string(rest_.substr(0, size));
    rest_.remove_prefix(size);
    return absl::OkStatus();
  }
  template <typename T>
  absl::Status GetVector(std::vector<T>* values, absl::string_view what) {
    int64_t count = 0;
    RETURN_IF_ERROR(Get(&count, what));
    if (count < 0 || static_cast<uint64_t>(count) > rest_.size() / sizeof(T)) {
      return Truncated(what);
    }
    values->resize(count);
    if (count > 0) std::memcpy(values->data(), rest_.data(), count * sizeof(T));
    rest_.remove_prefix(count * sizeof(T));
    return absl::OkStatus();
  }
  size_t remaining() const { return rest_.size(); }
  absl::Status Corrupt(absl::string_view what) const {
    return absl::DataLossError(absl::StrCat(source_, ": ", what));
  }

 private:
  absl::Status Truncated(absl::string_view what) const {
    return Corrupt(absl::StrCat("truncated or corrupt ", what));
  }
  absl::string_view rest_;
  std::string source_;
};

}  // namespace

absl::Status SparseIndex::Write(const std::string& path_in) const {
  ByteWriter out;
  out.bytes().append(kMagic, sizeof(kMagic));
  out.Put<uint32_t>(kVersion);
  out.Put<int64_t>(num_docs_);
  out.Put<uint8_t>(integer_weights_ ? 1 : 0);
  out.Put<uint8_t>(ids_.row_numbers() || ids_.empty() ? 1 : 0);
  if (!ids_.row_numbers() && !ids_.empty()) {
    for (int64_t i = 0; i < ids_.size(); ++i) out.PutString(ids_.Get(i));
  }
  out.Put<int64_t>(num_terms());
  for (const Term& term : terms_) {
    out.PutString(term.text);
    out.Put<int64_t>(term.first_posting);
    out.Put<int64_t>(term.count);
    out.Put<int64_t>(term.first_block);
    out.Put<float>(term.max_weight);
  }
  out.PutVector(weights_);
  out.PutVector(doc_bytes_);
  out.PutVector(block_last_doc_);
  out.PutVector(block_byte_offset_);
  out.PutVector(block_max_weight_);
  std::string bytes = std::move(out.bytes());
  bytes += Sha256Hex(bytes);

  return WriteFileAtomically(ResolveUserPath(path_in), bytes, "sparse index file");
}

absl::StatusOr<SparseIndex> SparseIndex::Read(const std::string& path_in) {
  const std::string path = ResolveUserPath(path_in);
  ASSIGN_OR_RETURN(std::string bytes, ReadWholeFile(path, kMaxIndexFileBytes));
  return Parse(bytes, path);
}

absl::StatusOr<SparseIndex> SparseIndex::Parse(absl::string_view bytes, absl::string_view source) {
  const std::string where(source);
  constexpr size_t kDigest = 64;
  if (bytes.size() < sizeof(kMagic) + kDigest || std::memcmp(bytes.data(), kMagic, 8) != 0) {
    return absl::DataLossError(
        absl::StrCat(where, ": not a Trawl sparse index (expected the magic \"TRAWLSPX\")"));
  }
  const absl::string_view body = bytes.substr(0, bytes.size() - kDigest);
  const std::string sha = Sha256Hex(body);
  if (sha != bytes.substr(bytes.size() - kDigest)) {
    return absl::DataLossError(absl::StrCat(where, ": checksum mismatch (expected ",
                                            absl::CHexEscape(bytes.substr(bytes.size() - kDigest)),
                                            ", found ", sha,
                                            "): the file is truncated or corrupt"));
  }
  ByteReader in(body.substr(sizeof(kMagic)), where);
  SparseIndex index;
  uint32_t version = 0;
  uint8_t integer = 0, row_numbers = 0;
  RETURN_IF_ERROR(in.Get(&version, "header"));
  if (version != kVersion) {
    return in.Corrupt(absl::StrCat("expected version ", kVersion, ", found ", version));
  }
  RETURN_IF_ERROR(in.Get(&index.num_docs_, "header"));
  RETURN_IF_ERROR(in.Get(&integer, "header"));
  RETURN_IF_ERROR(in.Get(&row_numbers, "header"));
  // Searches allocate per document: the count is bounded by the file (16 documents a byte is far
  // beyond any real index, where documents without terms are rare).
  if (index.num_docs_ < 0 || index.num_docs_ >= kEnd ||
      static_cast<uint64_t>(index.num_docs_) > 16 * static_cast<uint64_t>(bytes.size())) {
    return in.Corrupt("bad document count");
  }
  index.integer_weights_ = integer != 0;
  if (row_numbers == 0) {
    if (static_cast<uint64_t>(index.num_docs_) > in.remaining() / 4) return in.Corrupt("bad ids");
    IdTable::Builder ids;
    std::string id;
    for (int64_t i = 0; i < index.num_docs_; ++i) {
      RETURN_IF_ERROR(in.GetString(&id, "ids"));
      ids.Add(id);
    }
    index.ids_ = std::move(ids).Build();
  }
  int64_t terms = 0;
  RETURN_IF_ERROR(in.Get(&terms, "terms"));
  if (terms < 0 || static_cast<uint64_t>(terms) > in.remaining() / 32) {
    return in.Corrupt("bad term count");
  }
  index.terms_.resize(terms);
  for (int64_t t = 0; t < terms; ++t) {
    Term& term = index.terms_[t];
    RETURN_IF_ERROR(in.GetString(&term.text, "terms"));
    RETURN_IF_ERROR(in.Get(&term.first_posting, "terms"));
    RETURN_IF_ERROR(in.Get(&term.count, "terms"));
    RETURN_IF_ERROR(in.Get(&term.first_block, "terms"));
    RETURN_IF_ERROR(in.Get(&term.max_weight, "terms"));
    if (!index.term_numbers_.emplace(term.text, static_cast<int32_t>(t)).second) {
      return in.Corrupt(absl::StrCat("term \"", absl::CEscape(term.text), "\" twice"));
    }
  }
  RETURN_IF_ERROR(in.GetVector(&index.weights_, "weights"));
  RETURN_IF_ERROR(in.GetVector(&index.doc_bytes_, "postings"));
  RETURN_IF_ERROR(in.GetVector(&index.block_last_doc_, "blocks"));
  RETURN_IF_ERROR(in.GetVector(&index.block_byte_offset_, "blocks"));
  RETURN_IF_ERROR(in.GetVector(&index.block_max_weight_, "blocks"));
  if (in.remaining() != 0) return in.Corrupt("bytes after the index");
  const int64_t blocks = static_cast<int64_t>(index.block_last_doc_.size());
  if (static_cast<int64_t>(index.block_byte_offset_.size()) != blocks ||
      static_cast<int64_t>(index.block_max_weight_.size()) != blocks) {
    return in.Corrupt("block tables of different sizes");
  }
  // Every list decodes inside its bytes to increasing documents below num_docs that end where the
  // block table says, with finite non-negative weights within the maxima: searches trust these.
  for (const Term& term : index.terms_) {
    if (term.count < 0 || term.count > static_cast<int64_t>(index.weights_.size()) ||
        !std::isfinite(term.max_weight) || term.max_weight < 0 ||
        (index.integer_weights_ &&
         (term.max_weight != std::floor(term.max_weight) || term.max_weight > 16777216))) {
      return in.Corrupt(absl::StrCat("term \"", absl::CEscape(term.text), "\" out of range"));
    }
    const int64_t list_blocks = (term.count + kBlockSize - 1) / kBlockSize;
    if (term.first_posting < 0 || term.first_block < 0 ||
        term.first_posting > static_cast<int64_t>(index.weights_.size()) - term.count ||
        term.first_block > blocks - list_blocks) {
      return in.Corrupt(absl::StrCat("term \"", absl::CEscape(term.text), "\" out of range"));
    }
    int32_t previous = -1;
    for (int64_t b = 0; b < list_blocks; ++b) {
      const int64_t block = term.first_block + b;
      int64_t at = index.block_byte_offset_[block];
      const int64_t count = std::min<int64_t>(kBlockSize, term.count - b * kBlockSize);
      for (int64_t i = 0; i < count; ++i) {
        uint64_t gap = 0;
        int shift = 0;
        uint8_t byte = 0;
        do {
          if (at < 0 || at >= static_cast<int64_t>(index.doc_bytes_.size()) || shift > 28) {
            return in.Corrupt(absl::StrCat("postings of \"", absl::CEscape(term.text), "\""));
          }
          byte = index.doc_bytes_[at++];
          gap |= static_cast<uint64_t>(byte & 127) << shift;
          shift += 7;
        } while ((byte & 128) == 0);
        const float weight = index.weights_[term.first_posting + b * kBlockSize + i];
        // Weights within the maxima (so finite, non-negative, and integers when the index says
        // so: the integer scorer converts them).
        if (gap == 0 || previous + static_cast<int64_t>(gap) >= index.num_docs_ || !(weight >= 0) ||
            weight > term.max_weight || !(weight <= index.block_max_weight_[block]) ||
            (index.integer_weights_ && weight != std::floor(weight))) {
          return in.Corrupt(absl::StrCat("postings of \"", absl::CEscape(term.text), "\""));
        }
        previous += static_cast<int32_t>(gap);
      }
      if (index.block_last_doc_[block] != previous) {
        return in.Corrupt(absl::StrCat("block table of \"", absl::CEscape(term.text), "\""));
      }
    }
  }
  return index;
}

}  // namespace trawl
