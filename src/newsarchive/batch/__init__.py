"""Walking inputs, converting each one, and reporting: what ``convert`` does over many files.

One concern per module:

- :mod:`~newsarchive.batch.inputs`: which files a batch converts (folders, globs, stdin,
  web-archive records), shards;
- :mod:`~newsarchive.batch.naming`: which input owns which edition names (this run's
  inputs, earlier runs' state), decided in the parent so workers never race for one;
- :mod:`~newsarchive.batch.task`: one input in, its editions written, one ``Result`` out
  (a picklable function of a picklable ``Task``: the unit every executor runs);
- :mod:`~newsarchive.batch.state`: the resume/skip manifest in the output folder;
- :mod:`~newsarchive.batch.executors`: in-process, local process pool, dask;
- :mod:`~newsarchive.batch.run`: a whole batch and its summary;
- :mod:`~newsarchive.batch.display`: progress bar, per-input lines, closing summary.

The parent process alone keeps the state manifest, the report and the progress display.
"""

from __future__ import annotations

import importlib
from typing import Any

# Name -> submodule, imported on first use (PEP 562): `normalize` and a one-file `convert`
# need inputs and task only, not the pool, rich's progress bar or the state store.
_EXPORTS = {
    "Display": "display",
    "default_jobs": "executors",
    "pick_jobs": "executors",
    "run_dask": "executors",
    "run_local": "executors",
    "INPUT_SUFFIXES": "inputs",
    "STDIN": "inputs",
    "STDIN_NAME": "inputs",
    "Input": "inputs",
    "collect_inputs": "inputs",
    "output_collisions": "naming",
    "NamePlan": "naming",
    "parse_shard": "inputs",
    "shard_inputs": "inputs",
    "BatchSettings": "run",
    "Summary": "run",
    "plan_tasks": "run",
    "run_batch": "run",
    "STATE_NAME": "state",
    "STATE_PREFIX": "state",
    "StateStore": "state",
    "sweep_partials": "state",
    "Previous": "task",
    "Result": "task",
    "Status": "task",
    "Task": "task",
    "convert_one": "task",
    "fingerprint": "task",
    "run_task": "task",
    "task_options": "task",
    "warm_up": "task",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'newsarchive.batch' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"newsarchive.batch.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


__all__ = [
    "INPUT_SUFFIXES",
    "STATE_NAME",
    "STATE_PREFIX",
    "STDIN",
    "STDIN_NAME",
    "BatchSettings",
    "Display",
    "Input",
    "NamePlan",
    "Previous",
    "Result",
    "StateStore",
    "Status",
    "Summary",
    "Task",
    "collect_inputs",
    "convert_one",
    "default_jobs",
    "fingerprint",
    "output_collisions",
    "parse_shard",
    "pick_jobs",
    "plan_tasks",
    "run_batch",
    "run_dask",
    "run_local",
    "run_task",
    "shard_inputs",
    "sweep_partials",
    "task_options",
    "warm_up",
]
