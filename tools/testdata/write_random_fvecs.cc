// Writes ROWS x DIM random float32 vectors (uniform in [-1, 1), fixed seed) as an .fvecs file, a
// record at a time through stdio's buffer: large test files (tools/host_memory_peak.sh) without
// holding them in memory.
//
//   write_random_fvecs OUT.fvecs ROWS DIM
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: write_random_fvecs OUT.fvecs ROWS DIM\n");
    return 2;
  }
  const int64_t rows = std::atoll(argv[2]);
  const int32_t dim = std::atoi(argv[3]);
  std::FILE* out = std::fopen(argv[1], "wb");
  if (out == nullptr || rows <= 0 || dim <= 0) {
    std::fprintf(stderr, "write_random_fvecs: cannot write %s rows %s dim %s\n", argv[1], argv[2],
                 argv[3]);
    return 1;
  }
  uint64_t state = 0x9E3779B97F4A7C15ull;
  std::vector<float> row(dim);
  for (int64_t i = 0; i < rows; ++i) {
    for (float& v : row) {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      v = static_cast<float>(state >> 40) / 8388608.0f - 1.0f;
    }
    std::fwrite(&dim, 4, 1, out);
    std::fwrite(row.data(), 4, dim, out);
  }
  return std::fclose(out) == 0 ? 0 : 1;
}
