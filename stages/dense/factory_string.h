// Checking a FAISS factory string ("IVF4096,PQ32", "HNSW32", "OPQ16_64,IVF256,PQ16") before any
// data is there, so `trawl validate` and every stage's Open reject what FAISS 1.7.3 would crash on
// (a size of 0: "IVF0,Flat" and "HNSW0" segfault, "PQ0" dies of SIGFPE) or fail on later.
// Thread-safe.
#ifndef TRAWL_STAGES_DENSE_FACTORY_STRING_H_
#define TRAWL_STAGES_DENSE_FACTORY_STRING_H_

#include <string>

#include "absl/status/status.h"
#include "faiss/MetricType.h"

namespace trawl {

// OK when `factory` names an index FAISS can make: every size in it is from 1 to 2^30, and
// faiss::index_factory accepts it (made with one IVF list and a dimension every PQ size divides,
// so nothing large is allocated; when no such dimension is below 2^14, FAISS's parse waits for the
// build). InvalidArgument naming the string and the part at fault, with FAISS's own message when
// FAISS rejects it.
absl::Status CheckFactoryString(const std::string& factory, faiss::MetricType metric);

}  // namespace trawl

#endif  // TRAWL_STAGES_DENSE_FACTORY_STRING_H_
