"""The policy author's tools: fmt, check findings and invariants, golden cases and coverage, init."""
