"""Tests of the eval runner, its cache, rate limits, reports, comparisons, baselines and CLI."""
