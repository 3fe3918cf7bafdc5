"""The symmetry: permutations, the groups acting on a layer's inputs, and the actions on its outputs.

* :mod:`.permutations` — permutations of 0..n-1 as image tuples, cycle notation;
* :mod:`.permutation_groups` — finite permutation groups: the named families and groups given
  by generators, their orders and conjugacy-class sums;
* :mod:`.actions` — the output action ρ: each group element to a signed permutation of the outputs.

Nothing here knows about layers, weights or solvers. The package imports nothing on its own;
import the module that owns a name.
"""
