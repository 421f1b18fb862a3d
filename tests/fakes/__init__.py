"""Honest fakes of third parties we cannot run here: real HTTP servers speaking the vendors' documented formats."""
