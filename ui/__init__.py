"""Gradio chat for corpus-qa."""
