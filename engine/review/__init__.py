"""The legal reviewer's tools: counterfactuals, compare, impact, what-if overrides, browsing."""
