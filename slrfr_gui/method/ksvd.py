"""K-SVD dictionary learning (Aharon, Elad, Bruckstein, IEEE TSP 54(11), 2006).

Sparse coding uses scikit-learn's batch OMP on the Gram matrix
(``orthogonal_mp_gram``); atom updates follow KSVD-Box practice (Rubinstein):
initialise from normalised training signals, update atoms in random order,
find an atom's users with ``!= 0``, and replace atoms used by too few signals
or too coherent with another by the worst-represented signal.
"""

from __future__ import annotations

import warnings

import numpy as np


def _normalise_columns(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=0)
    return matrix / np.where(norms > 1e-12, norms, 1.0)


def sparse_code(dictionary: np.ndarray, signals: np.ndarray, sparsity: int) -> np.ndarray:
    """Batch OMP: gamma_k = argmin ||y_k - D gamma||_2 s.t. ||gamma||_0 <= T0.

    Parameters
    ----------
    dictionary : ndarray of shape (d, K)
        Unit-norm atoms.
    signals : ndarray of shape (d, N)
    sparsity : int
        T0, the most non-zero coefficients per signal.

    Returns
    -------
    ndarray of shape (K, N), float64
    """
    from sklearn.linear_model import orthogonal_mp_gram  # imported here: 1.5 s the window need not wait for

    gram = dictionary.T @ dictionary
    xy = dictionary.T @ signals
    t0 = max(1, min(int(sparsity), dictionary.shape[1]))
    with warnings.catch_warnings():
        # OMP warns when a signal is represented exactly before T0 atoms.
        warnings.simplefilter("ignore", RuntimeWarning)
        codes = orthogonal_mp_gram(gram, xy, n_nonzero_coefs=t0, norms_squared=np.sum(signals**2, axis=0),
                                   copy_Gram=True, copy_Xy=False)
    return np.asarray(codes, dtype=np.float64).reshape(dictionary.shape[1], signals.shape[1])


def ksvd(signals: np.ndarray, n_atoms: int, sparsity: int, n_iter: int = 10,
         min_users: int = 3, max_coherence: float = 0.99, random_state=None, should_stop=None):
    """Learn a dictionary: min ||F - D Gamma||_F^2 s.t. ||gamma_k||_0 <= T0.

    Parameters
    ----------
    signals : ndarray of shape (d, N)
        Training signals F as columns.
    n_atoms : int
        K; the dictionary has K_i = min(K, N) atoms.
    sparsity : int
        T0.
    n_iter : int
        K-SVD iterations (sparse coding + atom update).
    min_users : int
        Atoms used by fewer signals are replaced (only when N is large enough
        for that to mean anything: N >= 2 * K_i).
    max_coherence : float
        An atom whose |inner product| with another exceeds this is replaced.
    random_state : int, Generator or None
    should_stop : callable() -> bool, optional
        Polled before every iteration and during its atom updates; True raises
        :class:`~slrfr_gui.errors.Cancelled`.

    Returns
    -------
    dictionary : ndarray of shape (d, K_i)
        Unit-norm atoms.
    codes : ndarray of shape (K_i, N)
    errors : list of float
        ||F - D Gamma||_F after each iteration's sparse coding, then once more
        at the end (length n_iter + 1, or less when the error reaches zero and
        the iterations stop early).
    """
    rng = np.random.default_rng(random_state)
    signals = np.asarray(signals, dtype=np.float64)
    d, n = signals.shape
    k = max(1, min(int(n_atoms), n))
    norms = np.linalg.norm(signals, axis=0)
    # Initialise from the k strongest distinct signals, normalised.
    order = np.argsort(-norms, kind="stable")[:k]
    dictionary = _normalise_columns(signals[:, order].copy())
    dead = np.linalg.norm(dictionary, axis=0) < 0.5
    if dead.any():
        dictionary[:, dead] = _normalise_columns(rng.standard_normal((d, int(dead.sum()))))
    errors = []
    codes = np.zeros((k, n))
    total = float(np.linalg.norm(signals))
    for _ in range(n_iter):
        if should_stop is not None and should_stop():
            from ..errors import Cancelled

            raise Cancelled("training was cancelled")
        codes = sparse_code(dictionary, signals, sparsity)
        errors.append(float(np.linalg.norm(signals - dictionary @ codes)))
        if errors[-1] <= 1e-10 * total:
            # Converged: every signal is represented exactly (always so from the start
            # when K >= N, since each signal is then an atom), and no update can change that.
            return dictionary, codes, errors + [errors[-1]]
        residual = signals - dictionary @ codes
        for j in rng.permutation(k):
            if should_stop is not None and j % 8 == 0 and should_stop():
                from ..errors import Cancelled

                raise Cancelled("training was cancelled")
            users = np.flatnonzero(codes[j] != 0)
            if users.size == 0:
                continue
            # Error without atom j, restricted to its users; best rank-1 update.
            err = residual[:, users] + np.outer(dictionary[:, j], codes[j, users])
            u, s, vt = np.linalg.svd(err, full_matrices=False)
            dictionary[:, j] = u[:, 0]
            codes[j, users] = s[0] * vt[0]
            residual[:, users] = err - np.outer(dictionary[:, j], codes[j, users])
        _replace_atoms(dictionary, codes, signals, residual, min_users if n >= 2 * k else 0, max_coherence)
    codes = sparse_code(dictionary, signals, sparsity)
    errors.append(float(np.linalg.norm(signals - dictionary @ codes)))
    return dictionary, codes, errors


def _replace_atoms(dictionary, codes, signals, residual, min_users, max_coherence) -> None:
    """Swap unused or duplicate atoms for the worst-represented signals (in place)."""
    k = dictionary.shape[1]
    gram = np.abs(dictionary.T @ dictionary)
    np.fill_diagonal(gram, 0.0)
    worst = list(np.argsort(-np.sum(residual**2, axis=0)))
    for j in range(k):
        users = np.count_nonzero(codes[j])
        if users >= min_users and gram[j].max() <= max_coherence:
            continue
        while worst:
            candidate = signals[:, worst.pop(0)]
            norm = np.linalg.norm(candidate)
            if norm > 1e-12:
                dictionary[:, j] = candidate / norm
                gram = np.abs(dictionary.T @ dictionary)
                np.fill_diagonal(gram, 0.0)
                break
