"""The independent checker: proof checking against a naive reference evaluator."""
