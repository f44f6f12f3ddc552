"""Proposers: turn an Observation into a Proposal (scripted, LLM, codemod)."""
