"""The REST client: one urllib request per call, errors as ApiError (the server refused, with its code
and per-field messages) or NetworkError (unreachable, or no answer within the timeout)."""

import json
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional

from .sse import read_events

TERMINAL_STUDY = {"COMPLETED", "FAILED", "CANCELLED"}
FINISHED_TRIAL = {"COMPLETE", "PRUNED", "FAIL"}
# Events after which the study's trials are worth re-reading (trial.reported is not).
WAKING = {"trial.started", "trial.completed", "trial.pruned", "trial.failed", "study.state"}


class ApiError(Exception):
    """The server answered with an error: `status`, `code`, `message`, `field_errors`."""

    def __init__(self, status: int, code: str, message: str, field_errors: Optional[Dict[str, str]] = None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.field_errors = field_errors or {}


class NetworkError(Exception):
    """The server could not be reached or did not answer in time: nothing was decided by it."""


@dataclass
class Event:
    """One server-sent event: `type` is e.g. trial.completed; `data` its payload (docs/api.md, Push)."""

    id: str
    type: str
    study_id: Optional[str]
    created_at: str
    data: Dict[str, Any]


def _q(value: str) -> str:
    return urllib.parse.quote(str(value), safe="")


class Client:
    """A client for one deployment and organization.

    url, token, org and timeout (seconds) default to HENS_URL, HENS_TOKEN, HENS_ORG and HENS_TIMEOUT
    (30). Without an org, the token's own organization is used (looked up once).
    """

    def __init__(
        self,
        url: Optional[str] = None,
        token: Optional[str] = None,
        org: Optional[str] = None,
        timeout: Optional[float] = None,
    ):
        url = os.environ.get("HENS_URL") if url is None else url
        token = os.environ.get("HENS_TOKEN") if token is None else token
        if not url:
            raise ValueError("HENS_URL is not set: the deployment's base URL, e.g. https://hens.example.org")
        if not token:
            raise ValueError("HENS_TOKEN is not set: create an API token in your organization's settings")
        self.base = url.rstrip("/") + "/api/v1"
        self.token = token
        self._org = org or os.environ.get("HENS_ORG") or None
        raw_timeout = timeout if timeout is not None else os.environ.get("HENS_TIMEOUT", "30")
        try:
            self.timeout = float(raw_timeout)
        except ValueError:
            raise ValueError(f"HENS_TIMEOUT must be a positive number of seconds, got {raw_timeout!r}") from None
        if not self.timeout > 0:
            raise ValueError(f"HENS_TIMEOUT must be a positive number of seconds, got {raw_timeout!r}")

    # -- plumbing ---------------------------------------------------------------------------------

    def _open(self, method: str, path: str, body: Any = None, headers: Optional[Dict[str, str]] = None,
              timeout: Optional[float] = None):
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Accept", "application/json, text/csv")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        for attempt in range(4):
            try:
                return urllib.request.urlopen(request, timeout=timeout or self.timeout)
            except urllib.error.HTTPError as err:
                retry_after = err.headers.get("Retry-After")
                if err.code == 429 and attempt < 3:
                    time.sleep(float(retry_after) if retry_after and retry_after.isdigit() else 1.0)
                    continue
                raise _api_error(err) from None
            except (socket.timeout, TimeoutError):
                raise NetworkError(f"no answer from {self.base} within {timeout or self.timeout} s (HENS_TIMEOUT)") from None
            except urllib.error.URLError as err:
                raise NetworkError(f"cannot reach {self.base}: {err.reason}") from None
        raise AssertionError("unreachable")

    def _json(self, method: str, path: str, body: Any = None) -> Any:
        with self._open(method, path, body) as res:
            return json.loads(res.read().decode("utf-8"))

    @property
    def org(self) -> str:
        if self._org is None:
            orgs = self.me()["orgs"]
            if len(orgs) != 1:
                raise ValueError(f"you belong to {len(orgs)} organizations: pass org= or set HENS_ORG")
            self._org = orgs[0]["slug"]
        return self._org

    def _org_path(self, rest: str) -> str:
        return f"/orgs/{_q(self.org)}{rest}"

    # -- who ----------------------------------------------------------------------------------------

    def me(self) -> Dict[str, Any]:
        return self._json("GET", "/me")

    # -- studies ------------------------------------------------------------------------------------

    def list_studies(self, state: Optional[str] = None) -> List[Dict[str, Any]]:
        """Every study of the org, newest first (all pages)."""
        items: List[Dict[str, Any]] = []
        cursor = None
        while True:
            query = {"take": 100, **({"state": state} if state else {}), **({"cursor": cursor} if cursor else {})}
            page = self._json("GET", self._org_path("/studies?" + urllib.parse.urlencode(query)))
            items.extend(page["items"])
            cursor = page.get("nextCursor")
            if not cursor:
                return items

    def create_study(self, spec: Dict[str, Any]) -> str:
        """Create a study from a spec (the fields of the web form / YAML); returns its id."""
        return self._json("POST", self._org_path("/studies"), spec)["id"]

    def get_study(self, study_id: str) -> Dict[str, Any]:
        return self._json("GET", self._org_path(f"/studies/{_q(study_id)}"))["study"]

    def pause(self, study_id: str) -> Dict[str, Any]:
        return self._json("POST", self._org_path(f"/studies/{_q(study_id)}/pause"), {})

    def resume(self, study_id: str) -> Dict[str, Any]:
        return self._json("POST", self._org_path(f"/studies/{_q(study_id)}/resume"), {})

    def cancel(self, study_id: str) -> Dict[str, Any]:
        return self._json("POST", self._org_path(f"/studies/{_q(study_id)}/cancel"), {})

    # -- trials -------------------------------------------------------------------------------------

    def trial_page(self, study_id: str) -> Dict[str, Any]:
        """{study: {id, name, state, maxTrials}, items: every trial by number}."""
        items: List[Dict[str, Any]] = []
        after = -1
        while True:
            query = urllib.parse.urlencode({"after": after, "take": 1000})
            page = self._json("GET", self._org_path(f"/studies/{_q(study_id)}/trials?{query}"))
            items.extend(page["items"])
            if page.get("nextAfter") is None:
                return {"study": page["study"], "items": items}
            after = page["nextAfter"]

    def trials(self, study_id: str) -> List[Dict[str, Any]]:
        return self.trial_page(study_id)["items"]

    # -- datasets -----------------------------------------------------------------------------------

    def list_datasets(self) -> List[Dict[str, Any]]:
        return self._json("GET", self._org_path("/datasets"))["items"]

    def upload_dataset(self, upload: Dict[str, Any]) -> Dict[str, Any]:
        """upload: {format: "json", name, data} or {format: "csv", name, csv, inputs, targets, errors}."""
        return self._json("POST", self._org_path("/datasets"), upload)

    def get_dataset(self, dataset_id: str) -> Dict[str, Any]:
        return self._json("GET", self._org_path(f"/datasets/{_q(dataset_id)}"))

    def delete_dataset(self, dataset_id: str) -> Dict[str, Any]:
        return self._json("POST", self._org_path(f"/datasets/{_q(dataset_id)}/delete"), {})

    # -- final fits ---------------------------------------------------------------------------------

    def create_fit(self, study_id: str, replicas: int, trial: Optional[int] = None,
                   rule: Optional[Dict[str, Any]] = None) -> str:
        """Start a final fit of the study's selected configuration (or trial `trial`); returns its id."""
        body: Dict[str, Any] = {"replicas": replicas}
        if trial is not None:
            body["trial"] = trial
        if rule is not None:
            body["rule"] = rule
        return self._json("POST", self._org_path(f"/studies/{_q(study_id)}/fits"), body)["id"]

    def list_fits(self, study_id: str) -> List[Dict[str, Any]]:
        out = self._json("GET", self._org_path(f"/studies/{_q(study_id)}/fits"))
        return out["items"] if isinstance(out, dict) and "items" in out else out

    def get_fit(self, fit_id: str) -> Dict[str, Any]:
        return self._json("GET", self._org_path(f"/fits/{_q(fit_id)}"))

    def wait_fit(self, fit_id: str, poll_seconds: float = 1.0, timeout: Optional[float] = None) -> Dict[str, Any]:
        """Poll until the fit is COMPLETED, FAILED or CANCELLED; returns the fit."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            fit = self.get_fit(fit_id)
            if fit["state"] in ("COMPLETED", "FAILED", "CANCELLED"):
                return fit
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"fit {fit_id} still {fit['state']} after {timeout} s")
            time.sleep(poll_seconds)

    def export_fit(self, fit_id: str, format: str = "json") -> Dict[str, Any]:
        """format: lhapdf ({files: {name: text}}), weights (hyperensemble-weights/1) or json."""
        return self._json("GET", self._org_path(f"/fits/{_q(fit_id)}/export?format={_q(format)}"))

    def evaluate_fit(self, fit_id: str, rows: List[List[float]], format: str = "json") -> Dict[str, Any]:
        """The kept replicas on your feature rows: {outputNames, replicas, outputs, mean, sd} (json)
        or {filename, csv}. At most 200 rows, rows x kept replicas <= 50,000 per request."""
        return self._json("POST", self._org_path(f"/fits/{_q(fit_id)}/evaluate"), {"rows": rows, "format": format})

    # -- exports ------------------------------------------------------------------------------------

    def export_csv(self, study_id: str) -> str:
        with self._open("GET", self._org_path(f"/studies/{_q(study_id)}/export?format=csv")) as res:
            return res.read().decode("utf-8")

    def export_json(self, study_id: str) -> Dict[str, Any]:
        """The Optuna-shaped export: directions, distributions, trials with params and values."""
        return self._json("GET", self._org_path(f"/studies/{_q(study_id)}/export?format=json"))

    def to_optuna_study(self, study_id: str, storage: Any = None):
        """The study as an optuna.Study (in memory, or in `storage`); needs optuna installed."""
        from .optuna_bridge import to_optuna_study

        return to_optuna_study(self.export_json(study_id), storage)

    # -- push ---------------------------------------------------------------------------------------

    def events(self, study_id: Optional[str] = None, last_event_id: Optional[str] = None,
               reconnect: bool = True) -> "EventStream":
        """Server-sent events of one study (or the whole org), as an iterator that never ends on its
        own. The connection is open when this returns (a fresh stream starts at the log's head), and
        a dropped one is reopened with Last-Event-ID, so no event still retained is missed."""
        path = self._org_path(f"/studies/{_q(study_id)}/events" if study_id else "/events")
        return EventStream(self, path, last_event_id, reconnect)

    def follow(self, study_id: str, poll_seconds: Optional[float] = None) -> Iterator[Dict[str, Any]]:
        """Yield each trial once as it finishes, until the study ends. The event stream says when to
        look again (poll_seconds: poll instead). The generator returns the final study state."""
        reported = set()
        # Opened before the first read, so nothing falls between the read and the stream.
        stream = None if poll_seconds else self.events(study_id)
        try:
            while True:
                page = self.trial_page(study_id)
                for trial in page["items"]:
                    if trial["state"] in FINISHED_TRIAL and trial["number"] not in reported:
                        reported.add(trial["number"])
                        yield trial
                if page["study"]["state"] in TERMINAL_STUDY:
                    return page["study"]["state"]
                if stream is None:
                    time.sleep(poll_seconds or 2.0)
                    continue
                for event in stream:
                    if event.type in WAKING:
                        break
        finally:
            if stream is not None:
                stream.close()

    # -- external trials (docs/api.md, "External trials") -------------------------------------------

    def ask(self, study_id: str, lease_seconds: Optional[int] = None, worker: Optional[str] = None):
        """The next trial of an external study to train here, or None (`last_ask_reason` says why)."""
        from .external import Trial

        body: Dict[str, Any] = {}
        if lease_seconds is not None:
            body["leaseSeconds"] = lease_seconds
        if worker is not None:
            body["worker"] = worker
        answer = self._json("POST", self._org_path(f"/studies/{_q(study_id)}/ask"), body)
        self.last_ask_reason = answer.get("reason")
        return Trial(self, study_id, answer["trial"]) if answer.get("trial") else None

    def points(self, study_id: str, trial_id: Optional[str] = None) -> Dict[str, Any]:
        """The study's data points (inputs, central, errors, subsets) and, with trial_id, that trial's
        folds ([{heldOut: [point indices]}]): what an external trainer fits and predicts."""
        query = "?" + urllib.parse.urlencode({"trialId": trial_id}) if trial_id else ""
        return self._json("GET", self._org_path(f"/studies/{_q(study_id)}/points{query}"))

    def _trial_call(self, trial_id: str, action: str, body: Dict[str, Any]) -> Dict[str, Any]:
        return self._json("POST", self._org_path(f"/trials/{_q(trial_id)}/{action}"), body)


class EventStream:
    """An open server-sent-events connection that reconnects after Last-Event-ID (Client.events)."""

    def __init__(self, client: Client, path: str, last_event_id: Optional[str], reconnect: bool):
        self._client = client
        self._path = path
        self.last_event_id = last_event_id
        self._reconnect = reconnect
        self._response = None
        self._events: Optional[Iterator[Event]] = None
        self._connect()

    def _connect(self) -> None:
        headers = {"Accept": "text/event-stream"}
        if self.last_event_id:
            headers["Last-Event-ID"] = self.last_event_id
        # The server sends a keep-alive every 15 s: a socket silent for longer is dead.
        self._response = self._client._open("GET", self._path, headers=headers,
                                            timeout=max(self._client.timeout, 45.0))
        self._events = read_events(self._response)

    def __iter__(self) -> "EventStream":
        return self

    def __next__(self) -> Event:
        failures = 0
        while True:
            try:
                if self._events is None:
                    self._connect()
                assert self._events is not None
                event = next(self._events)
                self.last_event_id = event.id
                return event
            except ApiError:
                raise
            except (StopIteration, NetworkError, OSError, ValueError):
                self.close()
                failures += 1
                if not self._reconnect or failures > 5:
                    raise NetworkError(f"the event stream at {self._client.base} keeps dropping") from None
                time.sleep(min(1.0 * failures, 5.0))

    def close(self) -> None:
        if self._response is not None:
            try:
                self._response.close()
            except OSError:
                pass
        self._response = None
        self._events = None


def _api_error(err: urllib.error.HTTPError) -> ApiError:
    text = err.read().decode("utf-8", "replace")
    try:
        body = json.loads(text)["error"]
        return ApiError(err.code, body["code"], body["message"], body.get("fieldErrors"))
    except (ValueError, KeyError, TypeError):
        return ApiError(err.code, f"HTTP_{err.code}", text[:200] or err.reason)
