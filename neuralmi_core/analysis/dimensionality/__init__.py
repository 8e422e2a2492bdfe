"""Dimensionality mode: latent dimensionality from the MI-vs-embedding-dim curve of a separable critic.

Internal information (``y`` not given): X's channels are split at random into two equal halves X_A, X_B
(``n_splits`` halvings) and I(X_A; X_B) is estimated with a separable critic g(x_A)·h(x_B) whose
embedding size d is swept. If both halves observe the same k-dimensional latent, the MI rises with d
until d ≈ k and then saturates; the saturation dim (:mod:`.saturation`) estimates k. Interaction
dimensionality (``y`` given): the same sweep for I(X; Y), with ``n_splits`` replicates that differ in
their train/test split and initialisation.

One (embedding_dim, seed) *cell* (all halvings) trains as one batched ensemble and depends on nothing
else, so cells can be separate jobs and be gathered (:func:`gather_dimensionality`) into the numbers of
one :func:`dimensionality` call. SMILE (clip tau = 5) is the default estimator: the internal information
of a shared latent can be large, and InfoNCE would saturate at log(batch) first (seed ``000_*`` §6).

Reference: Abdelaleem, E., Martini, K. M. & Nemenman, I. (2025). Accurate estimation of mutual
information in high dimensional data. arXiv:2506.00330.
"""

from .compute import dimensionality, gather_dimensionality, train_cell
from .declaration import ANALYSIS, DEFAULT_DIMS, DimensionalityAnalysis
from .result import DimensionalityMember, DimensionalityResult, summarize_dimensionality

__all__ = ["ANALYSIS", "DEFAULT_DIMS", "DimensionalityAnalysis", "DimensionalityMember", "DimensionalityResult", "dimensionality", "gather_dimensionality", "summarize_dimensionality", "train_cell"]
