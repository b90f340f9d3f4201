#!/usr/bin/python3
"""The other side of Trawl's index folders, as a Pyserini or FAISS user has it (Debian's
python3-faiss): open a folder the way Pyserini's FaissSearcher does (faiss.read_index on
`index`, one id per line of `docid`), or write one the way Pyserini's encoders do.

  faiss_folder_peer.py search FOLDER QUERIES.fvecs K OUT.run   # TREC run of the folder's index
  faiss_folder_peer.py write BASE.fvecs FOLDER                  # IndexFlatIP + docid "doc-<row>"

Scores in the run are what Trawl prints for the index's metric: the inner product, or the
negated squared L2 distance, with 6 decimals.
"""
import os
import sys

import faiss
import numpy as np


def read_fvecs(path):
    raw = np.fromfile(path, dtype=np.int32)
    dim = raw[0]
    return raw.reshape(-1, dim + 1)[:, 1:].copy().view(np.float32)


def search(folder, queries_path, k, out_path):
    index = faiss.read_index(os.path.join(folder, "index"))
    with open(os.path.join(folder, "docid")) as f:
        docids = [line.rstrip("\n") for line in f]
    assert len(docids) == index.ntotal, (len(docids), index.ntotal)
    queries = read_fvecs(queries_path)
    distances, labels = index.search(queries, k)
    inner_product = index.metric_type == faiss.METRIC_INNER_PRODUCT
    with open(out_path, "w") as out:
        for q in range(len(queries)):
            for rank, (d, label) in enumerate(zip(distances[q], labels[q]), start=1):
                if label < 0:
                    continue
                score = float(d) if inner_product else -float(d)
                out.write("%d Q0 %s %d %.6f faiss\n" % (q, docids[label], rank, score))


def write(base_path, folder):
    base = read_fvecs(base_path)
    index = faiss.IndexFlatIP(base.shape[1])
    index.add(base)
    os.makedirs(folder, exist_ok=True)
    faiss.write_index(index, os.path.join(folder, "index"))
    with open(os.path.join(folder, "docid"), "w") as f:
        for row in range(len(base)):
            f.write("doc-%d\n" % row)


if __name__ == "__main__":
    if sys.argv[1] == "search":
        search(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    elif sys.argv[1] == "write":
        write(sys.argv[2], sys.argv[3])
    else:
        sys.exit("usage: faiss_folder_peer.py search|write ...")
