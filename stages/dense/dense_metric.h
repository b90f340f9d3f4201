// Metric helpers shared by the dense stages: FAISS's metric for ours, cosine normalisation, and
// the conversion of FAISS distances to Trawl's higher-is-better scores (pipelines/values.h).
#ifndef TRAWL_STAGES_DENSE_DENSE_METRIC_H_
#define TRAWL_STAGES_DENSE_DENSE_METRIC_H_

#include "faiss/MetricType.h"
#include "pipelines/values.h"
#include "stages/dense/dense_metric.pb.h"

namespace trawl {

faiss::MetricType ToFaissMetric(dense::Metric metric);

// A copy with every row scaled to unit L2 norm (all-zero rows stay zero).
DenseMatrix NormalizedRows(const DenseMatrix& matrix);
void NormalizeRowsInPlace(DenseMatrix& matrix);

// For COSINE, the normalised copy held in `storage`; otherwise `matrix` itself.
const DenseMatrix& PrepareForMetric(const DenseMatrix& matrix, dense::Metric metric,
                                    DenseMatrix& storage);

// Higher is better: the negated distance for L2, the similarity otherwise.
inline float ScoreFromFaissDistance(dense::Metric metric, float distance) {
  return metric == dense::L2 ? -distance : distance;
}

}  // namespace trawl

#endif  // TRAWL_STAGES_DENSE_DENSE_METRIC_H_
