import numpy as np

from slrfr_gui.method.ksvd import ksvd, sparse_code


def sparse_signals(seed=0, d=20, k=8, n=200, t0=3):
    rng = np.random.default_rng(seed)
    true = rng.standard_normal((d, k))
    true /= np.linalg.norm(true, axis=0)
    codes = np.zeros((k, n))
    for j in range(n):
        idx = rng.choice(k, t0, replace=False)
        codes[idx, j] = rng.standard_normal(t0)
    return true @ codes + 0.01 * rng.standard_normal((d, n))


def test_ksvd_reduces_the_representation_error_and_keeps_unit_atoms():
    signals = sparse_signals()
    dictionary, codes, errors = ksvd(signals, n_atoms=8, sparsity=3, n_iter=15, random_state=0)
    assert dictionary.shape == (20, 8)
    np.testing.assert_allclose(np.linalg.norm(dictionary, axis=0), 1.0, atol=1e-10)
    assert np.all(np.count_nonzero(codes, axis=0) <= 3)
    assert errors[-1] < 0.7 * errors[0]
    # Never clearly worse after an iteration (OMP is greedy, so tiny rises can happen).
    assert all(b <= a * 1.01 for a, b in zip(errors, errors[1:]))


def test_ksvd_with_as_many_atoms_as_signals_keeps_their_span():
    rng = np.random.default_rng(1)
    signals = rng.standard_normal((30, 10))
    dictionary, _, errors = ksvd(signals, n_atoms=12, sparsity=3, n_iter=5, random_state=0)
    assert dictionary.shape == (30, 10)
    assert errors[-1] < 1e-8
    proj = dictionary @ np.linalg.lstsq(dictionary, signals, rcond=None)[0]
    np.testing.assert_allclose(proj, signals, atol=1e-8)


def test_sparse_code_respects_sparsity():
    rng = np.random.default_rng(2)
    d = rng.standard_normal((15, 6))
    d /= np.linalg.norm(d, axis=0)
    codes = sparse_code(d, rng.standard_normal((15, 40)), 2)
    assert codes.shape == (6, 40)
    assert np.all(np.count_nonzero(codes, axis=0) <= 2)
