"""Tests of prompt tuning: the space, the strategies, the budget, resume, the overfitting guard, the CLI."""
