"""ogmacro: overlapping-generations macro model for OG-CLEWS (placeholder init)."""
from .params import DEFAULT_PARAMS, ConvergenceError
