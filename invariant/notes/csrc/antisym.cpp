// Exact antisymmetrization on the CPU: depth-first walk over permutations.
//
// For a row g (an n x n matrix, g[i][j] = w_i . x_j) and a fixed prefix of columns, the walk
// adds g[t][j] for the chosen column j at position t and flips the sign by the parity of the
// unused columns smaller than j (the inversions j creates). The last three positions are
// written out (six leaves). Blocks of R rows share the walk, so the leaf sums vectorize.
#include <torch/extension.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <thread>
#include <vector>

namespace {

template <int ACT>
inline double tau(double v) {
  if constexpr (ACT == 0) return std::fmax(v, 0.0);  // branchless: signs are random
  else if constexpr (ACT == 1) return std::tanh(v);
  else if constexpr (ACT == 2) return 1.0 / (1.0 + std::exp(-v));
  else if constexpr (ACT == 3) return v > 20.0 ? v : std::log1p(std::exp(v));
  else return std::sin(100.0 * v);
}

constexpr int R = 8;  // rows walked together: the tree is the same, the leaf sums vectorize

// gt: G transposed to (n, n, rows) so that the R rows of a block are contiguous; stride = rows.
template <int ACT>
void walk(const double* gt, int64_t stride, int n, int t, uint32_t used, const double* partial, double sign,
          double* acc) {
  const uint32_t free = ~used & ((1u << n) - 1u);
  if (t == n - 3) {  // three unused columns a < b < c: the six leaves, signs + - - + + -
    uint32_t rest = free;
    const int a = __builtin_ctz(rest); rest &= rest - 1;
    const int b = __builtin_ctz(rest); rest &= rest - 1;
    const int c = __builtin_ctz(rest);
    const double* r0 = gt + (int64_t)t * n * stride;
    const double* r1 = r0 + n * stride;
    const double* r2 = r1 + n * stride;
    const double *a0 = r0 + a * stride, *b0 = r0 + b * stride, *c0 = r0 + c * stride;
    const double *a1 = r1 + a * stride, *b1 = r1 + b * stride, *c1 = r1 + c * stride;
    const double *a2 = r2 + a * stride, *b2 = r2 + b * stride, *c2 = r2 + c * stride;
    for (int r = 0; r < R; ++r) {
      const double p = partial[r];
      acc[r] += sign * (tau<ACT>(p + a0[r] + b1[r] + c2[r]) - tau<ACT>(p + a0[r] + c1[r] + b2[r])
                        - tau<ACT>(p + b0[r] + a1[r] + c2[r]) + tau<ACT>(p + b0[r] + c1[r] + a2[r])
                        + tau<ACT>(p + c0[r] + a1[r] + b2[r]) - tau<ACT>(p + c0[r] + b1[r] + a2[r]));
    }
    return;
  }
  const double* row = gt + (int64_t)t * n * stride;
  double next[R];
  int rank = 0;
  for (uint32_t rest = free; rest; rest &= rest - 1, ++rank) {
    const int j = __builtin_ctz(rest);
    const double* col = row + j * stride;
    for (int r = 0; r < R; ++r) next[r] = partial[r] + col[r];
    walk<ACT>(gt, stride, n, t + 1, used | (1u << j), next, (rank & 1) ? -sign : sign, acc);
  }
}

template <int ACT>
void run(const double* gt, const int64_t* prefixes, int64_t rows, int64_t num_prefixes, int64_t c, int n, double* out) {
  const int64_t blocks = rows / R;  // rows is a multiple of R (padded by the caller)
  const int64_t tasks = blocks * num_prefixes;
  auto work = [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      const int64_t blk = task / num_prefixes, p = task % num_prefixes;
      const double* base = gt + blk * R;
      uint32_t used = 0;
      double partial[R] = {0.0};
      double sign = 1.0;
      for (int64_t t = 0; t < c; ++t) {
        const int j = static_cast<int>(prefixes[p * c + t]);
        int smaller_unused = 0;
        for (int i = 0; i < j; ++i) smaller_unused += !(used & (1u << i));
        if (smaller_unused & 1) sign = -sign;
        used |= 1u << j;
        const double* col = base + ((int64_t)t * n + j) * rows;
        for (int r = 0; r < R; ++r) partial[r] += col[r];
      }
      double acc[R] = {0.0};
      walk<ACT>(base, rows, n, static_cast<int>(c), used, partial, sign, acc);
      for (int r = 0; r < R; ++r) out[(blk * R + r) * num_prefixes + p] = acc[r];
    }
  };
  // Plain threads, interleaved task ranges (no second OpenMP runtime beside torch's).
  const int64_t workers = std::max<int64_t>(1, std::min<int64_t>(at::get_num_threads(), tasks));
  std::vector<std::thread> pool;
  for (int64_t k = 1; k < workers; ++k) pool.emplace_back(work, tasks * k / workers, tasks * (k + 1) / workers);
  work(0, tasks / workers);
  for (auto& th : pool) th.join();
}

}  // namespace

// g: (rows, n, n) float64; prefixes: (P, c) int64 with c <= n - 3; returns (rows, P).
torch::Tensor antisymmetrize_rows(torch::Tensor g, torch::Tensor prefixes, int64_t activation) {
  TORCH_CHECK(g.dtype() == torch::kFloat64 && g.dim() == 3, "g must be float64 (rows, n, n)");
  TORCH_CHECK(prefixes.dtype() == torch::kInt64 && prefixes.dim() == 2 && prefixes.is_contiguous(), "prefixes must be (P, c) int64");
  const int n = static_cast<int>(g.size(1));
  TORCH_CHECK(n >= 3 && n <= 31 && prefixes.size(1) <= n - 3, "need 3 <= n <= 31 and c <= n - 3");
  const int64_t rows = g.size(0), padded = (rows + R - 1) / R * R;
  // (n, n, padded rows): the rows of a block are contiguous; padding rows are zero and dropped.
  auto gt = torch::zeros({n, n, padded}, g.options());
  gt.narrow(2, 0, rows).copy_(g.permute({1, 2, 0}));
  auto out = torch::empty({padded, prefixes.size(0)}, g.options());
  const double* gp = gt.data_ptr<double>();
  const int64_t* pp = prefixes.data_ptr<int64_t>();
  double* op = out.data_ptr<double>();
  switch (activation) {
    case 0: run<0>(gp, pp, padded, prefixes.size(0), prefixes.size(1), n, op); break;
    case 1: run<1>(gp, pp, padded, prefixes.size(0), prefixes.size(1), n, op); break;
    case 2: run<2>(gp, pp, padded, prefixes.size(0), prefixes.size(1), n, op); break;
    case 3: run<3>(gp, pp, padded, prefixes.size(0), prefixes.size(1), n, op); break;
    case 4: run<4>(gp, pp, padded, prefixes.size(0), prefixes.size(1), n, op); break;
    default: TORCH_CHECK(false, "unknown activation code");
  }
  return out.narrow(0, 0, rows);
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("antisymmetrize_rows", &antisymmetrize_rows, "exact antisymmetrized sums per row and prefix");
}
