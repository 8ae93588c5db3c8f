"""Speed benchmarks (``synthzoo bench speed``, ``bench steps``, ``bench inference``,
``bench predict``).

- :mod:`~synthzoo.benchmarks.speed.tools`: tool adapters (synthzoo, TorchIO, cornucopia,
  MONAI), each drawing samples from the same brain label map;
- :mod:`~synthzoo.benchmarks.speed.runner`: the generation-speed run (tools x sizes x
  threads, every registered generator; resumable) and per-step times;
- :mod:`~synthzoo.benchmarks.speed.report`: its markdown tables and figure;
- :mod:`~synthzoo.benchmarks.speed.timing`: timing, threads, machine load;
- :mod:`~synthzoo.benchmarks.speed.inference`: chunked sliding-window inference on Dask arrays
  vs MONAI's ``sliding_window_inference`` (seconds and peak memory, one process per tool);
- :mod:`~synthzoo.benchmarks.speed.predict`: ``synthzoo predict`` timed as a user runs it.
"""

from synthzoo.benchmarks.speed.report import markdown, write_outputs
from synthzoo.benchmarks.speed.runner import SpeedConfig, SpeedResult, run_speed, step_times
from synthzoo.benchmarks.speed.timing import THREAD_ENV, load_average, thread_env, time_calls

__all__ = ["THREAD_ENV", "SpeedConfig", "SpeedResult", "load_average", "markdown", "run_speed",
           "step_times", "thread_env", "time_calls", "write_outputs"]
