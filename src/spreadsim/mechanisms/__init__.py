"""Pure array rules of the model: no Mesa, no state, no randomness of their own.

Each function takes numpy arrays and plain numbers and returns arrays, so the rules can be tested
on hand-computed inputs and applied to every provider and innovation at once.
"""
