"""The Python client against a real server (started by apps/web/src/app/api/v1/_lib/python-client.test.ts,
which also plays the runner: WAITING trials of the org complete every few hundred ms).

Environment: HENS_URL, HENS_TOKEN (studies:read/write, datasets:write, exports:read), HENS_ORG.
"""

import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from unittest import mock

from hyperensemble import ApiError, Client, NetworkError

SPEC = {
    "name": "python client",
    "replicas": 2,
    "trials": 3,
    "parallelism": 1,
    "sampler": "random",
    "searchSpace": {
        "learning_rate": {"type": "float", "low": 0.001, "high": 0.03, "log": True},
        "activation": {"type": "categorical", "choices": ["tanh", "sigmoid"]},
    },
}


class ClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.hens = Client()
        # One study followed to its end, shared by the read-only tests below.
        cls.study_id = cls.hens.create_study(SPEC)
        follow = cls.hens.follow(cls.study_id)
        cls.followed = []
        try:
            while True:
                cls.followed.append(next(follow))
        except StopIteration as stop:
            cls.final_state = stop.value

    def test_settings_are_checked_before_any_request(self):
        with self.assertRaisesRegex(ValueError, "HENS_URL is not set"):
            Client(url="", token="hens_x")
        with self.assertRaisesRegex(ValueError, "HENS_TIMEOUT must be a positive number"):
            Client(url="http://127.0.0.1:9", token="hens_x", timeout="soon")
        with self.assertRaisesRegex(NetworkError, "cannot reach http://127.0.0.1:9/api/v1"):
            Client(url="http://127.0.0.1:9", token="hens_x", org="x", timeout=5).list_studies()

    def test_gives_up_on_a_server_that_accepts_and_never_answers(self):
        # The hang a timeout exists for: the connection is accepted, the request read, no answer.
        listener = socket.create_server(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        held = []
        stop = threading.Event()

        def accept_and_stay_silent():
            listener.settimeout(0.2)
            while not stop.is_set():
                try:
                    conn, _ = listener.accept()
                except socket.timeout:
                    continue
                held.append(conn)

        thread = threading.Thread(target=accept_and_stay_silent, daemon=True)
        thread.start()
        try:
            # HENS_TIMEOUT, the documented setting, read when the client is made.
            with mock.patch.dict(os.environ, {"HENS_TIMEOUT": "1"}):
                silent = Client(url=f"http://127.0.0.1:{port}", token="hens_x", org="x")
            started = time.monotonic()
            with self.assertRaisesRegex(
                    NetworkError, rf"^no answer from http://127\.0\.0\.1:{port}/api/v1 within 1\.0 s \(HENS_TIMEOUT\)$"):
                silent.list_studies()
            elapsed = time.monotonic() - started
            self.assertGreaterEqual(elapsed, 0.9)
            self.assertLess(elapsed, 10)
            self.assertGreaterEqual(len(held), 1)  # it did connect: a timeout, not a refusal
        finally:
            stop.set()
            thread.join()
            for conn in held:
                conn.close()
            listener.close()

    def test_follow_yields_each_finished_trial_once_by_push(self):
        self.assertEqual(self.final_state, "COMPLETED")
        self.assertEqual(sorted(t["number"] for t in self.followed), [0, 1, 2])
        self.assertTrue(all(t["state"] == "COMPLETE" for t in self.followed))

    def test_studies_and_trials(self):
        ids = [s["id"] for s in self.hens.list_studies()]
        self.assertIn(self.study_id, ids)
        study = self.hens.get_study(self.study_id)
        self.assertEqual((study["name"], study["state"]), ("python client", "COMPLETED"))
        trials = self.hens.trials(self.study_id)
        self.assertEqual([t["number"] for t in trials], [0, 1, 2])
        self.assertEqual(set(trials[0]["params"]), {"learning_rate", "activation"})

    def test_api_errors_name_the_field(self):
        with self.assertRaises(ApiError) as caught:
            self.hens.create_study({**SPEC, "replicas": 0})
        self.assertEqual((caught.exception.status, caught.exception.code), (400, "BAD_REQUEST"))
        self.assertIn("replicas", caught.exception.field_errors)
        with self.assertRaises(ApiError) as missing:
            self.hens.get_study("no-such-study")
        self.assertEqual(missing.exception.status, 404)

    def test_events_replay_and_resume_after_an_id(self):
        stream = self.hens.events(self.study_id, last_event_id="0")
        events = []
        for event in stream:
            events.append(event)
            if event.type == "study.state" and event.data.get("state") == "COMPLETED":
                break
        stream.close()
        ids = [int(e.id) for e in events]
        self.assertEqual(ids, sorted(set(ids)))
        self.assertEqual([e.type for e in events].count("trial.completed"), 3)
        self.assertTrue(all(e.study_id == self.study_id for e in events))
        # Resuming after the third event replays exactly the rest.
        resumed = self.hens.events(self.study_id, last_event_id=events[2].id)
        tail = [next(resumed) for _ in range(len(events) - 3)]
        resumed.close()
        self.assertEqual([e.id for e in tail], [e.id for e in events[3:]])

    def test_exports(self):
        csv = self.hens.export_csv(self.study_id).splitlines()
        self.assertTrue(csv[0].startswith("number,value,datetime_start"))
        self.assertEqual(len(csv), 4)
        doc = self.hens.export_json(self.study_id)
        self.assertEqual(doc["distributions"]["activation"]["name"], "CategoricalDistribution")
        self.assertEqual([t["state"] for t in doc["trials"]], ["COMPLETE"] * 3)

    def test_datasets(self):
        created = self.hens.upload_dataset({
            "format": "json",
            "name": "python points",
            "data": {
                "inputNames": ["x"],
                "subsets": [{"name": "a", "inputs": [[0.1], [0.2], [0.3]], "values": [1.0, 1.4, 1.7],
                             "stat": [0.1, 0.1, 0.12]}],
            },
        })
        self.assertEqual(created["nPoints"], 3)
        self.assertIn(created["id"], [d["id"] for d in self.hens.list_datasets()])
        self.assertEqual(self.hens.get_dataset(created["id"])["name"], "python points")
        self.assertEqual(self.hens.delete_dataset(created["id"])["deleted"], True)

    def test_final_fit(self):
        fit_id = self.hens.create_fit(self.study_id, replicas=2)
        self.assertIn(fit_id, [f["id"] for f in self.hens.list_fits(self.study_id)])
        fit = self.hens.wait_fit(fit_id, poll_seconds=0.3, timeout=240)
        self.assertEqual(fit["state"], "COMPLETED", fit.get("error"))
        files = self.hens.export_fit(fit_id, "lhapdf")["files"]
        self.assertIn(f"hens_{fit_id}.info", files)
        weights = self.hens.export_fit(fit_id, "weights")
        d = weights["sizes"][0]
        rows = [[x] + [math.log(x)] * (d - 1) for x in (0.01, 0.2, 0.7)]
        ev = self.hens.evaluate_fit(fit_id, rows)
        self.assertEqual(len(ev["outputs"]), fit["kept"])
        # the same numbers as the weights' own Python evaluator (scripts/hens_weights.py), float64
        script = os.path.join(os.path.dirname(__file__), "..", "..", "..", "scripts", "hens_weights.py")
        with tempfile.TemporaryDirectory() as tmp:
            for name, doc in (("w.json", weights), ("rows.json", rows)):
                with open(os.path.join(tmp, name), "w") as f:
                    json.dump(doc, f)
            for k in range(len(ev["outputs"])):
                out = subprocess.run(
                    [sys.executable, script, os.path.join(tmp, "w.json"), os.path.join(tmp, "rows.json"), str(k)],
                    capture_output=True, text=True, check=True,
                )
                for got_row, want_row in zip(ev["outputs"][k], json.loads(out.stdout)):
                    for got, want in zip(got_row, want_row):
                        self.assertAlmostEqual(got, want, delta=1e-9 * max(1.0, abs(want)))
        csv = self.hens.evaluate_fit(fit_id, rows, format="csv")["csv"].splitlines()
        self.assertEqual(len(csv), 1 + fit["kept"] * len(rows))
        with self.assertRaises(ApiError) as bad:
            self.hens.evaluate_fit(fit_id, [rows[0] + [1.0]])
        self.assertEqual(bad.exception.status, 400)
        self.assertIn("rows.0", bad.exception.field_errors or {})

    def test_to_optuna_study_imports_optuna_only_when_called(self):
        probe = subprocess.run(
            [sys.executable, "-c", "import sys, hyperensemble; print('optuna' in sys.modules)"],
            capture_output=True, text=True, check=True,
        )
        self.assertEqual(probe.stdout.strip(), "False")
        try:
            import optuna  # noqa: F401
        except ImportError:
            with self.assertRaisesRegex(ImportError, "pip install optuna"):
                self.hens.to_optuna_study(self.study_id)
            return
        study = self.hens.to_optuna_study(self.study_id)
        self.assertEqual(len(study.trials), 3)
        self.assertEqual(study.best_value, min(t["value"] for t in self.followed))


if __name__ == "__main__":
    unittest.main()
