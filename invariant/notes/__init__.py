"""The source notes' experiments' numerics, kept outside the compiler.

The compiler (the rest of :mod:`invariant`) derives and emits symmetric layers; this
subpackage holds the numerical machinery of the notes' experiments that ``examples/`` runs:

* :mod:`invariant.notes.antisym` — exact antisymmetrization Σ_σ sgn(σ) f(x_σ) of a two-layer
  network (note 000), with a C++ kernel in ``csrc/antisym.cpp``;
* :mod:`invariant.notes.localization` — one ReLU neuron on translation-invariant data (note 002);
* :mod:`invariant.notes.parity` — symmetric Boolean functions learned by batch-1 hinge SGD
  (note 003), with a C++ epoch loop in ``csrc/hinge_sgd.cpp``;
* :mod:`invariant.notes.jacobian` — mean-field criticality and Jacobian spectra (note 004);
* :mod:`invariant.notes.runtime` — what the experiments share: device, output directory,
  thread count, progress lines, the C++ extension loader.

The direction of use is one way: these modules may use only the compiler's public API
(``invariant.derive``, ``invariant.compile``, ``invariant.LayerSpec``, the methods of
``Solution``, ``invariant.errors``, ``invariant.files``) and the compiler never imports them.
Importing any of them does not import sympy.
"""
