"""VAE latent-space explorer: the Streamlit entry point (`make run`).

Wires the pages together. The page scripts live in ``pages/<section>/<page>.py``,
one folder per sidebar section. Each starts with ``ui.state.sidebar()`` (the model
picker every page shares), then only reads widgets, calls the backend in vae/ and
draws figures. No script sits directly in ``pages/``: Streamlit would then switch to
its older multipage mode and bypass ``st.navigation`` for sub-page URLs.

Streamlit runs this file as ``__main__``. A training process (``multiprocessing``)
runs the parent's main script again as ``__mp_main__``: the guard keeps it from
importing Streamlit and starting the app's warm-up there. Before the guard, every
training also computed the shipped models' t-SNE maps and reports (about 1 GB and a
second core).
"""


def main() -> None:
    import streamlit as st

    from ui import warmup
    from ui.state import NAVIGATION, PAGE

    st.set_page_config(page_title="VAE latent-space explorer", page_icon=":material/blur_on:", layout="wide")

    pages = {section: [st.Page(PAGE[key], title=title, icon=f":material/{icon}:", default=key == "home")
                       for key, title, icon in entries] for section, entries in NAVIGATION.items()}
    try:
        st.navigation(pages).run()
    finally:  # once per server, after its first page is drawn: the shared models' reports, maps and figures
        warmup.start()


if __name__ == "__main__":
    main()
