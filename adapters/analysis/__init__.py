"""The framework-free turn analysis: detect, translate, score and check one message, decide its language."""
