"""The solver paths: from a lowered problem to the weight tying, behind one interface.

* :mod:`.tying` — the :class:`~invariant.solvers.tying.Tying` interface every path answers with;
* :mod:`.patterns` with :mod:`.partitions` — the pattern path (S_n, A_n; set partitions, any n);
* :mod:`.orbits` — the orbit path (signed orbits of the weight indices, integer arrays);
* :mod:`.polynomials`, :mod:`.matching`, :mod:`.rref` — the symbolic path (SymPy coefficient
  matching, then equality classes and exact rational RREF);
* :mod:`.components` — signed connected components, shared by the orbit and symbolic paths;
* :mod:`.lift` — the pattern classes at a small n, and what they determine at every n.

:func:`invariant.api.derive` chooses the path. The package imports nothing on its own.
"""
