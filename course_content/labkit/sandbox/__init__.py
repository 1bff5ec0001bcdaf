"""The grading sandbox, in one place: everything that starts, limits and isolates the
processes that run learner (or reference) code.

- ``process``: :class:`~.process.Limits`, :class:`~.process.ProcessRun`, the rlimits, the
  process count, the sandbox environment, ``spawn`` and ``wait_or_kill``;
- ``runner``: the default ``SubprocessRunner`` and ``run_harness``, the one entry point a
  grading run goes through;
- ``bubblewrap``: ``BubblewrapRunner``, the isolation the grader needs for hostile code
  (bwrap, an unprivileged user, its own cgroup, the result pipe);
- ``cgroup``: one cgroup per run (memory and pids caps);
- ``entry``: the stdlib-only entry point copied into each bwrap run (as
  ``sandbox_entry.py``);
- ``selftest``: ``isolation_selftest``, the probe the grading worker runs at start.
"""
