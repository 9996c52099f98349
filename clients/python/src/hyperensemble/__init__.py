"""Python client for the HyperEnsemble REST API (docs/api.md). Standard library only."""

from .client import ApiError, Client, Event, NetworkError
from .external import LeaseLost, Trial, TrialPruned

__all__ = ["ApiError", "Client", "Event", "LeaseLost", "NetworkError", "Trial", "TrialPruned"]
__version__ = "0.1.0"
