"""The proofs every derive carries, computed independently of the solver's answer.

* :mod:`.characters` — the character formula for the dimension of the equivariant maps;
* :mod:`.dimension` — the record comparing the derived dimension with the character formula.

The package imports nothing on its own.
"""
