"""neonwatch: the working machinery of Canada-Japan maritime security cooperation.

Stages of the data flow (see docs/ARCHITECTURE.md): ``ingest`` -> ``tracks`` -> ``detect`` ->
``screen`` -> ``store`` -> ``share`` -> ``api``/``web``; ``acsa`` keeps the logistics ledger.
"""

__version__ = "0.1.0"
