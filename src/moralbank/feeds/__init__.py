"""Data interfaces: department feeds in, evaluation results back out."""
