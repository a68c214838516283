"""The chapter as a map (ui/chapter.py, pages/start/chapter.py): every claim points at a real page, model and set of
flags, or says what the app lacks; every link opens its page on its model, and the page draws."""

from __future__ import annotations

import re
import shlex

import pytest

from tests.app_helpers import ROOT, open_app, tiny_shipped_models
from ui.chapter import CHAPTER, claims
from ui.navigation import PAGE
from vae.config.shipped import SHIPPED_BY_NAME
from vae.i18n import translator


def test_every_claim_names_a_page_a_shipped_model_and_flags_that_parse_or_what_is_missing():
    from vae.cli.parser import build_parser

    parser = build_parser()
    assert [heading for heading, _ in CHAPTER] == [
        "The encoder",
        "The decoder",
        "General principles",
        "The CNN example",
        "Effects on the ELBO",
        "A preview of advanced designs",
    ]  # the chapter's own outline
    zh = translator("zh")
    for c in claims():
        assert zh(c.says) != c.says, c.says  # in both languages
        if c.page is None:
            assert c.missing and zh(c.missing) != c.missing and not c.model
            continue
        assert c.page in PAGE and c.model in SHIPPED_BY_NAME and c.flags, c
        for alternative in range(3):  # "--norm batch|layer": each alternative is a real value of a real flag
            args = [a.split("|")[min(alternative, a.count("|"))] for a in shlex.split(c.flags)]
            parser.parse_args(["train", *args])
    shown = {c.page for c in claims()}
    for page in ("likelihood", "latent_size", "overfitting", "batch_norm", "gradient_flow", "strong_decoders"):
        assert page in shown  # every lesson of the chapter is on the map


def title(page: str) -> str:
    """The title page ``page``'s script draws (in English)."""
    return re.search(r'st\.title\(tr\("([^"]+)"\)\)', (ROOT / PAGE[page]).read_text()).group(1)


def drawn(at) -> int:
    """Figures, pictures and tables the page drew."""
    return len(at.get("plotly_chart")) + len(at.get("imgs")) + len(at.dataframe) + len(at.table)


@pytest.fixture(scope="module")
def chapter_models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("chapter-models")
    tiny_shipped_models(folder, {c.model for c in claims() if c.model})
    return folder


@pytest.mark.parametrize("section", range(len(CHAPTER)), ids=[h for h, _ in CHAPTER])
def test_every_link_opens_its_page_on_its_model_and_the_page_draws(chapter_models, section, tmp_path, monkeypatch):
    import shutil

    folder = tmp_path / "checkpoints"
    shutil.copytree(chapter_models, folder)
    monkeypatch.setenv("VAE_CHECKPOINTS", str(folder))
    at = open_app("chapter")
    heading, section_claims = CHAPTER[section]
    assert any(heading in s.value for s in at.subheader)
    for c, claim in enumerate(section_claims):
        if claim.page is None:  # said plainly, no link
            assert any(claim.missing in m.value for m in at.markdown)
            continue
        at.button(key=f"ch_{section}_{c}_open").click().run()
        assert not at.exception, (claim.says, [e.message for e in at.exception])
        assert at.title[0].value == title(claim.page)  # the page it names
        assert at.sidebar.selectbox(key="model").value == claim.model  # on the claim's model
        assert drawn(at), claim.says
        at.switch_page(PAGE["chapter"]).run()
    if section == 0:  # Train opens with the model's settings
        claim = section_claims[0]
        at.button(key="ch_0_0_train").click().run()
        assert at.title[0].value == title("train")
        assert at.session_state["name"] == f"{claim.model}-mine"


def test_the_map_says_where_a_model_is_missing(tmp_path, monkeypatch):
    """On a server without the shipped models each claim still links its page and names the model to make."""
    monkeypatch.setenv("VAE_CHECKPOINTS", str(tmp_path))
    at = open_app("chapter")
    captions = " ".join(c.value for c in at.caption)
    assert "mnist5k-mlp-z2 is not on this server" in captions
    assert not at.button  # no Open / Train buttons without their models
