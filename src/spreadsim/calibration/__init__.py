"""Calibrate the model to an observed adoption curve on a real network.

Typical use::

    from spreadsim.calibration import Settings, calibrate, read_observed, write_calibration
    obs = read_observed("nodes.csv", "edges.csv", time_column="toa", group_column="town")
    report = calibrate(obs, settings=Settings(replications=100, bootstrap=30, seed=1))
    write_calibration(report, "results/calibration")

Modules: :mod:`~spreadsim.calibration.data` (observed curves, network pattern),
:mod:`~spreadsim.calibration.bass` (the reference Bass fit), :mod:`~spreadsim.calibration.simulate`
(the model in the calibration configuration), :mod:`~spreadsim.calibration.fit` (optimiser and
bootstrap), :mod:`~spreadsim.calibration.pipeline` (all of it), :mod:`~spreadsim.calibration.plot`
and :mod:`~spreadsim.calibration.output` (files).
"""

from spreadsim.calibration.bass import BassFit, bass_curve, fit_bass
from spreadsim.calibration.data import Observed, read_observed
from spreadsim.calibration.output import summary, write_calibration
from spreadsim.calibration.pipeline import Settings, calibrate
from spreadsim.calibration.simulate import FITTABLE

__all__ = ["FITTABLE", "BassFit", "Observed", "Settings", "bass_curve", "calibrate", "fit_bass",
           "read_observed", "summary", "write_calibration"]
