"""External trials from Python against the ask/tell contract (docs/api.md, "External trials"):
POST …/studies/{id}/ask, …/trials/{id}/heartbeat|report|tell. Run by
apps/web/src/app/api/v1/_lib/python-external.test.ts, which runs it once the server has the ask
route (h15ext). Environment as test_client.py; no runner plays here: this script is the worker.
"""

import time
import unittest

from hyperensemble import Client, TrialPruned

# Two sub-datasets: each of the study's 2 folds holds one out.
POINTS = {"inputNames": ["x"], "subsets": [
    {"name": "a", "inputs": [[0.1], [0.2]], "values": [1.0, 1.4], "stat": [0.1, 0.1]},
    {"name": "b", "inputs": [[0.3], [0.4]], "values": [1.7, 1.9], "stat": [0.12, 0.1]},
]}


def reference_losses(points, folds):
    """L1 and phi2 of per-fold replica predictions on each fold's held-out points, in float64."""
    central, errors = points["central"], points["errors"]

    def chi2(t, held):
        return sum(((t[i] - central[i]) / errors[i]) ** 2 for i in held) / len(held)

    def avg(v):
        return sum(v) / len(v)

    l1, phi2 = [], []
    for fold, replicas in zip(points["folds"], folds):
        held = fold["heldOut"]
        per_replica = [chi2(p, held) for p in replicas]
        mean = [avg([p[i] for p in replicas]) for i in range(len(central))]
        l1.append(avg(per_replica))
        phi2.append(avg(per_replica) - chi2(mean, held))
    return {"L1": avg(l1), "phi2": avg(phi2)}


class ExternalTrialsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.hens = Client()
        cls.dataset = cls.hens.upload_dataset({"format": "json", "name": "external points", "data": POINTS})

    def external_study(self, name, trials, scheduler="median"):
        return self.hens.create_study({
            "name": name, "executor": "external", "replicas": 2, "folds": 2, "trials": trials,
            "parallelism": 1, "sampler": "random", "scheduler": scheduler,
            "task": {"kind": "dataset", "datasetId": self.dataset["id"]},
            "searchSpace": {"lr": {"type": "float", "low": 0.001, "high": 0.1, "log": True}},
        })

    def test_ask_report_tell_values_and_predictions(self):
        study_id = self.external_study("py external", 2)
        trial = self.hens.ask(study_id, worker="unittest")
        self.assertIsNotNone(trial)
        self.assertIn("lr", trial.params)
        self.assertEqual((trial.ensemble["replicas"], trial.ensemble["folds"]), (2, 2))
        with trial:
            # The median rule prunes nothing before its start-up trials (5) have completed.
            self.assertIs(trial.report(1, 0.9), False)
            trial.tell(values=[0.25])
        second = self.hens.ask(study_id)
        with second:
            points = second.points()
            self.assertEqual(points["nPoints"], 4)
            self.assertEqual(len(points["folds"]), 2)
            folds = [[[c + 0.01 * r for c in points["central"]] for r in range(2)] for _ in points["folds"]]
            second.tell(predictions=folds)
        trials = {t["number"]: t for t in self.hens.trials(study_id)}
        self.assertEqual(trials[trial.number]["state"], "COMPLETE")
        self.assertEqual(trials[trial.number]["value"], 0.25)
        self.assertEqual(trials[second.number]["state"], "COMPLETE")
        # The platform's estimators against a float64 reference computed here from the same numbers
        # (METHOD.md §4; a stat-only dataset, so the covariance is diag(errors²)).
        ref = reference_losses(points, folds)
        result = trials[second.number]["result"]
        self.assertAlmostEqual(result["L1"], ref["L1"], delta=1e-9 * max(1.0, abs(ref["L1"])))
        self.assertAlmostEqual(result["phi2"], ref["phi2"], delta=1e-9 * max(1.0, abs(ref["phi2"])))
        self.assertIsNone(self.hens.ask(study_id))

    def test_scheduler_prunes_a_clearly_bad_trial(self):
        # Median stopping after two completed trials: a trial far above their values at the same
        # step is told to prune by the platform's scheduler, not by this script's own judgement.
        study_id = self.external_study(
            "py scheduler prune", 3, {"name": "median", "options": {"nStartupTrials": 2}})
        for value in (1.0, 1.2):
            good = self.hens.ask(study_id)
            with good:
                self.assertIs(good.report(1, value), False)
                self.assertIs(good.report(2, value * 0.8), False)
                good.tell(values=[value * 0.8])
        bad = self.hens.ask(study_id)
        with bad:
            self.assertIs(bad.report(1, 50.0), True)
            raise TrialPruned()
        self.assertEqual(bad.told, "PRUNED")
        states = [t["state"] for t in sorted(self.hens.trials(study_id), key=lambda t: t["number"])]
        self.assertEqual(states, ["COMPLETE", "COMPLETE", "PRUNED"])

    def test_context_manager_heartbeats_and_tells_pruned_or_fail(self):
        study_id = self.external_study("py heartbeat", 2)
        trial = self.hens.ask(study_id, lease_seconds=10)
        with trial:
            # Longer than the lease (10 s, the shortest allowed): only the heartbeat thread keeps it ours.
            time.sleep(12.5)
            raise TrialPruned()
        self.assertEqual(trial.told, "PRUNED")
        failing = self.hens.ask(study_id)
        with self.assertRaises(RuntimeError):
            with failing:
                raise RuntimeError("diverged")
        states = {t["number"]: (t["state"], t["error"]) for t in self.hens.trials(study_id)}
        self.assertEqual(states[trial.number][0], "PRUNED")
        self.assertEqual(states[failing.number], ("FAIL", "RuntimeError: diverged"))


if __name__ == "__main__":
    unittest.main()
