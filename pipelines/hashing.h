// SHA-256 of a byte string as lowercase hex (OpenSSL's libcrypto). Thread-safe.
#ifndef TRAWL_PIPELINES_HASHING_H_
#define TRAWL_PIPELINES_HASHING_H_

#include <string>

#include "absl/strings/string_view.h"

namespace trawl {

std::string Sha256Hex(absl::string_view data);

}  // namespace trawl

#endif  // TRAWL_PIPELINES_HASHING_H_
