"""Witnesses: the value that tells a survivor apart from the original, and an assertion proven to kill it."""

# How the gate hands the probe (gate.witness.probe, loaded by pytest) its plan and where to write.
PLAN_ENV = "GATE_WITNESS_PLAN"
OUT_ENV = "GATE_WITNESS_OUT"
PROBE = "gate.witness.probe"
