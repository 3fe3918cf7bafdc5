"""The proofs every derive carries, computed independently of the solver's answer.

* :mod:`.representation` — whether the output rule is a representation of the input group
  (by construction, or Schreier–Sims on the diagonal group D = ⟨(g_i, ρ_i)⟩, with a witness word);
* :mod:`.characters` — the character formula for the dimension of the equivariant maps;
* :mod:`.dimension` — the record comparing the derived dimension with the character formula.

The package imports nothing on its own.
"""
