"""Adverse-action reason codes: the characteristics that cost an applicant most points.

Per applicant, rank characteristics by the points lost against their best bin,
``max(points_j) - points_j[bin_j]``, largest first, ties in card order, and keep at most
:data:`MAX_REASONS` with a positive loss.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from scoring.characteristic import Characteristic
from scoring.woe import FloatArray, IntArray

__all__ = ["MAX_REASONS", "reason_codes", "reason_codes_reference"]

#: Reason codes reported per applicant.
MAX_REASONS = 4


def reason_codes_reference(
    chars: Sequence[Characteristic], idx_cols: Sequence[IntArray], n: int
) -> tuple[IntArray, FloatArray]:
    """Reason codes by repeated row-wise argmax over the loss matrix.

    The definition :func:`reason_codes` must reproduce; used as its fallback
    when a card has non-finite points.
    """
    p = len(chars)
    width = MAX_REASONS
    codes = np.full((n, width), -1, dtype=np.intp)
    reason_pts = np.zeros((n, width), dtype=np.float64)
    if p and n:
        loss = np.empty((n, p), dtype=np.float64)
        for j, (ch, idx) in enumerate(zip(chars, idx_cols, strict=True)):
            col = np.asarray(ch.points, dtype=np.float64)[idx]
            np.subtract(ch.max_points, col, out=loss[:, j])
        rows = np.arange(n)
        for r in range(min(width, p)):
            # argmax returns the first maximum: ties resolved in card order
            j = np.argmax(loss, axis=1)
            top = loss[rows, j]
            lost = top > 0
            codes[:, r] = np.where(lost, j, -1)
            reason_pts[:, r] = np.where(lost, top, 0.0)
            loss[rows, j] = -np.inf
    return codes, reason_pts


def reason_codes(
    chars: Sequence[Characteristic], idx_cols: Sequence[IntArray], n: int
) -> tuple[IntArray, FloatArray]:
    """Reason codes: per row the characteristics with the largest positive loss
    ``max(points_j) - points_j[bin_j]``, largest first, ties in card order, at
    most :data:`MAX_REASONS`.

    Notes
    -----
    Same result as :func:`reason_codes_reference`, computed on small integers:
    every (characteristic, bin) gets the key ``rank(loss) * p + (p - 1 - j)``,
    where ``rank`` orders the distinct loss values of the whole card exactly
    (equal losses share a rank).  Keys are distinct within a row, a larger key
    means a larger loss or an equal loss earlier in the card, so the ``r``-th
    reason is the ``r``-th largest key.  Keys are held as a ``(p, n)`` int16
    array (int32/int64 if needed) and each round is an element-wise maximum over
    the ``p`` rows, instead of row-wise argmax over an ``(n, p)`` float matrix.
    """
    p = len(chars)
    width = MAX_REASONS
    losses = [
        np.subtract(ch.max_points, np.asarray(ch.points, dtype=np.float64)) for ch in chars
    ]
    if not (p and n) or not all(np.isfinite(x).all() for x in losses):
        return reason_codes_reference(chars, idx_cols, n)
    distinct = np.unique(np.concatenate(losses))
    n_keys = distinct.size * p
    key_dtype: type[np.signedinteger[Any]] = (
        np.int16 if n_keys < 2**15 else np.int32 if n_keys < 2**31 else np.int64
    )
    keys = np.empty((p, n), dtype=key_dtype)
    for j, (x, idx) in enumerate(zip(losses, idx_cols, strict=True)):
        table = (np.searchsorted(distinct, x) * p + (p - 1 - j)).astype(key_dtype)
        np.take(table, idx, out=keys[j])
    # what each key decodes to: reason code and points lost (-1 / 0 if no loss)
    key_loss = np.repeat(distinct, p)
    key_code = (p - 1) - np.tile(np.arange(p, dtype=np.intp), distinct.size)
    key_lost = key_loss > 0
    code_of = np.where(key_lost, key_code, -1).astype(np.intp)
    pts_of = np.where(key_lost, key_loss, 0.0)
    codes = np.full((n, width), -1, dtype=np.intp)
    reason_pts = np.zeros((n, width), dtype=np.float64)
    top = keys.max(axis=0)
    for r in range(min(width, p)):
        if r:
            # keys are distinct within a column: knock out the one just taken
            np.copyto(keys, -1, where=keys == top)
            top = keys.max(axis=0)
        codes[:, r] = code_of[top]
        reason_pts[:, r] = pts_of[top]
    return codes, reason_pts

