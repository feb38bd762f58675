"""Sweeps: a grid of Config overrides × seeds, run in parallel and resumably, compared with intervals.

- :mod:`~lunar_lab.sweeps.spec`: the TOML specification (:func:`load_spec`, :class:`SweepSpec`).
- :mod:`~lunar_lab.sweeps.layout`: the results folder, and which runs are done.
- :mod:`~lunar_lab.sweeps.execution`: :func:`run_sweep`, one run (:func:`~lunar_lab.sweeps.execution.execute_run`).
- :mod:`~lunar_lab.sweeps.backends`: a local process pool or a Ray cluster.
- :mod:`~lunar_lab.sweeps.results`: the tidy table (:func:`load_results`), shipped result sets.
- :mod:`~lunar_lab.sweeps.statistics`: rliable's interval estimates on that table.
- :mod:`~lunar_lab.sweeps.compare`: what ``lunar-lab compare`` reports.

Importing the package imports none of its modules; ``spec`` and ``layout`` need neither TensorFlow nor
pandas, ``results``, ``statistics`` and ``compare`` need pandas only, and a run imports TensorFlow in its worker.
"""
