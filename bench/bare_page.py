"""A bare Streamlit page (a title and a line): the floor bench/protocol_load.py measures the app's page runs
against, on the same machine in the same run (``--floor``).

    .venv/bin/streamlit run bench/bare_page.py
"""

import streamlit as st

st.title("A bare page")
st.write("Streamlit's own cost of a page run: nothing computed, nothing drawn.")
