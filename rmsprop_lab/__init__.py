"""The app's pure helpers: settings schemas (URL / file validation) and Plotly figure builders.

Nothing here imports Streamlit except ``panels`` (shared widget code for the pages).
``cli`` is the ``rmsprop-lab`` command that serves the app.
"""
