#include "stages/dense/dense_metric.h"

#include <cmath>

namespace trawl {

faiss::MetricType ToFaissMetric(dense::Metric metric) {
  return metric == dense::L2 ? faiss::METRIC_L2 : faiss::METRIC_INNER_PRODUCT;
}

DenseMatrix NormalizedRows(const DenseMatrix& matrix) {
  DenseMatrix out = matrix;
  NormalizeRowsInPlace(out);
  return out;
}

void NormalizeRowsInPlace(DenseMatrix& out) {
  for (int64_t i = 0; i < out.rows; ++i) {
    float* row = out.data.data() + i * out.dim;
    double norm_sq = 0;
    for (int64_t j = 0; j < out.dim; ++j) norm_sq += static_cast<double>(row[j]) * row[j];
    if (norm_sq == 0) continue;
    const float scale = static_cast<float>(1.0 / std::sqrt(norm_sq));
    for (int64_t j = 0; j < out.dim; ++j) row[j] *= scale;
  }
}

const DenseMatrix& PrepareForMetric(const DenseMatrix& matrix, dense::Metric metric,
                                    DenseMatrix& storage) {
  if (metric != dense::COSINE) return matrix;
  storage = NormalizedRows(matrix);
  return storage;
}

}  // namespace trawl
