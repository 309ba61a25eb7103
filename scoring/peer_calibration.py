"""Loans grouped into cells, and PDs recalibrated within peer groups.

A *cell* is ``(manager, peer group, PD value)`` with the number of loans and of problem
loans in it. Per-loan input and input aggregated in SQL become the same sorted cells, so
everything computed from them is the same to the last bit.

Peer groups (segment, channel, product) let the expectation follow what honest managers
of the same kind actually do: when a segment's PDs run low for everyone, the segment's
odds are scaled up before any manager is tested, instead of every manager of that segment
looking suspicious.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from scoring.poisson_binomial import gsum

__all__ = ["Cells", "PeerCalibration", "build_cells", "calibrate_peers", "tilt"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class Cells:
    """Loans aggregated per ``(manager, peer group, PD)``, sorted in that order."""

    managers: npt.NDArray[Any]
    peers: npt.NDArray[Any]
    manager: IntArray
    peer: IntArray
    pd: FloatArray
    n: IntArray
    bad: IntArray

    @property
    def n_managers(self) -> int:
        return int(self.managers.size)


def build_cells(
    manager: npt.ArrayLike,
    pd: npt.ArrayLike,
    n_loans: npt.ArrayLike,
    n_bad: npt.ArrayLike,
    peer_group: npt.ArrayLike | None,
) -> Cells:
    """Validate the input and aggregate it into sorted cells.

    Rows with the same manager, peer group and PD are summed (integer sums, exact); rows
    with no loans are dropped. Raises ``ValueError`` for misaligned arrays, PDs outside
    (0, 1), negative counts or more problems than loans.
    """
    ids = np.asarray(manager)
    p = np.asarray(pd, dtype=np.float64).ravel()
    n_raw = np.asarray(n_loans).ravel()
    b_raw = np.asarray(n_bad).ravel()
    if ids.ndim != 1 or ids.shape != p.shape or n_raw.shape != p.shape or b_raw.shape != p.shape:
        raise ValueError("manager, pd and the counts must be 1-D arrays of the same length")
    if peer_group is not None and np.asarray(peer_group).shape != p.shape:
        raise ValueError("peer_group must be aligned with manager")
    if p.size == 0:
        raise ValueError("no loans")
    if np.any(~(p > 0.0) | ~(p < 1.0)):
        raise ValueError("pd must lie strictly inside (0, 1)")
    n = n_raw.astype(np.int64)
    b = b_raw.astype(np.int64)
    if np.any(n != n_raw) or np.any(b != b_raw):
        raise ValueError("counts must be integers")
    if np.any(n < 0) or np.any(b < 0) or np.any(b > n):
        raise ValueError("counts must satisfy 0 <= problems <= loans")
    keep = n > 0
    if not np.any(keep):
        raise ValueError("no loans")
    ids, p, n, b = ids[keep], p[keep], n[keep], b[keep]
    managers, m_inv = np.unique(ids, return_inverse=True)
    if peer_group is None:
        peers = np.array(["all"])
        g_inv = np.zeros(p.size, dtype=np.int64)
    else:
        peers, g_inv = np.unique(np.asarray(peer_group)[keep], return_inverse=True)
    m_inv = m_inv.astype(np.int64).ravel()
    g_inv = g_inv.astype(np.int64).ravel()
    # by (manager, peer) then PD: PD first, then a stable sort on one integer key (faster
    # than a three-key lexsort; the order among equal cells does not matter, they are summed)
    by_pd = np.argsort(p)
    key = m_inv * int(peers.size) + g_inv
    order = by_pd[np.argsort(key[by_pd], kind="stable")]
    mc, gc, pc = m_inv[order], g_inv[order], p[order]
    new = np.ones(p.size, dtype=bool)
    new[1:] = (mc[1:] != mc[:-1]) | (gc[1:] != gc[:-1]) | (pc[1:] != pc[:-1])
    starts = np.flatnonzero(new)
    return Cells(
        managers=managers,
        peers=peers,
        manager=mc[starts],
        peer=gc[starts],
        pd=pc[starts],
        n=np.add.reduceat(n[order], starts).astype(np.int64),
        bad=np.add.reduceat(b[order], starts).astype(np.int64),
    )


def tilt(p: FloatArray, shift: FloatArray) -> FloatArray:
    """Probabilities with their log-odds moved by ``shift``: ``p e^s / (1 - p + p e^s)``."""
    a = p * np.exp(shift)
    out: FloatArray = a / (1.0 - p + a)
    return out


@dataclass(frozen=True, eq=False)
class PeerCalibration:
    """Log-odds shift per peer group (0 where not applied; ``solved`` before that)."""

    shift: FloatArray
    effective_managers: FloatArray
    applied: BoolArray
    solved: FloatArray


def calibrate_peers(
    cells: Cells,
    include: BoolArray,
    tau2: float,
    *,
    min_managers: float = 10.0,
    max_shift: float = 3.0,
    start: FloatArray | None = None,
) -> PeerCalibration:
    """Log-odds shift ``a_g`` per peer group that makes honest managers' PDs fit.

    Parameters
    ----------
    cells : Cells
    include : numpy.ndarray of bool, shape (n_managers,)
        Managers whose loans inform the calibration (those not flagged so far).
    tau2 : float
        Current between-manager log-odds variance.
    min_managers : float
        A group is recalibrated only when its expected problems are spread over at
        least this many managers (``n_eff = (sum_m E_mg)^2 / sum_m E_mg^2``): a group
        that is one manager's book cannot be told apart from that manager.
    max_shift : float
        Bound on ``|a_g|`` (odds factor ``e^3 ~ 20``).
    start : numpy.ndarray, optional
        Shifts to start Newton's method from (the previous round's).

    Notes
    -----
    ``a_g`` solves ``sum_i [pi_i + tau^2/2 pi_i (1 - pi_i)(1 - 2 pi_i)] = O_g`` over the
    included loans of group ``g``, ``pi_i = tilt(p_i, a_g)``: the expected count of an
    honest manager whose log-odds effect is ``N(0, tau^2)`` (second-order in ``b``),
    so the calibration centres the median honest manager, not the mean.
    """
    n_peers = int(cells.peers.size)
    sel = include[cells.manager]
    w = (cells.n * sel).astype(np.float64)
    e_cell = w * cells.pd
    # cells are sorted by (manager, peer): each (manager, peer) pair is a run of cells
    new_pair = np.ones(cells.pd.size, dtype=bool)
    new_pair[1:] = (cells.manager[1:] != cells.manager[:-1]) | (cells.peer[1:] != cells.peer[:-1])
    pair = np.cumsum(new_pair) - 1
    e_pair = np.bincount(pair, weights=e_cell)
    pair_peer = cells.peer[new_pair]
    e_g = np.bincount(pair_peer, weights=e_pair, minlength=n_peers)
    sq_g = np.bincount(pair_peer, weights=e_pair * e_pair, minlength=n_peers)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = np.where(sq_g > 0, e_g * e_g / sq_g, 0.0)
    o_g = gsum(cells.peer, (cells.bad * sel).astype(np.float64), n_peers)
    a = np.zeros(n_peers) if start is None else np.clip(start, -max_shift, max_shift).astype(np.float64)
    for _ in range(50):
        pi = tilt(cells.pd, a[cells.peer])
        v = pi * (1.0 - pi)
        f = gsum(cells.peer, w * (pi + 0.5 * tau2 * v * (1.0 - 2.0 * pi)), n_peers) - o_g
        d = gsum(cells.peer, w * v, n_peers)
        step = np.where(d > 0, f / np.maximum(d, 1e-300), 0.0)
        a = np.clip(a - np.clip(step, -1.0, 1.0), -max_shift, max_shift)
        if np.all((np.abs(step) < 1e-10) | (np.abs(a) >= max_shift)):
            break
    applied = (n_eff >= min_managers) & (e_g > 0)
    return PeerCalibration(shift=np.where(applied, a, 0.0), effective_managers=n_eff, applied=applied, solved=a)
