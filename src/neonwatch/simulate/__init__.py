"""Traffic simulator: realistic AIS traffic with planted sanctions-evasion events and their
ground truth, so that detection accuracy can be measured (no real data comes with labelled
ship-to-ship transfers).

``simulate(vessels, hours, seed)`` returns a :class:`Simulation` whose ``positions`` and
``vessels`` tables have exactly ingest's schemas (station ``"sim"``) and whose ``truth`` table
has the TRUTH schema of :mod:`neonwatch.detect.schema`; ``write(sim, out_dir)`` writes them the
way ``neonwatch ingest`` does, plus ``truth.parquet``.

What is simulated:

* normal traffic between real World Port Index ports over open-water lanes
  (:mod:`~neonwatch.simulate.seas`), at speeds by ship type, reporting at ITU-R M.1371
  intervals by class and speed (:mod:`~neonwatch.simulate.motion`), every ``thinning``-th
  report kept, with 10 m GPS noise and reception dropouts of minutes;
* crowded anchorages beside real ports: true negatives;
* planted events (:mod:`~neonwatch.simulate.scenarios`): STS pairs (one across midnight, one
  across the 180th meridian), an STS with a dark partner (loitering + AIS disabling + dark
  rendezvous), lone loiterers, AIS disabling offshore, naive gaps near shore, teleports, and
  two ships sharing one MMSI.

The run is deterministic by seed: the same arguments give the same tables.
"""

from neonwatch.simulate.core import DEFAULT_START, DEFAULT_THINNING, Simulation, simulate, write

__all__ = ["DEFAULT_START", "DEFAULT_THINNING", "Simulation", "simulate", "write"]
