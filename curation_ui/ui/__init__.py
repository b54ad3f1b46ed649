"""Streamlit building blocks shared by the pages (widgets, cached resources); the logic lives one level up."""
