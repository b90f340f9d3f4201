// Byte builders for vector files in tests and fuzz seeds: each writes the format as its
// documentation describes it, independently of the parsers in vectors.cc.
#ifndef TRAWL_STAGES_FORMATS_VECTORS_TESTING_H_
#define TRAWL_STAGES_FORMATS_VECTORS_TESTING_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace trawl {
namespace testing {

// fvecs / ivecs / bvecs records: an int32 dimension, then the values as T.
template <typename T>
std::string Vecs(const std::vector<std::vector<T>>& rows) {
  std::string bytes;
  for (const auto& row : rows) {
    const int32_t d = static_cast<int32_t>(row.size());
    bytes.append(reinterpret_cast<const char*>(&d), 4);
    bytes.append(reinterpret_cast<const char*>(row.data()), row.size() * sizeof(T));
  }
  return bytes;
}

// A version-1 .npy file: magic, version, header length, the header dict padded with spaces to a
// multiple of 64 bytes and ended by "\n", then `data`.
inline std::string Npy(const std::string& descr, const std::string& shape, const std::string& data,
                       const std::string& fortran_order = "False") {
  std::string header = "{'descr': '" + descr + "', 'fortran_order': " + fortran_order +
                       ", 'shape': " + shape + ", }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string bytes = "\x93NUMPY\x01";
  bytes += '\0';
  const uint16_t length = static_cast<uint16_t>(header.size());
  bytes.append(reinterpret_cast<const char*>(&length), 2);
  return bytes + header + data;
}

template <typename T>
std::string RawBytes(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

}  // namespace testing
}  // namespace trawl

#endif  // TRAWL_STAGES_FORMATS_VECTORS_TESTING_H_
