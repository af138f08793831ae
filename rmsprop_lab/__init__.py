"""The app layer between the pages and the engine.

- ``settings``: the generic settings machinery (a ``Schema`` of typed ``Param``s, URL and file parsing).
- ``schemas``: every page's settings, declared once.
- ``controls``: a page's settings bound to its widgets, its session store and its URL (Streamlit).
- ``runs``: every engine call the app makes, cached with one policy (Streamlit).
- ``formula_pool``: users' formulas read in worker processes that no formula can stall the server from.
- ``figures``: pure figure builders returning Plotly ``{data, layout}`` dicts; ``live_chart`` draws them
  (and, while a slider is dragged, the row of its ladder under the pointer); ``chart_component`` is
  their browser side (JavaScript, plotly.js, the preloader), light enough to import first.
- ``presentation``: presentation mode (projecting): its switch on every page, and what it changes.
- ``view_file``: a view as one standalone interactive HTML file ("Download this view").
- ``internals``: the only reaches into Streamlit's internals (deep links, the clear-cache request), documented.
- ``options``: the value ladders and the story defaults per function.
- ``cli``: the ``rmsprop-lab`` command that serves the app.
"""
