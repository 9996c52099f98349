"""to_optuna_study: the platform's export (format=json, Optuna's own distribution format) as an
optuna.Study, for Optuna's visualisation and analysis tools. Imports optuna only here."""

import json
from typing import Any, Dict


def to_optuna_study(export: Dict[str, Any], storage: Any = None):
    try:
        import optuna
    except ImportError as err:
        raise ImportError("to_optuna_study needs optuna: pip install optuna") from err
    directions = [d.lower() for d in export.get("directions") or ["MINIMIZE"]]
    study = optuna.create_study(study_name=export.get("study_name"), directions=directions, storage=storage)
    for t in export["trials"]:
        state = optuna.trial.TrialState[t["state"]]
        if state not in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED,
                         optuna.trial.TrialState.FAIL):
            continue  # unfinished trials have nothing to analyse yet
        distributions = {
            name: optuna.distributions.json_to_distribution(json.dumps(d))
            for name, d in (t.get("distributions") or {}).items()
        }
        complete = state == optuna.trial.TrialState.COMPLETE
        study.add_trial(
            optuna.trial.create_trial(
                state=state,
                params=t["params"],
                distributions=distributions,
                values=(t.get("values") or [t["value"]]) if complete else None,
                user_attrs=t.get("user_attrs") or {},
                intermediate_values={int(k): v for k, v in (t.get("intermediate_values") or {}).items()},
            )
        )
    return study
