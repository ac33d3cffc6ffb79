"""Walking inputs, converting each one, and reporting: what ``convert`` does over many files.

One concern per module:

- :mod:`~newsarchive.batch.inputs`: which files a batch converts (folders, globs, stdin,
  web-archive records), shards, colliding output names;
- :mod:`~newsarchive.batch.task`: one input in, its editions written, one ``Result`` out
  (a picklable function of a picklable ``Task``: the unit every executor runs);
- :mod:`~newsarchive.batch.state`: the resume/skip manifest in the output folder;
- :mod:`~newsarchive.batch.executors`: in-process, local process pool, dask;
- :mod:`~newsarchive.batch.run`: a whole batch and its summary;
- :mod:`~newsarchive.batch.display`: progress bar, per-input lines, closing summary.

The parent process alone keeps the state manifest, the report and the progress display.
"""

from newsarchive.batch.display import Display
from newsarchive.batch.executors import default_jobs, run_dask, run_local
from newsarchive.batch.inputs import (
    INPUT_SUFFIXES,
    STDIN,
    STDIN_NAME,
    Input,
    collect_inputs,
    output_collisions,
    parse_shard,
    shard_inputs,
)
from newsarchive.batch.run import BatchSettings, Summary, plan_tasks, run_batch
from newsarchive.batch.state import STATE_NAME, STATE_PREFIX, StateStore, sweep_partials
from newsarchive.batch.task import (
    Previous,
    Result,
    Status,
    Task,
    convert_one,
    fingerprint,
    run_task,
    task_options,
    warm_up,
)

__all__ = [
    "INPUT_SUFFIXES",
    "STATE_NAME",
    "STATE_PREFIX",
    "STDIN",
    "STDIN_NAME",
    "BatchSettings",
    "Display",
    "Input",
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
