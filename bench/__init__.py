"""flarebind's benchmark harness: flarebind and Miniflare side by side, on one machine, in one run.

``python -m bench [--quick] [WORKLOAD ...]`` (or ``nox -s bench -- ...``). Each workload runs every side
(flarebind, Miniflare, and raw ``sqlite3`` where it is the ceiling) in alternating repetitions, in child processes,
and reports medians with min/max and the ratio flarebind / Miniflare. Results are written as JSON under
``bench/results/`` and rendered into ``docs/performance.md`` with a plot.
"""
