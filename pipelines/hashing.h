// SHA-256 as lowercase hex (OpenSSL's libcrypto): of one byte string, or of several fed in turn
// (large values hashed in place, without joining them first). Thread-safe (Sha256 objects: not).
//
//   Sha256 hash;
//   hash.Update(header);
//   hash.Update(absl::string_view(floats, bytes));
//   std::string hex = hash.Hex();
#ifndef TRAWL_PIPELINES_HASHING_H_
#define TRAWL_PIPELINES_HASHING_H_

#include <memory>
#include <string>

#include "absl/strings/string_view.h"

namespace trawl {

std::string Sha256Hex(absl::string_view data);

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  void Update(absl::string_view data);
  // The digest of everything fed so far; the object is finished after it.
  std::string Hex();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace trawl

#endif  // TRAWL_PIPELINES_HASHING_H_
