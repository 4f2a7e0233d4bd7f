"""Trained weights shipped with the offline engines (package data, read with numpy)."""
