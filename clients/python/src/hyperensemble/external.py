"""External trials: train in your own code, tell the platform (docs/api.md, "External trials").

    trial = hens.ask(study_id)               # None when nothing is left to ask
    with trial:                              # heartbeats in a thread while the block runs
        for epoch in range(...):
            if trial.report(epoch, loss):    # True: the platform says prune
                raise TrialPruned()          # told as PRUNED on the way out
        trial.tell(predictions=folds)        # or values=[...], or chi2={...}

An exception leaving the block is told as FAIL with its message; a block that ends without telling
is told FAIL too, so a trial never waits for its lease to lapse when this process knows it is over.
"""

import threading
from typing import Any, Dict, List, Optional

from .client import ApiError


class TrialPruned(Exception):
    """Raise inside `with trial:` to tell the trial PRUNED."""


class LeaseLost(Exception):
    """The trial's lease lapsed or was taken over (409): another worker owns the trial now."""


class Trial:
    def __init__(self, client, study_id: str, body: Dict[str, Any]):
        self._client = client
        self.study_id = study_id
        self.id: str = body["id"]
        self.number: int = body["number"]
        self.params: Dict[str, Any] = body["params"]
        # The study's fixed settings: the same for every trial, train with them beside params.
        self.fixed: Dict[str, Any] = body.get("fixed") or {}
        self.lease: Dict[str, Any] = body["lease"]
        self.ensemble: Dict[str, Any] = body.get("ensemble") or {}
        self.task: Any = body.get("task")
        self.told: Optional[str] = None
        self.lease_lost = False
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Trial(number={self.number}, params={self.params!r})"

    def points(self) -> Dict[str, Any]:
        """The study's points with this trial's folds: train fold k on the points not in folds[k].heldOut."""
        return self._client.points(self.study_id, self.id)

    # -- the lease --------------------------------------------------------------------------------

    def heartbeat(self) -> str:
        """Extend the lease; returns the new expiry. LeaseLost when the lease is no longer ours."""
        try:
            answer = self._client._trial_call(self.id, "heartbeat", {"leaseId": self.lease["id"]})
        except ApiError as err:
            if err.status == 409:
                self.lease_lost = True
                raise LeaseLost(err.message) from None
            raise
        self.lease["expiresAt"] = answer["expiresAt"]
        return answer["expiresAt"]

    def _beat(self) -> None:
        every = float(self.lease.get("heartbeatSeconds") or 10)
        while not self._stop.wait(every):
            try:
                self.heartbeat()
            except LeaseLost:
                return
            except Exception:  # noqa: BLE001 - a missed beat is retried at the next interval
                continue

    def start_heartbeat(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._beat, name=f"hens-heartbeat-{self.id}", daemon=True)
            self._thread.start()

    def stop_heartbeat(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # -- progress and the result ------------------------------------------------------------------

    def report(self, step: int, value: float) -> bool:
        """Report an intermediate value; True when the platform's scheduler says to prune."""
        answer = self._client._trial_call(
            self.id, "report", {"leaseId": self.lease["id"], "step": int(step), "value": float(value)}
        )
        return bool(answer.get("prune"))

    def tell(
        self,
        values: Optional[List[float]] = None,
        predictions: Optional[List[List[List[float]]]] = None,
        chi2: Optional[Dict[str, Any]] = None,
        state: str = "COMPLETE",
        error: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Tell the result once. predictions[fold][replica][point] (the study's dataset points) lets the
        platform compute L1/L2/L3, phi2 and the per-fold chi2 itself; values are plain objective values."""
        body: Dict[str, Any] = {"leaseId": self.lease["id"], "state": state}
        if values is not None:
            body["values"] = [float(v) for v in values]
        if predictions is not None:
            body["predictions"] = {"folds": [{"replicas": _as_lists(fold)} for fold in predictions]}
        if chi2 is not None:
            body["chi2"] = chi2
        if error is not None:
            body["error"] = error[:2000]
        with self._lock:
            answer = self._client._trial_call(self.id, "tell", body)
            self.told = state
        return answer

    # -- the context manager ----------------------------------------------------------------------

    def __enter__(self) -> "Trial":
        self.start_heartbeat()
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        self.stop_heartbeat()
        if self.told is not None or self.lease_lost:
            return False
        if exc_type is not None and issubclass(exc_type, TrialPruned):
            self.tell(state="PRUNED")
            return True
        if exc_type is not None:
            self.tell(state="FAIL", error=f"{exc_type.__name__}: {exc}")
            return False
        self.tell(state="FAIL", error="the worker left the trial without telling a result")
        return False


def _as_lists(fold: Any) -> List[List[float]]:
    """Accept lists or NumPy arrays (replicas × points) without importing NumPy."""
    rows = fold.tolist() if hasattr(fold, "tolist") else fold
    return [[float(x) for x in (row.tolist() if hasattr(row, "tolist") else row)] for row in rows]
