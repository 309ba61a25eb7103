"""L2-regularised logistic regression solved by Newton's method (IRLS), numpy only."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from scoring.woe import FloatArray


@dataclass(frozen=True)
class LogisticFit:
    """Result of :func:`fit_logistic_l2`.

    Attributes
    ----------
    intercept : float
        Unpenalised intercept :math:`\\beta_0`.
    coef : ndarray of float64
        Coefficients :math:`\\beta_j`, one per column of ``X``.
    n_iter : int
        Newton iterations used.
    converged : bool
        True if the step norm fell below the tolerance.
    """

    intercept: float
    coef: FloatArray
    n_iter: int
    converged: bool


def _objective(xa: FloatArray, y: FloatArray, beta: FloatArray, pen: FloatArray) -> float:
    eta = xa @ beta
    # log(1 + exp(eta)) computed stably
    nll = np.sum(np.logaddexp(0.0, eta) - y * eta)
    return float(nll + 0.5 * np.sum(pen * beta * beta))


def fit_logistic_l2(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    l2: float = 1.0,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> LogisticFit:
    """Fit ``P(y=1) = 1 / (1 + exp(-(b0 + X b)))`` with an L2 penalty on ``b``.

    Parameters
    ----------
    x : array_like, shape (n, p)
        Design matrix (here: WoE of each selected characteristic).
    y : array_like, shape (n,)
        0/1 target (1 = bad).
    l2 : float, default 1.0
        Ridge penalty :math:`\\lambda` on the coefficients (not the intercept),
        on the scale of the summed log-likelihood.
    max_iter : int, default 100
        Newton iterations at most.
    tol : float, default 1e-10
        Stop when the largest absolute Newton step is below ``tol``.

    Returns
    -------
    LogisticFit

    Notes
    -----
    Minimises the convex objective

    .. math::

        f(\\beta) = \\sum_i \\left[\\ln(1 + e^{\\eta_i}) - y_i \\eta_i\\right]
        + \\frac{\\lambda}{2} \\sum_{j \\ge 1} \\beta_j^2, \\qquad
        \\eta = \\tilde X \\beta,

    with :math:`\\tilde X = [1, X]`.  Each Newton (IRLS) step solves
    :math:`(\\tilde X^T W \\tilde X + \\Lambda)\\,\\delta = \\tilde X^T (p - y) + \\Lambda\\beta`
    with :math:`W = \\mathrm{diag}(p_i(1-p_i))`, halving the step while the
    objective does not decrease.  With :math:`\\lambda > 0` the Hessian is
    positive definite, so the solution is unique; the unpenalised intercept
    makes the mean fitted probability equal the observed bad rate.
    """
    xm = np.asarray(x, dtype=np.float64)
    if xm.ndim == 1:
        xm = xm[:, None]
    yv = np.asarray(y, dtype=np.float64).ravel()
    n, p = xm.shape
    if yv.size != n:
        raise ValueError(f"x has {n} rows but y has {yv.size}")
    if n == 0:
        raise ValueError("no observations")
    xa = np.column_stack([np.ones(n), xm])
    pen = np.full(p + 1, float(l2))
    pen[0] = 0.0
    beta = np.zeros(p + 1)
    rate = float(np.clip(yv.mean(), 1e-6, 1 - 1e-6))
    beta[0] = np.log(rate / (1.0 - rate))
    obj = _objective(xa, yv, beta, pen)
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - n_iter is reported
        eta = xa @ beta
        prob = 1.0 / (1.0 + np.exp(-eta))
        w = prob * (1.0 - prob)
        grad = xa.T @ (prob - yv) + pen * beta
        hess = (xa * w[:, None]).T @ xa + np.diag(pen)
        hess[np.diag_indices_from(hess)] += 1e-12
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while True:
            cand = beta - t * step
            cand_obj = _objective(xa, yv, cand, pen)
            if cand_obj <= obj + 1e-12 or t < 1e-8:
                break
            t *= 0.5
        beta, obj = cand, cand_obj
        if float(np.max(np.abs(t * step))) < tol:
            converged = True
            break
    return LogisticFit(intercept=float(beta[0]), coef=beta[1:].copy(), n_iter=it, converged=converged)
