# PyTorch brute force (matmul + topk), the peer of tools/exact_gpu_benchmark.cc: the same method
# and data generator as shared/anchors/torch_peer.py (1,000 centres N(0, 4^2), noise N(0, 1), the
# distribution of the benchmark's data, drawn by torch's generator;
# fp32, no TF32), at each benchmark point. The batch is lowered where 2048 x rows fp32 scores
# would not fit (at most 8 GiB of scores). Prints "rows dim k qps" lines.
#   python3 tools/exact_torch_peer.py 1000000x128,1000000x768,10000000x128 10,100 10000
import sys
import time

import torch


def main():
    points = [tuple(int(v) for v in p.split("x")) for p in sys.argv[1].split(",")]
    ks = [int(k) for k in sys.argv[2].split(",")]
    nq = int(sys.argv[3])
    torch.backends.cuda.matmul.allow_tf32 = False
    for nb, d in points:
        torch.manual_seed(123)
        cent = torch.randn(1000, d, device="cuda") * 4
        xb = cent[torch.randint(0, 1000, (nb,), device="cuda")] + torch.randn(nb, d, device="cuda")
        xq = cent[torch.randint(0, 1000, (nq,), device="cuda")] + torch.randn(nq, d, device="cuda")
        xb_n = (xb * xb).sum(1)
        bs = max(1, min(2048, (8 << 30) // (4 * nb)))
        for k in ks:
            def search():
                out = []
                for i in range(0, nq, bs):
                    q = xq[i:i + bs]
                    dist = xb_n[None, :] - 2 * (q @ xb.T)
                    out.append(torch.topk(dist, k, dim=1, largest=False).indices)
                return torch.cat(out)
            search()
            torch.cuda.synchronize()
            best = 1e9
            for _ in range(3):
                t = time.perf_counter()
                search()
                torch.cuda.synchronize()
                best = min(best, time.perf_counter() - t)
            print(f"{nb} {d} {k} {nq / best:.0f}", flush=True)
        del xb, xq, xb_n, cent
        torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
