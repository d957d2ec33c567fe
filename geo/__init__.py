"""dezmap's library: data files, validation, the time model, joins, rendering and export.

Nothing here imports Streamlit; ``app.py`` and ``pages/`` compose these functions.
"""

__version__ = "0.1.0"
