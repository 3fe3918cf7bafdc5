"""The hidden GL symmetry: an invertible M on a hidden layer, undone by the next layer.

The note's neurons have no activation, so replacing the units h of hidden layer l by M h and
every quadratic form S_k of the next layer by M^{-T} S_k M^{-1} (linear rows B by B M^{-1})
leaves the network's function unchanged. The variety is therefore GL-stable, latent actions
are linear representations (conjugate by M), and the functions a component reaches are
counted modulo these orbits (the Jacobian of weights → coefficients is blind to them).
"""

from __future__ import annotations

import numpy as np


def _sym(Wrow: np.ndarray, a: int) -> np.ndarray:
    I, J = np.triu_indices(a)
    S = np.zeros((a, a))
    S[I, J] += Wrow / 2
    S[J, I] += Wrow / 2
    return S


def _tri(S: np.ndarray) -> np.ndarray:
    a = S.shape[0]
    I, J = np.triu_indices(a)
    return np.where(I == J, S[I, J], S[I, J] + S[J, I])


def _rows(net, w, l):
    """Views into w: producing-layer blocks (W, B, C) of layer l-1 and consuming blocks of layer l."""
    return net._layer_params(l - 1, w), net._layer_params(l, w)


def act(net, w: np.ndarray, l: int, M: np.ndarray) -> np.ndarray:
    """The weights after h_l ↦ M h_l (hidden layer l = 1..L-1); the function is unchanged."""
    w = np.array(w, dtype=float)
    (Wp, Bp, Cp), (Wc, Bc, _) = _rows(net, w, l)
    a = net.spec.widths[l]
    Minv = np.linalg.inv(M)
    Wp[...] = M @ Wp
    if Bp is not None:
        Bp[...] = M @ Bp
    if Cp is not None:
        Cp[...] = M @ Cp
    for k in range(Wc.shape[0]):
        Wc[k] = _tri(Minv.T @ _sym(Wc[k], a) @ Minv)
    if Bc is not None:
        Bc[...] = Bc @ Minv
    return w


def tangent(net, w: np.ndarray, l: int, X: np.ndarray) -> np.ndarray:
    """d/dt of act(w, l, I + tX) at t = 0."""
    w = np.asarray(w, dtype=float)
    d = np.zeros_like(w)
    (Wp, Bp, Cp), (Wc, Bc, _) = _rows(net, w, l)
    (dWp, dBp, dCp), (dWc, dBc, _) = _rows(net, d, l)
    a = net.spec.widths[l]
    dWp[...] = X @ Wp
    if Bp is not None:
        dBp[...] = X @ Bp
    if Cp is not None:
        dCp[...] = X @ Cp
    for k in range(Wc.shape[0]):
        S = _sym(Wc[k], a)
        dWc[k] = _tri(-(X.T @ S + S @ X))
    if Bc is not None:
        dBc[...] = -Bc @ X
    return d


def orbit_tangent(net, w: np.ndarray) -> np.ndarray:
    """Columns spanning the tangent space of the GL orbit through w (all hidden layers)."""
    cols = []
    for l in range(1, net.spec.num_layers):
        a = net.spec.widths[l]
        for i in range(a):
            for j in range(a):
                X = np.zeros((a, a))
                X[i, j] = 1.0
                cols.append(tangent(net, w, l, X))
    return np.array(cols).T if cols else np.zeros((len(w), 0))


def random_gl(net, w: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """w moved by a random, well-conditioned M on every hidden layer."""
    for l in range(1, net.spec.num_layers):
        a = net.spec.widths[l]
        Q, _ = np.linalg.qr(rng.standard_normal((a, a)))
        M = Q @ np.diag(rng.uniform(0.5, 2.0, a)) @ np.linalg.qr(rng.standard_normal((a, a)))[0]
        w = act(net, w, l, M)
    return w
