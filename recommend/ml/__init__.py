"""Pure machine learning: arrays, sparse matrices, tensors. Never imports Django."""
