"""Start the web app: ``python -m ui.serve [streamlit options]`` is ``streamlit run app.py`` (``make run``).

The page scripts live in ``pages/<section>/<page>.py`` and app.py lists them with
``st.navigation``. A ``pages/`` folder beside the entry point makes a fresh Streamlit
server run its first session in the older multipage mode. That run knows no sub-page,
so a first request for a sub-page URL (a link a teacher shared) opened a "Page not
found" dialog over the right page (streamlit/streamlit#8860, #9992). app.py always
calls ``st.navigation``, so the launcher switches the older mode off before the server
starts. Same process, same options as ``streamlit run``.

While the server starts and the first browser loads the page, a background thread
imports torch and the backend, reads the built-in dataset and starts the trainings'
fork server (:func:`preload`): the first visitor and the first training do not wait
for them.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app.py"


def preload() -> None:
    """Import what every page needs (torch, the backend, the figures), read the built-in MNIST digits, run
    one small convolution (PyTorch sets up its CPU kernels on the first call), start the fork server that
    trainings are started from (:func:`vae.service.worker.start_fork_server`) and, with ``$VAE_RAY_ADDRESS``,
    join the Ray cluster."""
    import torch

    import ui.compute  # noqa: F401
    import vae.analysis.explore  # noqa: F401
    import vae.figures.plots  # noqa: F401
    import vae.models.checkpoints  # noqa: F401
    from vae.data.embedded import load_mnist5k

    load_mnist5k()  # cached in the process (functools.lru_cache)
    with torch.no_grad():
        torch.nn.ConvTranspose2d(8, 1, 4, 2, 1)(torch.nn.Conv2d(1, 8, 4, 2, 1)(torch.zeros(2, 1, 28, 28)))
    from vae.service.worker import start_fork_server

    start_fork_server()
    from vae.service import cluster

    if cluster.ray_address():  # join the class's Ray cluster now, not on the first visit of the Train page
        try:
            cluster.connect()
        except cluster.ClusterError:
            pass  # the Train page says why, and the class trains on this server


def main(argv: list[str] | None = None) -> None:
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    PagesManager.uses_pages_directory = False  # app.py calls st.navigation on every run
    threading.Thread(target=preload, name="preload", daemon=True).start()
    sys.argv = ["streamlit", "run", str(APP), *(sys.argv[1:] if argv is None else argv)]
    cli.main()


if __name__ == "__main__":
    main()
