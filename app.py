"""VAE latent-space explorer: the Streamlit entry point (`make run`).

Wires the pages together and draws what they share: the sidebar's model picker
(``ui.sidebar.sidebar``) is drawn here, once, before the page runs. A widget made in
the entry point belongs to no page, so the current model stays current across page
changes; made inside each page, it was a new widget on every page and fell back to
the first model. The page scripts live in ``pages/<section>/<page>.py``, one folder
per sidebar section, and only read widgets, call the backend in vae/ and draw figures.
No script sits directly in ``pages/``: Streamlit would then switch to
its older multipage mode and bypass ``st.navigation`` for sub-page URLs.

Streamlit runs this file as ``__main__``. A training process (``multiprocessing``)
runs the parent's main script again as ``__mp_main__``: the guard keeps it from
importing Streamlit and starting the app's warm-up (the shipped models' maps and
reports) in every training.
"""


def main() -> None:
    import os

    import streamlit as st

    os.environ["VAE_SERVING"] = "1"  # this process and its trainings serve a class (vae.errors.serving)
    from ui import warmup
    from ui.i18n import tr
    from ui.navigation import NAVIGATION, PAGE
    from ui.sidebar import sidebar

    st.set_page_config(page_title=tr("VAE latent-space explorer"), page_icon=":material/blur_on:", layout="wide")

    pages = {  # titles in the session's language; the URLs (from the script names) stay the same
        tr(section): [
            st.Page(PAGE[key], title=tr(title), icon=f":material/{icon}:", default=key == "home")
            for key, title, icon in entries
        ]
        for section, entries in NAVIGATION.items()
    }
    try:
        page = st.navigation(pages, expanded=True)  # every page in sight: more than 12 would fold under "View more"
        sidebar()
        page.run()
    finally:  # once per server, after its first page is drawn: the shared models' reports, maps and figures
        warmup.start()


if __name__ == "__main__":
    main()
