"""Warrant: is this release of data permitted, and why?

    >>> import warrant
    >>> rb = warrant.load()
    >>> rb.decide("examples/requests/mou_tracing.json").outcome
    <Outcome.PERMITTED: 'permitted'>

The public API is what this module exports (`__all__`, documented in
`warrant.api` and README, "Use from Python"); every other module is
private to the package. The package is the checkout's `engine/` folder,
whose subfolders show the architecture:

- `pipeline/`: rule text -> parse -> check (with the declared vocabulary) ->
  compile -> Datalog -> evaluate -> prove -> decide -> render, and the
  rulebase loader that runs the front half;
- `author/`: the policy author's tools (fmt, check findings and invariants,
  golden cases and coverage, init);
- `review/`: the legal reviewer's tools (what would have to change, compare,
  impact, what-if overrides, browsing);
- `batch/`: many requests at once (class caches, relevance, synthetic
  requests, progress);
- `analysis/`: the exact analysis: the compiled program as formulas over
  every possible request (z3), for invariant proofs, `warrant diff` and the
  findings only an exact analysis gives;
- `checker/`: the independent proof checker and reference evaluator, which
  share nothing with the engine's evaluation but the compiled program.
"""

__version__ = "0.2.0"     # pyproject.toml reads it (one place for the version)

from warrant.api import *  # noqa: E402,F401,F403 - the public API is api.__all__
from warrant.api import __all__ as _api  # noqa: E402
from warrant.api import _public  # noqa: E402
from warrant.pipeline import standalone as _standalone  # noqa: E402

evaluate_datalog = _public(_standalone.evaluate_datalog)   # the seam an outside Datalog suite tests

__all__ = [*_api, "evaluate_datalog", "__version__"]
