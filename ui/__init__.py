"""Streamlit glue: every Streamlit call that more than one page needs, and nothing else.

``ui.data`` caches what ``geo`` loads, ``ui.state`` keeps the shareable view (instant, window,
zone, filters) in the session and the address bar, ``ui.controls`` draws the shared widgets.
Pages compose these with ``geo`` and display the results.
"""
