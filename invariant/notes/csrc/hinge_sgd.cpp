// Batch-1 SGD on the hinge loss for R independent one-hidden-layer ReLU networks (note 003).
//
// The same arithmetic as invariant.parity.sgd_step, step for step and in the same order of
// samples (given as `orders`), without a Python round trip per sample. Runs are independent,
// so threads take them one at a time. A run whose epoch made no update is at a fixed point
// (every sample has y N(x) > beta, in any order), so its later epochs are skipped: count 0. A tied hidden layer keeps its flat weights (W, B) = E theta
// with E sparse: entry e adds coeff[e] * theta[param[e]] to flat[pos[e]].
#include <torch/extension.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

torch::Tensor sgd_epochs(torch::Tensor W, torch::Tensor B, torch::Tensor M, torch::Tensor b, torch::Tensor theta,
                         torch::Tensor pos, torch::Tensor param, torch::Tensor coeff, torch::Tensor x,
                         torch::Tensor y, torch::Tensor orders, torch::Tensor h, torch::Tensor beta,
                         torch::Tensor freeze) {
  const int64_t R = W.size(0), H = W.size(1), n = W.size(2), m = x.size(1), E = orders.size(0);
  const bool tied = theta.numel() > 0;
  const int64_t k = tied ? theta.size(1) : 0, nnz = pos.numel();
  auto updates = torch::zeros({E, R}, torch::kInt64);
  double *Wp = W.data_ptr<double>(), *Bp = B.data_ptr<double>(), *Mp = M.data_ptr<double>(), *bp = b.data_ptr<double>();
  double* Tp = tied ? theta.data_ptr<double>() : nullptr;
  const int64_t* posp = pos.data_ptr<int64_t>();
  const int64_t* parp = param.data_ptr<int64_t>();
  const double* cp = coeff.data_ptr<double>();
  const double *xp = x.data_ptr<double>(), *yp = y.data_ptr<double>(), *hp = h.data_ptr<double>(), *betap = beta.data_ptr<double>();
  const bool* fp = freeze.data_ptr<bool>();
  const int64_t* op = orders.data_ptr<int64_t>();
  int64_t* up = updates.data_ptr<int64_t>();
  std::atomic<int64_t> next{0};
  auto work = [&]() {
    std::vector<double> pre(H), back(H), grad(tied ? H * n + H : 0);
    for (int64_t r = next++; r < R; r = next++) {
      double *w = Wp + r * H * n, *bias = Bp + r * H, *mo = Mp + r * H, *th = tied ? Tp + r * k : nullptr;
      for (int64_t e = 0; e < E; ++e) {
        int64_t count = 0;
        for (int64_t t = 0; t < m; ++t) {
          const int64_t i = op[(e * R + r) * m + t];
          const double* xi = xp + (r * m + i) * n;
          const double yi = yp[r * m + i];
          double out = bp[r];
          for (int64_t u = 0; u < H; ++u) {
            double s = bias[u];
            const double* wu = w + u * n;
            for (int64_t j = 0; j < n; ++j) s += wu[j] * xi[j];
            pre[u] = s;
            out += (s > 0 ? s : 0.0) * mo[u];
          }
          if (!(yi * out <= betap[r])) continue;
          ++count;
          const double step = yi * hp[r];
          for (int64_t u = 0; u < H; ++u) {
            back[u] = pre[u] > 0 ? mo[u] * step : 0.0;
            mo[u] += (pre[u] > 0 ? pre[u] : 0.0) * step;
          }
          bp[r] += step;
          if (fp[r]) continue;
          if (!tied) {
            for (int64_t u = 0; u < H; ++u) {
              if (back[u] == 0.0) continue;
              double* wu = w + u * n;
              for (int64_t j = 0; j < n; ++j) wu[j] += back[u] * xi[j];
              bias[u] += back[u];
            }
          } else {
            for (int64_t u = 0; u < H; ++u) {
              for (int64_t j = 0; j < n; ++j) grad[u * n + j] = back[u] * xi[j];
              grad[H * n + u] = back[u];
            }
            for (int64_t q = 0; q < nnz; ++q) th[parp[q]] += cp[q] * grad[posp[q]];
            std::fill(w, w + H * n, 0.0);
            std::fill(bias, bias + H, 0.0);
            for (int64_t q = 0; q < nnz; ++q) {
              const int64_t f = posp[q];
              (f < H * n ? w[f] : bias[f - H * n]) += cp[q] * th[parp[q]];
            }
          }
        }
        up[e * R + r] = count;
        if (count == 0) break;
      }
    }
  };
  // Plain threads (no second OpenMP runtime beside torch's).
  const int64_t workers = std::max<int64_t>(1, std::min<int64_t>(at::get_num_threads(), R));
  std::vector<std::thread> pool;
  for (int64_t k = 1; k < workers; ++k) pool.emplace_back(work);
  work();
  for (auto& th : pool) th.join();
  return updates;
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("sgd_epochs", &sgd_epochs, "batch-1 hinge-loss SGD epochs for independent runs, in place");
}
